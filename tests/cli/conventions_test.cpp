// What people expect of a command line (as git, gh and kubectl do it): --json wherever a result
// is printed, global options anywhere, the closest command to a mistyped one, colour and table
// width only on a terminal, shell completion and a manual page, and errors in words.
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

namespace herald {
namespace {

using nlohmann::json;

const char* kConfig = R"(herald: 1
accounts:
  corp: { network: x, timezone: Europe/Oslo }
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
  cleo: { roles: [comms_lead, editor] }
workflows:
  announce:
    steps:
      - kind: draft
        plugin: draft/check
      - kind: approve
        plugin: approve
        config: { role: marketing }
      - kind: schedule
        plugin: schedule/at
      - kind: publish
        plugin: outbox
)";

class Conventions : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("company.yaml",
                         std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR + "]\n" + kConfig);
  }
  testing::CommandResult herald(const std::string& args, const std::string& env = "") {
    return testing::run_command(env + " " + HERALD_CLI + " " + args);
  }
  /// Runs `herald args` on a pseudo-terminal (util-linux `script`), with `env` set.
  testing::CommandResult on_terminal(const std::string& args, const std::string& env) {
    std::string command = "env " + env + " " + HERALD_CLI + " " + args;
    std::string quoted = "'";
    for (char c : command) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    quoted += "'";
    return testing::run_command("script -qec " + quoted + " /dev/null < /dev/null");
  }
  /// Submits a post on a virtual clock in 2031 and runs it to the approval; returns its id.
  std::string submit_waiting(const std::string& text = "Hello from Oslo") {
    auto submit = herald("submit " + config_ + " -w announce -a corp --author ana --text '" + text +
                         "' --at '2031-03-02 09:00' --clock virtual --start 2031-03-01T08:00:00Z");
    EXPECT_EQ(submit.exit_code, 0) << submit.output;
    auto run = herald("run " + config_ + " --clock virtual --until-idle --until 2031-03-01T09:00Z");
    EXPECT_EQ(run.exit_code, 0) << run.output;
    std::string id = submit.output;
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }
  testing::TempDir dir_;
  std::string config_;
};

/// The first word of each line of the "Subcommands:" part of `--help`.
std::vector<std::string> subcommands_in_help(const std::string& help) {
  std::vector<std::string> out;
  std::istringstream in(help);
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Subcommands:", 0) == 0 || line.rfind("SUBCOMMANDS:", 0) == 0) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.empty() || line[0] != ' ') break;
    std::istringstream words(line);
    std::string word;
    words >> word;
    if (!word.empty()) out.push_back(word);
  }
  return out;
}

