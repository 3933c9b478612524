#include "emu/common/errors.h"
