// `herald`: the command line over herald::Host. Exit codes are documented in docs/cli.md.
#include <herald/plugin_abi.h>
#include <herald/host.hpp>

#include "cli/common.hpp"
#include "cli/render.hpp"
#include "cli/submit_from.hpp"
#include "time/time.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <new>
#include <sstream>

#ifndef HERALD_VERSION
#define HERALD_VERSION "0.0.0"
#endif

namespace {

using herald::fail;
using herald::failed;
using herald::open_or_report;
using herald::Result;
using herald::Status;
using nlohmann::json;

std::atomic<bool> g_stop{false};
std::atomic<bool> g_stop_now{false};
std::atomic<int> g_signal{0};
extern "C" void on_signal(int signal) {
  g_signal.store(signal);
  if (g_stop.exchange(true)) g_stop_now.store(true);  // the second time: now
}

/// "4 done, 2 failed": how the finished posts ended (every count but done only when not 0).
std::string summary_counts(const herald::RunSummary& s) {
  std::string out = std::to_string(s.done) + " done";
  const int64_t cancelled = s.finished - s.done - s.rejected - s.failed;
  if (s.rejected > 0) out += ", " + std::to_string(s.rejected) + " rejected";
  if (s.failed > 0) out += ", " + std::to_string(s.failed) + " failed";
  if (cancelled > 0) out += ", " + std::to_string(cancelled) + " cancelled";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  // Started only if a configuration has hooks or Python steps; outlives every host below.
  std::shared_ptr<herald::ScriptRuntime> python = herald::start_cli_python();
  CLI::App app{
      "Herald: corporate social publishing workflows (draft, approve, legal review, "
      "schedule, publish, amplify) run by plugins.",
      "herald"};
  app.set_version_flag("--version", std::string("herald ") + HERALD_VERSION + " (plugin ABI " +
                                        std::to_string(HERALD_ABI_MAJOR) + "." +
                                        std::to_string(HERALD_ABI_MINOR) + ")");
  app.require_subcommand(1);
  // Global options work before or after the command: a command passes on the options it does
  // not know to the app (every subcommand inherits this).
  app.fallthrough();
  app.footer(
      "Exit codes: 0 ok, 1 internal error, 2 bad usage or input, 3 invalid configuration, "
      "4 plugin refused, 5 store error, 6 not found, 7 not allowed (role, four eyes, "
      "state), 8 audit trail broken.\nSee docs/cli.md.");
  spdlog::set_default_logger(spdlog::stderr_color_mt("herald"));
  spdlog::set_level(spdlog::level::warn);
  app.add_option("--log-level", "log detail on stderr: trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}))
      ->each([](const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); });
  auto set_log_colors = [](const std::string& choice) {
    const char* no_color = std::getenv("NO_COLOR");
    auto mode = choice == "always"                             ? spdlog::color_mode::always
                : choice == "never" || (no_color && *no_color) ? spdlog::color_mode::never
                                                               : spdlog::color_mode::automatic;
    for (auto& sink : spdlog::default_logger()->sinks())
      if (auto colored = std::dynamic_pointer_cast<spdlog::sinks::stderr_color_sink_mt>(sink))
        colored->set_color_mode(mode);
  };
  set_log_colors("auto");
  std::string color = "auto";
  bool wide = false;
  app.add_option("--color", color,
                 "colour: auto (on a terminal, unless NO_COLOR is set), always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->each([&](const std::string& choice) {
        set_log_colors(choice);
        herald::set_output_choices(choice, wide);
      });
  app.add_flag_callback(
      "--wide",
      [&] {
        wide = true;
        herald::set_output_choices(color, wide);
      },
      "print tables in full on a terminal (default: the last column wraps to fit its width)");

  std::string config;
  bool as_json = false;
  int exit_code = 0;