TEST_F(Conventions, EveryCommandThatPrintsAResultTakesJson) {
  for (const char* command : {"validate",
                              "plugins",
                              "submit",
                              "approve",
                              "reject",
                              "inbox",
                              "legal clear",
                              "legal reject",
                              "legal require-edit",
                              "edit",
                              "delegate",
                              "status",
                              "run",
                              "audit",
                              "audit verify",
                              "audit checkpoint",
                              "audit public-key",
                              "retry",
                              "urgent",
                              "pause",
                              "resume",
                              "pauses",
                              "engagement import",
                              "slots",
                              "calendar",
                              "inbound fetch",
                              "inbound import",
                              "inbound list",
                              "inbound moderate",
                              "advocacy optin",
                              "advocacy optout",
                              "advocacy list",
                              "advocacy report",
                              "amplify status",
                              "text"}) {
    auto help = herald(std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_NE(help.output.find("--json"), std::string::npos) << command << ":\n" << help.output;
  }
}

TEST_F(Conventions, ActionsPrintThePostAsStatusDoesWithJson) {
  const std::string id = submit_waiting();
  auto approve = herald("approve " + config_ + " " + id + " --as mo --json");
  ASSERT_EQ(approve.exit_code, 0) << approve.output;
  json approved = json::parse(approve.output);
  EXPECT_EQ(approved["id"], std::stoi(id));
  auto status = json::parse(herald("status " + config_ + " " + id + " --json").output)[0];
  EXPECT_EQ(approved, status) << "the same fields, with the same names, as status --json";

  const std::string second = submit_waiting("Second post");
  auto edit = herald("edit " + config_ + " " + second + " --as ana --text 'Better' --json");
  ASSERT_EQ(edit.exit_code, 0) << edit.output;
  EXPECT_EQ(json::parse(edit.output)["revision"], 2);
  EXPECT_EQ(json::parse(edit.output)["text"], "Better");
  ASSERT_EQ(herald("run " + config_ + " --clock virtual --until-idle --until 2031-03-01T10:00Z")
                .exit_code,
            0);
  auto reject = herald("reject " + config_ + " " + second + " --as mo --reason 'not now' --json");
  ASSERT_EQ(reject.exit_code, 0) << reject.output;
  EXPECT_EQ(json::parse(reject.output),
            json::parse(herald("status " + config_ + " " + second + " --json").output)[0]);

  auto delegate = herald("delegate " + config_ +
                         " --from mo --to cleo --until 2031-03-10T00:00:00Z --clock virtual "
                         "--json");
  ASSERT_EQ(delegate.exit_code, 0) << delegate.output;
  json delegation = json::parse(delegate.output);
  EXPECT_EQ(delegation["from"], "mo");
  EXPECT_EQ(delegation["to"], "cleo");
  EXPECT_EQ(delegation["until"], "2031-03-10T00:00:00Z");
  EXPECT_GT(delegation["id"].get<int64_t>(), 0);

  auto pause = herald("pause " + config_ + " --reason incident --as cleo --json");
  ASSERT_EQ(pause.exit_code, 0) << pause.output;
  EXPECT_EQ(json::parse(pause.output)["paused_by"], "cleo");
  EXPECT_EQ(json::parse(pause.output)["reason"], "incident");
  auto resume = herald("resume " + config_ + " --as cleo --json");
  ASSERT_EQ(resume.exit_code, 0) << resume.output;
  json resumed = json::parse(resume.output);
  EXPECT_EQ(resumed["pause"]["reason"], "incident");
  EXPECT_TRUE(resumed.contains("due") && resumed.contains("replanned")) << resume.output;

  auto calendar = herald("calendar " + config_ + " --from 2031-03-01 --days 3 --json");
  ASSERT_EQ(calendar.exit_code, 0) << calendar.output;
  json plan = json::parse(calendar.output);
  EXPECT_EQ(plan["from"], "2031-03-01");
  ASSERT_EQ(plan["accounts"].size(), 1u);
  EXPECT_EQ(plan["accounts"][0]["account"], "corp");
  ASSERT_EQ(plan["accounts"][0]["days"].size(), 3u);
  EXPECT_EQ(plan["accounts"][0]["days"][1]["day"], "2031-03-02");
  ASSERT_GE(plan["accounts"][0]["days"][1]["posts"].size(), 1u) << calendar.output;
  EXPECT_EQ(plan["accounts"][0]["days"][1]["posts"][0]["id"], std::stoi(id));
  EXPECT_EQ(plan["accounts"][0]["days"][0]["posts"].size(), 0u) << calendar.output;

  auto refused = herald("approve " + config_ + " 99 --as mo --json");
  EXPECT_EQ(refused.exit_code, 6) << refused.output;
}

TEST_F(Conventions, GlobalOptionsWorkBeforeOrAfterTheCommand) {
  for (const std::string& line :
       {"--log-level debug status " + config_, "status " + config_ + " --log-level debug",
        "status --log-level=debug " + config_, "audit verify " + config_ + " --log-level debug",
        "--color never status " + config_ + " --wide", "status " + config_ + " --color=always"}) {
    auto result = herald(line);
    EXPECT_EQ(result.exit_code, 0) << line << "\n" << result.output;
  }
  // The worker logs each step at debug level, whichever side of the command the option is.
  ASSERT_EQ(herald("submit " + config_ +
                   " -w announce -a corp --author ana --text hi --at '2031-03-02 09:00' --clock "
                   "virtual --start 2031-03-01T08:00:00Z")
                .exit_code,
            0);
  auto debug = herald("run " + config_ + " --clock virtual --until-idle --log-level debug");
  EXPECT_EQ(debug.exit_code, 0) << debug.output;
  EXPECT_NE(debug.output.find("post 1 step draft"), std::string::npos) << debug.output;
  auto bad = herald("status " + config_ + " --log-level loud");
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--log-level"), std::string::npos) << bad.output;
  auto bad_color = herald("status " + config_ + " --color=sometimes");
  EXPECT_EQ(bad_color.exit_code, 2) << bad_color.output;
}

TEST_F(Conventions, AMistypedCommandGetsTheClosestOne) {
  auto typo = herald("statsu " + config_);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.output, "herald: unknown command 'statsu'; did you mean 'status'?\n");
  auto after_option = herald("--log-level debug aprove " + config_ + " 1 --as mo");
  EXPECT_EQ(after_option.exit_code, 2);
  EXPECT_EQ(after_option.output, "herald: unknown command 'aprove'; did you mean 'approve'?\n");
  auto nested = herald("legal claer " + config_ + " 1 --as mo");
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_EQ(nested.output, "herald legal: unknown command 'claer'; did you mean 'clear'?\n");
  auto far = herald("frobnicate");
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_NE(far.output.find("herald: unknown command 'frobnicate'; the commands are: validate, "),
            std::string::npos)
      << far.output;
  // A command that takes arguments as well as commands: a word close to one of its commands,
  // and not a file, is a mistyped command.
  auto verify = herald("audit verfy " + config_);
  EXPECT_EQ(verify.exit_code, 2);
  EXPECT_EQ(verify.output, "herald audit: unknown command 'verfy'; did you mean 'verify'?\n");
  // A word where a command takes an argument is the argument, not a command.
  EXPECT_EQ(herald("status " + config_).exit_code, 0);
  EXPECT_EQ(herald("audit " + config_).exit_code, 0);
}

