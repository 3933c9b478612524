// `pmuemu snapshot show|diff`: inspect snapshot files (docs/snapshot.md) without running them.
// The files are read and validated by the loader --restore uses, so what is shown is what a
// restore would build.
#include <cstdio>

#include "emu/cli/commands.h"
#include "emu/common/errors.h"
#include "emu/vmm/snapshot_inspect.h"

namespace pmuemu::cli {
namespace {
void print(const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout); }
}  // namespace

int cmd_snapshot_show(const ParsedArgs& args) {
  const std::string& file = args.positional[0];
  const vmm::Snapshot s = vmm::load_snapshot(file);
  print(args.has("json") ? vmm::snapshot_json(s, file) : vmm::describe_snapshot(s, file));
  return kExitOk;
}

int cmd_snapshot_diff(const ParsedArgs& args) {
  const vmm::Snapshot a = vmm::load_snapshot(args.positional[0]);
  const vmm::Snapshot b = vmm::load_snapshot(args.positional[1]);
  const auto lines = vmm::diff_snapshots(a, b);
  for (const auto& l : lines) print(l + "\n");
  return lines.empty() ? kExitOk : 1;  // 1: they differ, as diff(1)
}

}  // namespace pmuemu::cli
