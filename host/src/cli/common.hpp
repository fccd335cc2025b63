// What the CLI's commands share: reporting errors with their exit codes and opening a host.
#pragma once

#include <herald/host.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace herald {

inline int fail(const Status& status) {
  std::cerr << "herald: " << status.message() << "\n";
  return status.exit_code();
}

/// Reports a failed status on stderr and records its exit code; true when it failed.
inline bool failed(const Status& status, int& exit_code) {
  if (status) return false;
  exit_code = fail(status);
  return true;
}
template <typename T>
bool failed(const Result<T>& result, int& exit_code) {
  return failed(result.status(), exit_code);
}

/// Makes this process's embedded Python (started only when a configuration needs it, finalized
/// when the returned runtime goes). main() holds it for the life of the program.
std::shared_ptr<ScriptRuntime> start_cli_python();
/// The runtime start_cli_python made.
std::shared_ptr<ScriptRuntime> cli_python();

/// Opens the host, or reports why not (null).
inline std::unique_ptr<Host> open_or_report(const std::string& config, int& exit_code,
                                            HostOptions options = {}) {
  if (!options.scripting) options.scripting = cli_python();
  auto host = Host::open(config, options);
  if (failed(host, exit_code)) return nullptr;
  return std::move(*host);
}

/// The approval, legal, edit, delegation, inbox and audit commands (cli/governance.cpp).
void add_governance_commands(CLI::App& app, int& exit_code);

/// `inbound import` and `inbound list` (cli/inbound.cpp).
void add_inbound_commands(CLI::App& app, int& exit_code);
/// `advocacy optin|optout|list|report` and `amplify status` (cli/inbound.cpp).
void add_amplify_commands(CLI::App& app, int& exit_code);

/// The urgent, pause, resume, pauses, engagement, slots and calendar commands
/// (cli/schedule.cpp).
void add_schedule_commands(CLI::App& app, int& exit_code);

/// `herald text` (cli/text.cpp).
void add_text_command(CLI::App& app, int& exit_code);

}  // namespace herald
