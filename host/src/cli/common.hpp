// What the CLI's commands share: reporting errors with their exit codes and opening a host.
#pragma once

#include <herald/host.hpp>

#include "cli/render.hpp"
#include "time/time.hpp"

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

/// `--clock real|virtual` and `--start TIME`, shared by the commands that read the clock (`run`,
/// and `submit` and `delegate`, which compare a user's time with now).
struct ClockOptions {
  std::string mode;   ///< "", "real" or "virtual"
  std::string start;  ///< virtual clock start time, UTC unless it names a zone or an offset
};

inline void add_clock_options(CLI::App* command, ClockOptions& clock) {
  command
      ->add_option("--clock", clock.mode,
                   "real, or virtual (time jumps to the next wake-up; remembered in the store)")
      ->check(CLI::IsMember({"real", "virtual"}));
  command->add_option("--start", clock.start,
                      "virtual clock start time, e.g. 2026-11-30T08:00:00Z (default: where the "
                      "store's virtual clock stopped)");
}

/// An instant given on the command line (UTC unless the text names a zone or an offset).
inline Result<int64_t> parse_cli_instant(const std::string& text) {
  Result<ZonedInstant> parsed = parse_time(text, "UTC");
  if (!parsed) return parsed.status();
  return parsed->utc_ms;
}

/// Puts the clock the options ask for into `options` (none: the store's, else the real one).
inline Status apply_clock_options(const ClockOptions& clock, HostOptions& options) {
  if (!clock.start.empty() && clock.mode != "virtual")
    return Status(ErrorCode::invalid_argument, "--start needs --clock virtual");
  if (clock.mode == "real") options.clock = make_real_clock();
  if (clock.mode == "virtual" && !clock.start.empty()) {
    Result<int64_t> start_ms = parse_cli_instant(clock.start);
    if (!start_ms) return start_ms.status();
    options.clock = make_virtual_clock(*start_ms);
  }
  return Status::ok();
}

/// After opening: `--clock virtual` without `--start` needs a virtual clock in the store.
inline Status check_clock_options(const ClockOptions& clock, Host& host) {
  if (clock.mode == "virtual" && !host.clock().is_virtual())
    return Status(ErrorCode::invalid_argument,
                  "the store has no virtual clock yet; start one with --start TIME");
  return Status::ok();
}

/// Opens the host, or reports why not (null).
inline std::unique_ptr<Host> open_or_report(const std::string& config, int& exit_code,
                                            HostOptions options = {}) {
  if (!options.scripting) options.scripting = cli_python();
  auto host = Host::open(config, options);
  if (failed(host, exit_code)) return nullptr;
  return std::move(*host);
}

/// Opens the host on the clock the options ask for, or reports why not (null).
inline std::unique_ptr<Host> open_or_report(const std::string& config, int& exit_code,
                                            const ClockOptions& clock, HostOptions options = {}) {
  if (failed(apply_clock_options(clock, options), exit_code)) return nullptr;
  auto host = open_or_report(config, exit_code, std::move(options));
  if (host && failed(check_clock_options(clock, *host), exit_code)) return nullptr;
  return host;
}

/// What a command that acts on a post prints: with --json the post as it is now (the fields of
/// `status --json`), else `said` on a line.
inline void print_post_result(Host& host, int64_t post_id, bool as_json, const std::string& said,
                              int& exit_code) {
  if (!as_json) {
    std::cout << said << "\n";
    return;
  }
  auto post = host.post(post_id);
  if (failed(post, exit_code)) return;
  std::cout << json_text(posts_json({*post})[0]);
}

/// The exit code of a worker that abandoned a step past its deadline (`herald run --supervised`).
constexpr int kAbandoned = 70;
/// `herald run --supervise`: runs `herald run` (argv, with --supervised) as a child, and starts
/// a new one whenever it dies of a signal or abandons a step; returns the exit code to end with.
/// The first restart waits `restart_delay_s`, each next one twice as long, up to 30 s.
int supervise_worker(int argc, char** argv, double restart_delay_s);

/// The approval, legal, edit, delegation, inbox and audit commands (cli/governance.cpp).
void add_governance_commands(CLI::App& app, int& exit_code);

/// `herald completion bash|zsh|fish` and `herald man`, from `app`'s own definitions
/// (cli/shell.cpp); add them last.
void add_shell_commands(CLI::App& app, const std::string& version);
/// "herald: unknown command 'statsu'; did you mean 'status'?" when the words of a command line
/// name no command where one is expected, else "".
std::string unknown_command(CLI::App& app, const std::vector<std::string>& args);

/// `inbound import` and `inbound list` (cli/inbound.cpp).
void add_inbound_commands(CLI::App& app, int& exit_code);
/// `advocacy optin|optout|list|report` and `amplify status` (cli/inbound.cpp).
void add_amplify_commands(CLI::App& app, int& exit_code);

/// The urgent, pause, resume, pauses, engagement, slots and calendar commands
/// (cli/schedule.cpp).
void add_schedule_commands(CLI::App& app, int& exit_code);

/// `herald text` (cli/text.cpp).
void add_text_command(CLI::App& app, int& exit_code);
void add_doctor_command(CLI::App& app, int& exit_code);

}  // namespace herald
