// `pmuemu snapshot show|diff`: inspect snapshot files (docs/snapshot.md) without running them.
#include "emu/cli/commands.h"
#include "emu/common/errors.h"

namespace pmuemu::cli {
int cmd_snapshot_show(const ParsedArgs&) { throw UsageError("snapshot show: not implemented yet"); }
int cmd_snapshot_diff(const ParsedArgs&) { throw UsageError("snapshot diff: not implemented yet"); }
}  // namespace pmuemu::cli