TEST_F(Conventions, ColourOnlyOnATerminalAndNeverWithNoColor) {
  submit_waiting();
  const std::string bold = "\x1b[1m";
  auto piped = herald("status " + config_);
  ASSERT_EQ(piped.exit_code, 0) << piped.output;
  EXPECT_EQ(piped.output.find('\x1b'), std::string::npos) << "not a terminal";
  auto terminal = on_terminal("status " + config_, "NO_COLOR=");
  ASSERT_EQ(terminal.exit_code, 0) << terminal.output;
  EXPECT_NE(terminal.output.find(bold + "ID"), std::string::npos) << terminal.output;
  auto no_color = on_terminal("status " + config_, "NO_COLOR=1");
  EXPECT_EQ(no_color.output.find('\x1b'), std::string::npos) << no_color.output;
  auto never = on_terminal("status " + config_ + " --color=never", "NO_COLOR=");
  EXPECT_EQ(never.output.find('\x1b'), std::string::npos) << never.output;
  auto always = herald("status " + config_ + " --color always", "NO_COLOR=1");
  EXPECT_NE(always.output.find(bold + "ID"), std::string::npos) << always.output;

  // The logs on stderr follow the same rules.
  submit_waiting("Second");
  const std::string submit =
      "submit " + config_ + " -w announce -a corp --author ana --text t --at '2031-03-03 09:00'";
  ASSERT_EQ(herald(submit).exit_code, 0);
  auto plain_logs = on_terminal("run " + config_ +
                                    " --clock virtual --until-idle --until "
                                    "2031-03-01T11:00Z --log-level debug",
                                "TERM=xterm NO_COLOR=1");
  EXPECT_NE(plain_logs.output.find("[debug]"), std::string::npos) << plain_logs.output;
  EXPECT_EQ(plain_logs.output.find('\x1b'), std::string::npos) << plain_logs.output;
  ASSERT_EQ(herald(submit).exit_code, 0);
  auto coloured_logs = on_terminal("run " + config_ +
                                       " --clock virtual --until-idle --until "
                                       "2031-03-01T12:00Z --log-level debug",
                                   "TERM=xterm NO_COLOR=");
  EXPECT_NE(coloured_logs.output.find("\x1b["), std::string::npos) << coloured_logs.output;
}

