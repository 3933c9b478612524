// Sub-commands of the pmuemu executable. Each takes the arguments after its own name
// and returns the process exit status; host errors are thrown as UsageError/InputError.
#pragma once

#include <string>
#include <vector>

namespace pmuemu::cli {

using Args = std::vector<std::string>;

int cmd_run(const Args& args);   // pmuemu run --host H --guest G ...
int cmd_host(const Args& args);  // pmuemu host show FILE
int cmd_plan(const Args& args);  // pmuemu plan HOST.yaml...
int cmd_conformance(const Args& args);
int cmd_user(const Args& args);  // pmuemu user --host HOST.yaml PROGRAM [ARGS...]  // pmuemu conformance --host HOST.yaml [--kvm ERA]

}  // namespace pmuemu::cli
