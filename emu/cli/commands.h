// Sub-commands of the pmuemu executable. Each receives its arguments already parsed against
// its row of the command table (command_table.cpp) and returns the process exit status;
// host errors are thrown as UsageError/InputError.
#pragma once

#include "emu/cli/spec.h"

namespace pmuemu::cli {

int cmd_run(const ParsedArgs& args);          // pmuemu run --host H --guest G ...
int cmd_host_show(const ParsedArgs& args);    // pmuemu host show FILE
int cmd_host_schema(const ParsedArgs& args);  // pmuemu host schema
int cmd_kvm_eras(const ParsedArgs& args);     // pmuemu kvm eras [--markdown]
int cmd_plan(const ParsedArgs& args);         // pmuemu plan HOST.yaml...
int cmd_conformance(const ParsedArgs& args);  // pmuemu conformance --host HOST.yaml [--kvm ERA]
int cmd_snapshot_show(const ParsedArgs& args);  // pmuemu snapshot show FILE [--json]
int cmd_snapshot_diff(const ParsedArgs& args);  // pmuemu snapshot diff A B
int cmd_help(const ParsedArgs& args);         // pmuemu help [COMMAND...] [--man]
int cmd_completion(const ParsedArgs& args);   // pmuemu completion bash
int cmd_user(const ParsedArgs& args);         // pmuemu user --host HOST.yaml PROGRAM [ARGS...]

// "pmuemu 0.1.0 (commit abc1234)" and the kernel eras: what --version prints.
std::string version_text();
std::string_view project_version();

}  // namespace pmuemu::cli