  // validate
  auto* validate =
      app.add_subcommand("validate", "Load a configuration and its plugins; print the workflows.");
  validate->add_option("CONFIG", config, "workflow configuration (YAML)")->required();
  validate->add_flag("--json", as_json, "print JSON");
  validate->callback([&] {
    herald::HostOptions options;
    options.open_store = false;
    options.resolve_secrets = true;
    auto host = open_or_report(config, exit_code, options);
    if (!host) return;
    std::cout << (as_json ? herald::json_text(
                                herald::workflows_json(host->workflows(), host->store_location(),
                                                       host->notifiers(), host->inbound_steps()))
                          : herald::workflows_text(config, host->workflows(),
                                                   host->plugins().size(), host->store_location(),
                                                   host->notifiers(), host->inbound_steps()));
  });

  herald::add_doctor_command(app, exit_code);

  // plugins
  auto* plugins =
      app.add_subcommand("plugins", "List plugins: name, version, kinds, file and config keys.");
  std::string plugins_config;
  std::vector<std::string> plugin_paths;
  plugins->add_option("--config", plugins_config, "list the plugins this configuration loads");
  plugins->add_option("--plugin-path", plugin_paths, "a plugin folder or file (repeatable)");
  plugins->add_flag("--json", as_json, "print JSON");
  plugins->callback([&] {
    std::vector<herald::PluginDescription> found;
    if (!plugins_config.empty()) {
      herald::HostOptions options;
      options.open_store = false;
      auto host = open_or_report(plugins_config, exit_code, options);
      if (!host) return;
      found = host->plugins();
    } else {
      auto described = herald::describe_plugins(plugin_paths);
      if (failed(described, exit_code)) return;
      found = std::move(*described);
    }
    std::cout << (as_json ? herald::json_text(herald::plugins_json(found))
                          : herald::plugins_text(found));
  });

  // submit
  auto* submit = app.add_subcommand("submit", "Submit a post to a workflow; prints its id.");
  herald::SubmitRequest request;
  std::string text_file;
  submit->add_option("CONFIG", config, "workflow configuration (YAML)")->required();
  submit->add_option("--workflow,-w", request.workflow, "workflow name");
  submit->add_option("--account,-a", request.account, "account name");
  auto* text_option = submit->add_option("--text,-t", request.text, "the post's text");
  auto* file_option =
      submit->add_option("--file,-f", text_file, "read the text from a file (- for stdin)");
  text_option->excludes(file_option);
  std::string posts_file;
  submit
      ->add_option("--from", posts_file,
                   "submit every post of a .csv or .jsonl file, all or none (the other options "
                   "give what a post leaves out)")
      ->excludes(text_option)
      ->excludes(file_option);
  submit->add_option("--author", request.author, "who wrote it (a person from `people`)");
  submit->add_option("--tag", request.tags, "a tag (repeatable)");
  submit->add_option("--at", request.at,
                     "publish time: 2026-12-01T09:00:00Z, 2026-12-01T09:00+01:00 or "
                     "'2026-12-01 09:00 America/New_York' (no zone: the account's)");
  submit
      ->add_option("--dst", request.dst_policy,
                   "a local --at that a DST change skips or repeats: reject, shift_forward, "
                   "earliest or latest (default: the account's dst_policy)")
      ->check(CLI::IsMember({"reject", "shift_forward", "earliest", "latest"}));
  submit->add_flag("--json", as_json, "print JSON");
  herald::ClockOptions submit_clock;
  herald::add_clock_options(submit, submit_clock);
  submit->callback([&] {
    if (!posts_file.empty()) {
      exit_code = herald::submit_from_file(config, posts_file, request, submit_clock, as_json);
      return;
    }
    for (const auto& [value, name] :
         {std::pair{&request.workflow, "--workflow"}, std::pair{&request.account, "--account"}})
      if (value->empty()) {
        exit_code = fail(Status(herald::ErrorCode::invalid_argument,
                                std::string(name) + " is required (or --from FILE)"));
        return;
      }
    if (!text_file.empty()) {
      std::stringstream content;
      if (text_file == "-") {
        content << std::cin.rdbuf();
      } else {
        std::ifstream in(text_file, std::ios::binary);
        if (!in) {
          exit_code = fail(Status(herald::ErrorCode::invalid_argument,
                                  text_file + ": cannot read the text file"));
          return;
        }
        content << in.rdbuf();
      }
      request.text = content.str();
      while (!request.text.empty() && request.text.back() == '\n') request.text.pop_back();
    } else if (text_option->count() == 0) {
      exit_code = fail(Status(herald::ErrorCode::invalid_argument,
                              "give the post's text with --text or --file"));
      return;
    }
    auto host = open_or_report(config, exit_code, submit_clock);
    if (!host) return;
    auto id = host->submit(request);
    if (failed(id, exit_code)) return;
    if (as_json)
      std::cout << json{{"id", *id}}.dump() << "\n";
    else
      std::cout << *id << "\n";
  });