TEST_F(Conventions, TablesWrapTheirLastColumnToFitTheTerminal) {
  const std::string id = submit_waiting();
  std::string reason = "the launch moved";
  for (int i = 0; i < 12; ++i) reason += " and the legal text of the offer changed again";
  ASSERT_EQ(herald("reject " + config_ + " " + id + " --as mo --reason '" + reason + "'").exit_code,
            0);
  auto fitted = on_terminal("audit " + config_, "COLUMNS=100 NO_COLOR=1");
  ASSERT_EQ(fitted.exit_code, 0) << fitted.output;
  std::istringstream lines(fitted.output);
  std::string joined;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t shown = 0;
    for (unsigned char c : line) shown += (c & 0xC0) != 0x80;
    EXPECT_LE(shown, 100u) << line;
    joined += line + "\n";
  }
  // Every word is there, on lines of their own under DETAIL: nothing is cut.
  EXPECT_NE(joined.find("changed again"), std::string::npos) << joined;
  EXPECT_EQ(joined.find("…"), std::string::npos) << joined;

  // The calendar's week grid: fewer days a row on a narrow terminal.
  auto calendar =
      on_terminal("calendar " + config_ + " --from 2031-03-01", "COLUMNS=60 NO_COLOR=1");
  ASSERT_EQ(calendar.exit_code, 0) << calendar.output;
  std::istringstream grid(calendar.output);
  for (std::string line; std::getline(grid, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("✓", 0) == 0) continue;  // the legend
    size_t shown = 0;
    for (unsigned char c : line) shown += (c & 0xC0) != 0x80;
    EXPECT_LE(shown, 60u) << line;
  }
  EXPECT_NE(calendar.output.find("Sat 03-01"), std::string::npos) << calendar.output;
  EXPECT_NE(calendar.output.find("Fri 03-07"), std::string::npos) << calendar.output;

  auto wide = on_terminal("audit " + config_ + " --wide", "COLUMNS=100 NO_COLOR=1");
  EXPECT_NE(wide.output.find(reason), std::string::npos) << "--wide prints the column whole";
  auto piped = herald("audit " + config_, "COLUMNS=100");
  EXPECT_NE(piped.output.find(reason), std::string::npos) << "not a terminal: in full";
}

TEST_F(Conventions, BashCompletionCompletesCommandsOptionsAndValues) {
  auto script = herald("completion bash");
  ASSERT_EQ(script.exit_code, 0) << script.output;
  const std::string file = dir_.write("herald.bash", script.output);
  auto complete = [&](const std::string& words, int cword) {
    return testing::run_command("bash --norc --noprofile -c 'source " + file + " && COMP_WORDS=(" +
                                words + ") && COMP_CWORD=" + std::to_string(cword) +
                                " && _herald && echo \"${COMPREPLY[*]}\"'")
        .output;
  };
  EXPECT_EQ(complete("herald sta", 1), "status\n");
  EXPECT_EQ(complete("herald audit ver", 2), "verify\n");
  EXPECT_EQ(complete("herald legal re", 2), "reject require-edit\n");
  EXPECT_EQ(complete("herald status x.yaml --j", 3), "--json --journey\n");
  EXPECT_EQ(complete("herald status x.yaml --js", 3), "--json\n");
  EXPECT_EQ(complete("herald status \"\" --log", 3), "--log-level\n") << "after an empty word";
  EXPECT_EQ(complete("herald status x.yaml --log-level d", 4), "debug\n");
  EXPECT_EQ(complete("herald submit x.yaml --col", 3), "--color\n") << "global options too";

  // The files `cmake --install` puts under share/ are the program's own output.
  const std::filesystem::path share =
      std::filesystem::path(HERALD_CLI).parent_path().parent_path() / "share";
  EXPECT_EQ(testing::read_file((share / "bash-completion/completions/herald").string()),
            script.output);
  EXPECT_EQ(testing::read_file((share / "zsh/site-functions/_herald").string()),
            herald("completion zsh").output);
  EXPECT_EQ(testing::read_file((share / "fish/vendor_completions.d/herald.fish").string()),
            herald("completion fish").output);
  EXPECT_EQ(testing::read_file((share / "man/man1/herald.1").string()), herald("man").output);

  auto zsh = herald("completion zsh");
  EXPECT_EQ(zsh.output.rfind("#compdef herald\n", 0), 0u);
  EXPECT_NE(zsh.output.find("[\'herald audit\']=\'verify checkpoint public-key export\'"),
            std::string::npos)
      << zsh.output;
  auto fish = herald("completion fish");
  EXPECT_NE(fish.output.find("complete -c herald -f -n '__fish_use_subcommand' -a status"),
            std::string::npos)
      << fish.output;
  auto unknown = herald("completion tcsh");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
}

