#include "emu/cli/commands.h"
#include "emu/common/errors.h"

namespace pmuemu::cli {
int cmd_run(const Args&) { throw UsageError("run: not built yet"); }
}  // namespace pmuemu::cli
