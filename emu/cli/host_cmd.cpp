#include "emu/cli/commands.h"
#include "emu/common/errors.h"

namespace pmuemu::cli {
int cmd_host(const Args&) { throw UsageError("host: not built yet"); }
}  // namespace pmuemu::cli