TEST_F(Conventions, TheManualPageListsEveryCommand) {
  auto man = herald("man");
  ASSERT_EQ(man.exit_code, 0) << man.output;
  EXPECT_EQ(man.output.rfind(".TH HERALD 1", 0), 0u);
  auto top = subcommands_in_help(herald("--help").output);
  ASSERT_GT(top.size(), 20u);
  size_t checked = 0;
  for (const std::string& command : top) {
    EXPECT_NE(man.output.find(".SS \"herald " + command), std::string::npos) << command;
    ++checked;
    for (const std::string& sub : subcommands_in_help(herald(command + " --help").output)) {
      EXPECT_NE(man.output.find(".SS \"herald " + command + " " + sub), std::string::npos)
          << command << " " << sub;
      ++checked;
    }
  }
  EXPECT_GT(checked, 40u);
  EXPECT_NE(man.output.find("\\-\\-log\\-level"), std::string::npos);
  // groff reads it without a warning.
  const std::string page = dir_.write("herald.1", man.output);
  auto groff = testing::run_command("groff -man -Tutf8 -ww -z " + page);
  EXPECT_EQ(groff.exit_code, 0) << groff.output;
  EXPECT_EQ(groff.output, "");
}

TEST_F(Conventions, ABrokenPluginFileIsNamedWithWhatToDo) {
  std::filesystem::create_directories(dir_.path() / "extra");
  std::string random_bytes;
  uint32_t state = 12345;
  for (int i = 0; i < 4096; ++i) {
    state = state * 1103515245u + 12345u;
    random_bytes += static_cast<char>(state >> 24);
  }
  const std::string noise = dir_.write("extra/noise.so", random_bytes);
  const std::string config =
      dir_.write("broken.yaml", std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR + ", " +
                                    dir_.file("extra") + "]\n" + kConfig);
  auto result = herald("validate " + config);
  EXPECT_EQ(result.exit_code, 4) << result.output;
  EXPECT_NE(result.output.find(noise + ": not a loadable plugin"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("remove it from the plugin folder"), std::string::npos)
      << result.output;
  EXPECT_EQ(result.output.find("basic_ios"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("iostream"), std::string::npos) << result.output;

  // A real plugin cut short.
  std::filesystem::remove(noise);
  const std::string whole =
      testing::read_file(std::string(BUILTIN_PLUGIN_DIR) + "/herald_outbox.so");
  ASSERT_GT(whole.size(), 20000u);
  const std::string cut = dir_.write("extra/cut.so", whole.substr(0, whole.size() / 3));
  auto truncated = herald("validate " + config);
  EXPECT_EQ(truncated.exit_code, 4) << truncated.output;
  EXPECT_NE(truncated.output.find(cut + ": not a loadable plugin"), std::string::npos)
      << truncated.output;
  EXPECT_EQ(truncated.output.find("boost"), std::string::npos) << truncated.output;
  EXPECT_EQ(truncated.output.find("iostream"), std::string::npos) << truncated.output;
}

TEST_F(Conventions, ABadJsonLineSaysLineAndColumnInWords) {
  const std::string input = dir_.write("lines.jsonl", "{\"text\": \"fine\"}\n{\"text\": oops}\n");
  auto result = herald("text --json " + input);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  std::istringstream lines(result.output);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  json error = json::parse(second);
  EXPECT_EQ(error["line"], 2);
  const std::string message = error["error"];
  EXPECT_EQ(message.rfind("line 2, column 10: expected a value", 0), 0u) << message;
  EXPECT_EQ(message.find("json.exception"), std::string::npos) << message;
  auto plain = herald("text " + input);
  EXPECT_NE(plain.output.find("line 2, column 10: error: expected a value"), std::string::npos)
      << plain.output;
}

TEST_F(Conventions, AMentionLineThatIsNotJsonSaysWhere) {
  const std::string config =
      dir_.write("inbound.yaml", std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
herald: 1
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
inbound:
  accounts: [corp]
workflows:
  w:
    steps:
      - { kind: publish, plugin: outbox }
)");
  const std::string mentions =
      dir_.write("mentions.jsonl",
                 "{\"author\": \"@a\", \"text\": \"hi\", \"network\": \"mastodon\"}\n"
                 "{\"author\": \"@b\", text: \"x\"}\n");
  auto result = herald("inbound import " + config + " " + mentions);
  EXPECT_EQ(result.exit_code, 2) << result.output;
  EXPECT_NE(result.output.find(mentions + ":2: not JSON: column 19: expected"), std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("nothing was imported"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find("json.exception"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace herald