  // approve / reject
  int64_t post_id = 0;
  std::string person, comment, reason, stage;
  auto* approve = app.add_subcommand("approve", "Approve a post that waits for an approval.");
  approve->add_option("CONFIG", config, "workflow configuration (YAML)")->required();
  approve->add_option("ID", post_id, "post id")->required();
  approve->add_option("--as", person, "who approves (a person from `people`)")->required();
  approve->add_option("--comment", comment, "a comment for the audit trail");
  approve->add_option("--stage", stage,
                      "the approval stage you mean to approve (refused if the post is elsewhere)");
  approve->add_flag("--json", as_json, "print the post as it is now, as JSON");
  approve->callback([&] {
    auto host = open_or_report(config, exit_code);
    if (!host) return;
    if (failed(host->approve(post_id, person, comment, stage), exit_code)) return;
    herald::print_post_result(*host, post_id, as_json,
                              "post " + std::to_string(post_id) + " approved by " + person,
                              exit_code);
  });
  auto* reject = app.add_subcommand("reject", "Reject a post with a reason.");
  reject->add_option("CONFIG", config, "workflow configuration (YAML)")->required();
  reject->add_option("ID", post_id, "post id")->required();
  reject->add_option("--as", person, "who rejects (a person from `people`)")->required();
  reject->add_option("--reason", reason, "why (shown to the author)")->required();
  reject->add_option("--stage", stage, "the approval stage you mean to reject at");
  reject->add_flag("--json", as_json, "print the post as it is now, as JSON");
  reject->callback([&] {
    auto host = open_or_report(config, exit_code);
    if (!host) return;
    if (failed(host->reject(post_id, person, reason, stage), exit_code)) return;
    herald::print_post_result(*host, post_id, as_json,
                              "post " + std::to_string(post_id) + " rejected by " + person,
                              exit_code);
  });

  // status
  auto* status = app.add_subcommand("status", "Where each post is, why, and what it waits for.");
  std::optional<int64_t> status_id;
  status->add_option("CONFIG", config, "workflow configuration (YAML)")->required();
  status->add_option("ID", status_id, "one post");
  status->add_flag("--json", as_json, "print JSON");
  bool journey = false;
  status->add_flag("--journey", journey,
                   "one line per post: each step it went through and who acted");
  status->callback([&] {
    auto host = open_or_report(config, exit_code);
    if (!host) return;
    std::vector<herald::PostView> views;
    if (status_id) {
      auto one = host->post(*status_id);
      if (failed(one, exit_code)) return;
      views.push_back(*one);
    } else {
      auto all = host->posts();
      if (failed(all, exit_code)) return;
      views = std::move(*all);
    }
    if (journey) {
      auto records = host->audit(status_id);
      if (failed(records, exit_code)) return;
      std::cout << herald::journey_text(views, *records);
      return;
    }
    std::cout << (as_json ? herald::json_text(herald::posts_json(views))
                          : herald::posts_text(views, status_id.has_value()));
  });

  // run
  auto* run = app.add_subcommand("run", "Run the worker loop: move due posts through their steps.");
  bool until_idle = false;
  herald::ClockOptions run_clock;
  int max_rounds = 0;
  int batch = 1024;
  run->add_option("CONFIG", config, "workflow configuration (YAML)")->required();
  run->add_flag("--until-idle", until_idle,
                "stop when nothing is due (virtual clock: when nothing is left to wake)");
  herald::add_clock_options(run, run_clock);
  run->add_option("--max-rounds", max_rounds, "stop after this many rounds");
  std::string until;
  run->add_option("--until", until, "virtual clock: stop when time reaches this instant");
  run->add_option("--batch", batch, "posts per round (group commit size)")
      ->check(CLI::Range(1, 100000));
  run->add_flag("--json", as_json, "print the run summary as JSON");
  bool supervise = false, supervised = false;
  run->add_flag("--supervise", supervise,
                "run the worker as a child process and start a new one whenever a plugin crashes "
                "it or a step hangs past its deadline (see docs/reliability.md)");
  run->add_flag("--supervised", supervised)->group("");  // the child of --supervise
  double restart_delay = 1;
  run->add_option("--restart-delay", restart_delay,
                  "with --supervise: seconds before the first restart (doubling, up to 30 s, "
                  "while workers keep stopping)")
      ->check(CLI::Range(0.01, 30.0))
      ->check([](const std::string& text) {  // Range lets a NaN through
        return std::isfinite(std::strtod(text.c_str(), nullptr)) ? std::string()
                                                                 : "expected a number of seconds";
      });
  run->callback([&] {
    if (supervise) {
      exit_code = herald::supervise_worker(argc, argv, restart_delay);
      return;
    }
    herald::HostOptions options;
    options.resolve_secrets = true;
    options.batch_size = batch;
    auto host = open_or_report(config, exit_code, run_clock, options);
    if (!host) return;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    if (supervised) {
      // A worker whose supervisor is gone (kill -9) stops as if told to by SIGTERM: left
      // running it would be started a second time with the next supervisor, and not again
      // after a crash.
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() == 1) raise(SIGTERM);
    }
    herald::keep_heap_between_rounds();  // this process is the worker
    herald::RunOptions run_options;
    run_options.until_idle = until_idle;
    run_options.max_rounds = max_rounds;
    if (!until.empty()) {
      auto until_ms = herald::parse_cli_instant(until);
      if (failed(until_ms, exit_code)) return;
      run_options.until_ms = *until_ms;
    }
    run_options.stop = &g_stop;
    run_options.stop_now = &g_stop_now;
    run_options.abandon_overdue_steps = supervised;
    run_options.abandon = [&](const std::string& why) {
      // The journal says which step was abandoned; the next worker takes the posts up.
      const int signal = g_signal.load();
      std::cerr << "herald run: " << why << "; stopping without waiting for it (the next "
                << "`herald run` takes up its post)\n";
      std::cerr.flush();
      std::_Exit(g_stop.load() && signal != 0 ? 128 + signal : herald::kAbandoned);
    };
    auto summary = host->run(run_options);
    if (failed(summary, exit_code)) return;
    json out = {{"rounds", summary->rounds},
                {"steps_run", summary->steps_run},
                {"transitions", summary->transitions},
                {"finished", summary->finished},
                {"done", summary->done},
                {"rejected", summary->rejected},
                {"failed", summary->failed},
                {"clock", herald::format_time(host->clock().now_ms(), "UTC")}};
    if (as_json)
      std::cout << out.dump() << "\n";
    else
      std::cout << "ran " << summary->steps_run << " step(s) in " << summary->rounds
                << " round(s); " << summary->finished << " post(s) finished ("
                << summary_counts(*summary) << "); clock at " << out["clock"].get<std::string>()
                << "\n";
  });

  herald::add_governance_commands(app, exit_code);
  herald::add_schedule_commands(app, exit_code);
  herald::add_inbound_commands(app, exit_code);
  herald::add_amplify_commands(app, exit_code);

  herald::add_text_command(app, exit_code);
  herald::add_shell_commands(app, std::string("herald ") + HERALD_VERSION);

  // A mistyped command gets the closest one, rather than being read as an argument.
  if (std::string unknown =
          herald::unknown_command(app, std::vector<std::string>(argv + 1, argv + argc));
      !unknown.empty()) {
    std::cerr << unknown << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "error: out of memory (raise the memory limit, or give the command less to do "
                 "at once)\n";
    return 1;
  }
  return exit_code;
}
