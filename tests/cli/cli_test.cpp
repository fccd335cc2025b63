// The `herald` command as a user runs it: output, JSON, exit codes, and error messages.
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace herald {
namespace {

const char* kConfig = R"(herald: 1
accounts:
  corp:
    network: x
    timezone: Europe/Oslo
    credentials:
      token: ${env:HERALD_CLI_TEST_TOKEN}
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
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

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("company.yaml",
                         std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR + "]\n" + kConfig);
  }
  testing::CommandResult herald(const std::string& args,
                                const std::string& env = "HERALD_CLI_TEST_TOKEN=t0k3n-secret") {
    return testing::run_command(env + " " + HERALD_CLI + " " + args);
  }
  testing::TempDir dir_;
  std::string config_;
};

TEST_F(Cli, EveryCommandHasHelp) {
  for (const char* command :
       {"validate", "doctor", "plugins", "submit", "approve", "reject", "status", "run", "audit",
        "text", "urgent", "pause", "resume", "pauses", "engagement import", "slots", "calendar"}) {
    auto result = herald(std::string(command) + " --help");
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_NE(result.output.find("Usage"), std::string::npos) << command << ": " << result.output;
  }
  auto version = herald("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("plugin ABI 1."), std::string::npos);
}

TEST_F(Cli, ASessionFromSubmitToPublish) {
  auto validate = herald("validate " + config_);
  ASSERT_EQ(validate.exit_code, 0) << validate.output;
  EXPECT_NE(validate.output.find("1. draft (draft) by draft/check"), std::string::npos)
      << validate.output;

  auto submit =
      herald("submit " + config_ +
             " -w announce -a corp --author ana --text 'Hello from Oslo' --at '2026-12-01 09:00'"
             " --clock virtual --start 2026-11-30T08:00:00Z");
  ASSERT_EQ(submit.exit_code, 0) << submit.output;
  EXPECT_EQ(submit.output, "1\n");

  auto run =
      herald("run " + config_ + " --clock virtual --start 2026-11-30T08:00:00Z --until-idle");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto status = herald("status " + config_ + " --json");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  auto posts = nlohmann::json::parse(status.output);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["state"], "waiting");
  EXPECT_EQ(posts[0]["expects"][0]["role"], "marketing");
  EXPECT_EQ(posts[0]["publish_at"], "2026-12-01T08:00:00Z") << "09:00 in Oslo";

  auto own = herald("approve " + config_ + " 1 --as ana");
  EXPECT_EQ(own.exit_code, 7) << own.output;
  EXPECT_NE(own.output.find("needs role marketing"), std::string::npos) << own.output;

  auto approve = herald("approve " + config_ + " 1 --as mo --comment 'ok'");
  ASSERT_EQ(approve.exit_code, 0) << approve.output;
  auto twice = herald("approve " + config_ + " 1 --as mo");
  EXPECT_EQ(twice.exit_code, 7) << twice.output;
  EXPECT_NE(twice.output.find("already approved"), std::string::npos) << twice.output;

  ASSERT_EQ(herald("run " + config_ + " --clock virtual --until-idle").exit_code, 0);
  auto one = herald("status " + config_ + " 1");
  ASSERT_EQ(one.exit_code, 0);
  EXPECT_NE(one.output.find("state:     done"), std::string::npos) << one.output;
  EXPECT_NE(one.output.find("2026-12-01 09:00 CET"), std::string::npos) << one.output;
  EXPECT_EQ(testing::count_lines(testing::read_file(dir_.file("outbox/corp.jsonl"))), 1u);

  auto audit = herald("audit " + config_ + " 1 --json");
  ASSERT_EQ(audit.exit_code, 0);
  auto records = nlohmann::json::parse(audit.output);
  EXPECT_EQ(records.front()["action"], "submit");
  EXPECT_EQ(records.back()["step"], "publish");
  EXPECT_EQ(records.back()["at"], "2026-12-01T08:00:00Z");
}

TEST_F(Cli, SubmitChecksATimeAgainstTheClockItIsGiven) {
  const std::string submit = "submit " + config_ + " -w announce -a corp --author ana --text hi";
  // An hour before the virtual clock's start is in the past; an hour after is not.
  auto past =
      herald(submit + " --at 2031-03-01T08:00:00Z --clock virtual --start 2031-03-01T09:00Z");
  EXPECT_EQ(past.exit_code, 2) << past.output;
  EXPECT_NE(past.output.find("in the past"), std::string::npos) << past.output;
  auto future =
      herald(submit + " --at 2031-03-01T10:00:00Z --clock virtual --start 2031-03-01T09:00Z");
  EXPECT_EQ(future.exit_code, 0) << future.output;
  // The store remembers the virtual clock: later commands use it without --start.
  auto remembered = herald(submit + " --at 2031-03-01T09:30:00Z --clock virtual");
  EXPECT_EQ(remembered.exit_code, 0) << remembered.output;
  auto start_alone = herald(submit + " --start 2031-03-01T09:00Z");
  EXPECT_EQ(start_alone.exit_code, 2) << start_alone.output;
  EXPECT_NE(start_alone.output.find("--start needs --clock virtual"), std::string::npos);
  auto bad_start = herald(submit + " --clock virtual --start yesterday-ish");
  EXPECT_EQ(bad_start.exit_code, 2) << bad_start.output;
}

TEST_F(Cli, ErrorsHaveExitCodesAndNeverShowSecrets) {
  auto missing_secret = herald("validate " + config_, "");
  EXPECT_EQ(missing_secret.exit_code, 3);
  EXPECT_NE(missing_secret.output.find("HERALD_CLI_TEST_TOKEN is not set"), std::string::npos)
      << missing_secret.output;

  auto ok = herald("validate " + config_ + " --log-level debug");
  EXPECT_EQ(ok.output.find("t0k3n-secret"), std::string::npos);

  auto workflow = herald("submit " + config_ + " -w nope -a corp --text hi");
  EXPECT_EQ(workflow.exit_code, 6);
  EXPECT_NE(workflow.output.find("unknown workflow 'nope'"), std::string::npos);
  auto account = herald("submit " + config_ + " -w announce -a nope --text hi");
  EXPECT_EQ(account.exit_code, 6);
  auto no_text = herald("submit " + config_ + " -w announce -a corp");
  EXPECT_EQ(no_text.exit_code, 2);
  auto usage = herald("submit " + config_ + " --bogus");
  EXPECT_EQ(usage.exit_code, 2);
  auto no_post = herald("status " + config_ + " 42");
  EXPECT_EQ(no_post.exit_code, 6);
  auto bad_yaml = herald("validate " + dir_.write("bad.yaml", "herald: 1\nworkflows: [\n"));
  EXPECT_EQ(bad_yaml.exit_code, 3);
  EXPECT_NE(bad_yaml.output.find("bad.yaml:"), std::string::npos);
  auto not_db =
      dir_.write("junk.yaml", std::string("store: { path: junk.db }\n") + "plugin_paths: [" +
                                  BUILTIN_PLUGIN_DIR + "]\n" + kConfig);
  dir_.write("junk.db", std::string(4096, 'j'));
  auto store = herald("status " + not_db);
  EXPECT_EQ(store.exit_code, 5);
  EXPECT_NE(store.output.find("junk.db"), std::string::npos) << store.output;
}

// A byte that is not UTF-8, written as the shell's printf writes it.
const std::string kNotUtf8 = "\"$(printf 'ok\\377')\"";

TEST_F(Cli, InputThatIsNotUtf8IsRefusedAndNothingIsStored) {
  const std::string submit = "submit " + config_ + " -w announce -a corp ";
  for (const std::string& args :
       {"--author ana --text hi --tag " + kNotUtf8, "--author ana --text " + kNotUtf8,
        "--author " + kNotUtf8 + " --text hi"}) {
    auto refused = herald(submit + args);
    EXPECT_EQ(refused.exit_code, 2) << args << ": " << refused.output;
    EXPECT_NE(refused.output.find("is not valid UTF-8 (byte 3 of 3)"), std::string::npos)
        << args << ": " << refused.output;
    EXPECT_EQ(refused.output.find('\xff'), std::string::npos) << "the byte is not repeated";
  }
  auto newline = herald(submit + "--author ana --text hi --tag \"$(printf 'a\\nb')\"");
  EXPECT_EQ(newline.exit_code, 2) << newline.output;
  EXPECT_NE(newline.output.find("a tag contains a line break"), std::string::npos)
      << newline.output;
  auto status = herald("status " + config_ + " --json");
  ASSERT_EQ(status.exit_code, 0) << status.output;
  EXPECT_EQ(nlohmann::json::parse(status.output).size(), 0u) << "nothing was stored";
}

// Whatever the database holds (here: bytes that are not UTF-8 in every free-text column, written
// with plain SQLite), every JSON output prints valid JSON and exits 0.
TEST_F(Cli, JsonOutputsSurviveBytesThatAreNotUtf8InTheStore) {
  const std::string clock = " --clock virtual --start 2031-03-01T08:00:00Z";
  ASSERT_EQ(
      herald("submit " + config_ + " -w announce -a corp --author ana --text hi --tag t" + clock)
          .exit_code,
      0);
  ASSERT_EQ(herald("run " + config_ + " --clock virtual --until-idle").exit_code, 0);
  ASSERT_EQ(herald("approve " + config_ + " 1 --as mo --comment fine").exit_code, 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("company.db").c_str(), &db), SQLITE_OK);
  const char* corrupt = R"sql(
    UPDATE posts SET text = text || X'FF', author = author || X'FE', tags = tags || X'FF',
                     zone = zone || X'C3', time_note = X'FF';
    UPDATE post_states SET reason = reason || X'FF', remote_id = X'FF', note = X'FE',
                           stage = X'FF', plan_note = X'FF', expects = expects || X'FF';
    UPDATE events SET comment = comment || X'FF', actor = actor || X'FF';
    UPDATE audit SET detail = detail || X'FF', actor = actor || X'FE';
  )sql";
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db, corrupt, nullptr, nullptr, &error), SQLITE_OK) << error;
  sqlite3_close(db);
  for (const std::string& command :
       {"status " + config_ + " --json", "status " + config_ + " 1 --json",
        "audit " + config_ + " --json", "audit " + config_ + " 1 --json",
        "inbox " + config_ + " --as mo --json"}) {
    auto result = herald(command);
    EXPECT_EQ(result.exit_code, 0) << command << ": " << result.output;
    EXPECT_FALSE(nlohmann::json::parse(result.output, nullptr, false).is_discarded())
        << command << ": " << result.output;
  }
}

TEST_F(Cli, DoctorFindsADamagedStoreThatOpeningNoLongerReadsWhole) {
  std::string texts = "text\n";
  for (int i = 0; i < 600; ++i)
    texts += "Post number " + std::to_string(i) + " with enough words to fill the pages\n";
  const std::string csv = dir_.write("texts.csv", texts);
  auto submit =
      herald("submit " + config_ + " --from " + csv + " -w announce -a corp --author ana");
  ASSERT_EQ(submit.exit_code, 0) << submit.output;

  auto sound = herald("doctor " + config_);
  EXPECT_EQ(sound.exit_code, 0) << sound.output;
  EXPECT_NE(sound.output.find(": sound (quick check"), std::string::npos) << sound.output;
  auto full = herald("doctor --full --json " + config_);
  EXPECT_EQ(full.exit_code, 0) << full.output;
  auto verdict = nlohmann::json::parse(full.output);
  EXPECT_EQ(verdict["sound"], true);
  EXPECT_EQ(verdict["check"], "integrity_check");
  const std::string store = verdict["store"];

  // Overwrite a page in the middle of the file (not the header or the schema): the store still
  // opens, and the doctor names the damage.
  const auto size = std::filesystem::file_size(store);
  ASSERT_GT(size, 16u * 4096) << "the store should span many pages";
  {
    std::fstream file(store, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>((size / 4096 / 2) * 4096));
    const std::string garbage(4096, '\x5a');
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  auto damaged = herald("doctor " + config_);
  EXPECT_EQ(damaged.exit_code, 5) << damaged.output;
  EXPECT_NE(damaged.output.find(": damaged: "), std::string::npos) << damaged.output;
  EXPECT_NE(damaged.output.find("Restore the store from a backup"), std::string::npos)
      << damaged.output;
  auto damaged_json = herald("doctor --json " + config_);
  EXPECT_EQ(damaged_json.exit_code, 5);
  EXPECT_EQ(nlohmann::json::parse(damaged_json.output)["sound"], false) << damaged_json.output;

  // A folder or a missing file is no store: said, not checked.
  auto missing = herald(
      "doctor " + dir_.write("missing.yaml", std::string("store: { path: ") + dir_.path().string() +
                                                 "/none.db }\nplugin_paths: [" +
                                                 BUILTIN_PLUGIN_DIR + "]\n" + kConfig));
  EXPECT_EQ(missing.exit_code, 5) << missing.output;
  EXPECT_NE(missing.output.find("no store here"), std::string::npos) << missing.output;
}

TEST_F(Cli, ListsPlugins) {
  auto result = herald(std::string("plugins --json --plugin-path ") + BUILTIN_PLUGIN_DIR);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto plugins = nlohmann::json::parse(result.output);
  ASSERT_EQ(plugins.size(), 16u);  // six steps, advocacy, crosspost, promote, the notifiers,
                                   // the inbound steps, the mastodon, bluesky, x, linkedin and
                                   // webhook publishers
  std::set<std::string> kinds;
  for (const auto& p : plugins) kinds.insert(p["components"][0]["kind"].get<std::string>());
  EXPECT_EQ(kinds, (std::set<std::string>{"draft", "approve", "legal_review", "schedule", "publish",
                                          "amplify", "notify", "inbound"}));
  auto bad = herald(std::string("plugins --plugin-path ") + FIXTURE_DIR +
                    "/herald_fixture_wrong_major.so");
  EXPECT_EQ(bad.exit_code, 4);
  EXPECT_NE(bad.output.find("ABI 2"), std::string::npos);
}

}  // namespace
}  // namespace herald

namespace herald {
namespace {

/// The JSON objects of `herald text --json` output, one per line.
nlohmann::json json_lines(const std::string& output) {
  nlohmann::json lines = nlohmann::json::array();
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Scheduling from the command line: a cadence, a held post, a pause and resume, engagement
// history, and the calendar as a page.
TEST(CliSchedule, PauseResumeSlotsAndTheCalendar) {
  testing::TempDir dir;
  std::string config = dir.write("s.yaml", std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR +
                                               R"(]
herald: 1
accounts:
  corp: { network: mastodon, timezone: America/New_York }
  bare: { network: mastodon }
people:
  ana: { roles: [writer] }
  cleo: { roles: [comms_lead] }
workflows:
  w:
    steps:
      - kind: schedule
        plugin: schedule/cadence
        config:
          hours: "08:00-18:00"
          urgent_role: comms_lead
          accounts: [{ account: bare, hours: "00:00-24:00" }]
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
  auto herald = [&](const std::string& args) {
    return testing::run_command(std::string(HERALD_CLI) + " " + args);
  };
  ASSERT_EQ(herald("run " + config + " --clock virtual --start 2026-11-30T08:00:00Z").exit_code, 0);
  auto no_zone = herald("submit " + config +
                        " -w w -a bare --author ana --text hi --at "
                        "'2026-12-01 09:00'");
  EXPECT_EQ(no_zone.exit_code, 2);
  EXPECT_NE(no_zone.output.find("has no time zone"), std::string::npos) << no_zone.output;
  auto night = herald("submit " + config +
                      " -w w -a corp --author ana --text night --at '2026-12-01 23:00'");
  ASSERT_EQ(night.exit_code, 0) << night.output;
  auto day = herald("submit " + config + " -w w -a corp --author ana --text day");
  ASSERT_EQ(day.exit_code, 0) << day.output;
  ASSERT_EQ(herald("run " + config + " --clock virtual --until 2026-11-30T09:00:00Z").exit_code, 0);
  auto held = herald("status " + config + " 1");
  EXPECT_NE(held.output.find("outside the allowed days and hours"), std::string::npos)
      << held.output;

  auto pause = herald("pause " + config + " --reason 'incident' --as cleo");
  EXPECT_EQ(pause.exit_code, 0) << pause.output;
  auto twice = herald("pause " + config + " --reason 'again' --as ana");
  EXPECT_EQ(twice.exit_code, 7) << twice.output;
  EXPECT_NE(twice.output.find("already paused by cleo"), std::string::npos) << twice.output;
  EXPECT_NE(herald("pauses " + config).output.find("incident"), std::string::npos);
  auto stranger = herald("pause " + config + " --account corp --reason x --as nobody");
  EXPECT_EQ(stranger.exit_code, 6) << stranger.output;
  auto status = herald("status " + config);
  EXPECT_NE(status.output.find("(paused)"), std::string::npos) << status.output;
  auto resume = herald("resume " + config + " --as ana --reason 'all clear'");
  EXPECT_EQ(resume.exit_code, 0) << resume.output;
  EXPECT_EQ(herald("resume " + config + " --as ana").exit_code, 6);

  std::string csv = dir.write("h.csv",
                              "timestamp,impressions,engagements\n"
                              "2026-11-02 10:00,1000,50\n2026-11-09 10:00,1000,50\n"
                              "2026-11-16 10:00,1000,50\n2026-11-03 15:00,1000,10\n");
  auto imported = herald("engagement import " + config + " --account corp " + csv);
  EXPECT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_NE(imported.output.find("imported 4 row(s)"), std::string::npos) << imported.output;
  auto slots = herald("slots " + config + " --account corp --json");
  ASSERT_EQ(slots.exit_code, 0) << slots.output;
  auto best = nlohmann::json::parse(slots.output);
  ASSERT_EQ(best.size(), 1u);  // only Monday 10:00 has 3 posts
  EXPECT_EQ(best[0]["day"], "Mon");
  EXPECT_EQ(best[0]["time"], "10:00");

  std::string page = dir.file("calendar.html");
  auto calendar = herald("calendar " + config + " --from 2026-11-30 --html " + page);
  ASSERT_EQ(calendar.exit_code, 0) << calendar.output;
  std::string html = testing::read_file(page);
  EXPECT_NE(html.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(html.find("#2 waiting"), std::string::npos) << html;
  EXPECT_NE(html.find("#1 held"), std::string::npos) << html;
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // nothing to fetch
  auto week = herald("calendar " + config + " --from 2026-11-30 --account corp");
  EXPECT_NE(week.output.find("08:00 #2 ·"), std::string::npos) << week.output;
  EXPECT_NE(week.output.find("23:00 #1 !"), std::string::npos) << week.output;
}

TEST_F(Cli, PythonIsLoadedOnlyForAConfigurationThatUsesItAndAMissingModuleIsNamed) {
  // A copy of the program with no lib/herald/herald-python.so beside it.
  std::filesystem::create_directories(dir_.path() / "bin");
  const std::filesystem::path lone = dir_.path() / "bin" / "herald";
  std::filesystem::copy_file(HERALD_CLI, lone);
  if (std::filesystem::exists(HERALD_INSTALL_PYTHON_MODULE))
    GTEST_SKIP() << "Herald is installed on this machine: the copy would find its Python there";
  const std::string env = "HERALD_CLI_TEST_TOKEN=t0k3n-secret ";
  // Without Python in the configuration, the copy works: it never looks for the module.
  auto plain = testing::run_command(env + lone.string() + " validate " + config_);
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  // With a hook, it says which file it needs and what to do.
  std::string text = std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR + "]\n" + kConfig +
                     "hooks:\n  before_publish: \"acme.hooks:tag\"\n";
  std::string hooked = dir_.write("hooked.yaml", text);
  auto result = testing::run_command(env + lone.string() + " validate " + hooked);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("herald-python.so"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("reinstall Herald"), std::string::npos) << result.output;
}

TEST(CliText, CountsEachLineAsTheNetworkDoes) {
  testing::TempDir dir;
  // A URL counts 23 on X and Mastodon; a family emoji counts 2 on X and 1 grapheme elsewhere;
  // @user@domain counts as @user on Mastodon.
  std::string input = dir.write("in.jsonl",
                                "{\"text\": \"Hello https://example.com/x "
                                "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F"
                                "\x91\xA7\"}\n"
                                "{\"text\": \"@alice@example.social hi\"}\n");
  auto x = testing::run_command(std::string(HERALD_CLI) + " text --network x --json " + input);
  EXPECT_EQ(x.exit_code, 0) << x.output;
  auto lines = json_lines(x.output);
  ASSERT_EQ(lines.size(), 2u) << x.output;
  EXPECT_EQ(lines[0]["weightedLength"], 6 + 23 + 1 + 2);
  EXPECT_EQ(lines[0]["limit"], 280);
  EXPECT_EQ(lines[0]["valid"], true);

  auto mastodon =
      testing::run_command(std::string(HERALD_CLI) + " text --network mastodon --json " + input);
  EXPECT_EQ(mastodon.exit_code, 0) << mastodon.output;
  EXPECT_NE(mastodon.output.find("\"length\":31"), std::string::npos) << mastodon.output;
  EXPECT_NE(mastodon.output.find("\"length\":9,"), std::string::npos) << mastodon.output;
}

TEST(CliText, ABadLineGetsAnErrorAndTheRestAreCounted) {
  testing::TempDir dir;
  std::string input = dir.write("in.jsonl",
                                "{\"text\": \"caf\xC3\xA9\"}\n\xFF\xFE not json\n"
                                "{\"text\": \"ok\"}\n");
  auto result =
      testing::run_command(std::string(HERALD_CLI) + " text --network bluesky --json " + input);
  EXPECT_EQ(result.exit_code, 2) << "a bad line makes the exit code say so";
  EXPECT_NE(result.output.find("\"bytes\":5"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("\"line\":2"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("\"length\":2"), std::string::npos) << "line 3 still counted";
}

TEST(CliText, ResultsComeOutInInputOrderWhateverTheNumberOfThreads) {
  testing::TempDir dir;
  // Enough lines for every thread to get a share; line i is i % 190 + 1 letters long, every
  // seventh ends with a URL (23 on X), and two lines are not JSON.
  std::string lines;
  const int kLines = 3000;
  for (int i = 1; i <= kLines; ++i) {
    if (i == 1500 || i == kLines) {
      lines += "not json\n";
      continue;
    }
    lines += "{\"text\": \"" + std::string(static_cast<size_t>(i % 190 + 1), 'a') +
             (i % 7 == 0 ? " https://example.com/" + std::to_string(i) : "") + "\"}\n";
  }
  std::string input = dir.write("in.jsonl", lines);
  std::string first;
  for (int jobs : {1, 2, 4}) {
    auto result = testing::run_command(std::string(HERALD_CLI) + " text --network x --json -j " +
                                       std::to_string(jobs) + " " + input);
    EXPECT_EQ(result.exit_code, 2) << "two lines are errors, with " << jobs << " threads";
    auto out = json_lines(result.output);
    ASSERT_EQ(out.size(), static_cast<size_t>(kLines)) << jobs << " threads";
    for (int i = 1; i <= kLines; ++i) {
      const auto& line = out[static_cast<size_t>(i - 1)];
      if (i == 1500 || i == kLines) {
        EXPECT_EQ(line["line"], i) << "the error names its line, with " << jobs << " threads";
        continue;
      }
      int expected = i % 190 + 1 + (i % 7 == 0 ? 1 + 23 : 0);
      ASSERT_EQ(line["weightedLength"], expected) << "line " << i << ", " << jobs << " threads";
    }
    if (first.empty())
      first = result.output;
    else
      EXPECT_EQ(result.output, first) << jobs << " threads print what one thread prints";
  }
}

TEST(CliText, EscapedAndUnusualLinesCountAsThePlainLine) {
  testing::TempDir dir;
  // One text written three ways: plain UTF-8, with \u escapes (a surrogate pair for the
  // rocket), and with a key Herald does not read.
  const std::string plain = "{\"text\": \"caf\xC3\xA9 \xF0\x9F\x9A\x80 \\\"q\\\" \\\\ / \\t [x]\"}";
  const std::string escaped =
      "{ \"text\" : \"caf\\u00e9 \\ud83d\\ude80 \\\"q\\\" \\\\ \\/ \\u0009 [x]\" }  ";
  const std::string extra =
      "{\"lang\": \"fr\", \"text\": \"caf\xC3\xA9 \xF0\x9F\x9A\x80 "
      "\\\"q\\\" \\\\ / \\t [x]\"}";
  std::string input = dir.write("in.jsonl", plain + "\n" + escaped + "\r\n" + extra + "\n");
  for (const char* network : {"x", "mastodon", "bluesky", "linkedin"}) {
    auto result = testing::run_command(std::string(HERALD_CLI) + " text --json --network " +
                                       network + " " + input);
    EXPECT_EQ(result.exit_code, 0) << network << ": " << result.output;
    auto out = json_lines(result.output);
    ASSERT_EQ(out.size(), 3u) << network << ": " << result.output;
    EXPECT_EQ(out[0]["bytes"], 24) << network;
    EXPECT_EQ(out[1], out[0]) << network << ": the escaped line";
    EXPECT_EQ(out[2], out[0]) << network << ": the line with another key";
    if (std::string(network) == "linkedin") {
      EXPECT_EQ(out[0]["commentary"], "caf\xC3\xA9 \xF0\x9F\x9A\x80 \"q\" \\\\ / \t \\[x\\]")
          << "quotes, backslashes and tabs survive the way out";
    }
  }
  // A spoiler counts towards Mastodon's length, whichever order the keys come in.
  std::string spoiler = dir.write("spoiler.jsonl",
                                  "{\"text\": \"hello\", \"spoiler_text\": \"cw\"}\n"
                                  "{\"spoiler_text\": \"cw\", \"text\": \"hello\"}\n");
  auto mastodon =
      testing::run_command(std::string(HERALD_CLI) + " text --json --network mastodon " + spoiler);
  auto out = json_lines(mastodon.output);
  ASSERT_EQ(out.size(), 2u) << mastodon.output;
  EXPECT_EQ(out[0]["length"], 7);
  EXPECT_EQ(out[1]["length"], 7);
}

TEST(CliText, ResultsThatCannotBeWrittenAreAnErrorNotSilence) {
  testing::TempDir dir;
  std::string input = dir.write("in.jsonl", "{\"text\": \"hello\"}\n");
  // /dev/full refuses every write: the disk is full.
  auto result = testing::run_command("(" + std::string(HERALD_CLI) + " text --network x --json " +
                                     input + " > /dev/full)");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("cannot write the results"), std::string::npos) << result.output;
}

TEST(CliText, BlueskyFacetsCarryUtf8ByteOffsets) {
  testing::TempDir dir;
  // "café " is 6 bytes, so the tag starts at byte 6 although it is the fifth character.
  std::string input = dir.write("in.jsonl",
                                "{\"text\": \"caf\xC3\xA9 #launch with @team.example.com at "
                                "example.com/news!\"}\n");
  auto result =
      testing::run_command(std::string(HERALD_CLI) + " text --network bluesky --json " + input);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto lines = json_lines(result.output);
  ASSERT_EQ(lines.size(), 1u);
  const auto& facets = lines[0]["facets"];
  ASSERT_EQ(facets.size(), 3u) << result.output;
  EXPECT_EQ(
      facets[0],
      (nlohmann::json{{"byteStart", 6}, {"byteEnd", 13}, {"type", "tag"}, {"value", "launch"}}));
  EXPECT_EQ(facets[1]["type"], "mention");
  EXPECT_EQ(facets[1]["value"], "team.example.com");
  EXPECT_EQ(facets[1]["byteStart"], 19);
  EXPECT_EQ(facets[2]["type"], "link");
  EXPECT_EQ(facets[2]["value"], "https://example.com/news") << "the '!' is not part of the link";
  EXPECT_EQ(lines[0]["bytes"], 57);
  EXPECT_EQ(lines[0]["graphemes"], 56);
}

TEST(CliText, LinkedInCommentaryEscapesReservedCharacters) {
  testing::TempDir dir;
  std::string input =
      dir.write("in.jsonl", "{\"text\": \"Q3 (final) results #growth @ 10:00 [live] <now>\"}\n");
  auto result =
      testing::run_command(std::string(HERALD_CLI) + " text --network linkedin --json " + input);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  auto lines = json_lines(result.output);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["commentary"],
            "Q3 \\(final\\) results \\#growth \\@ 10:00 \\[live\\] \\<now\\>");
  EXPECT_EQ(lines[0]["length"], 47) << "the limit applies to the text as written";
}

TEST(CliText, EveryInputLineGetsExactlyOneOutputLine) {
  testing::TempDir dir;
  // Empty lines (also CR LF ones) and a line of spaces between texts: each gets its error, so
  // result N is always about line N.
  std::string input = dir.write("in.jsonl",
                                "{\"text\": \"one\"}\n\n{\"text\": \"three\"}\r\n\r\n   \n"
                                "{\"text\": \"six\"}\n\n");
  for (const char* jobs : {"1", "2"}) {
    auto result = testing::run_command(std::string(HERALD_CLI) + " text --network x --json -j " +
                                       jobs + " " + input + " 2>/dev/null");
    EXPECT_EQ(result.exit_code, 2) << "empty lines are errors";
    std::vector<std::string> lines;
    std::istringstream out(result.output);
    for (std::string line; std::getline(out, line);) lines.push_back(line);
    ASSERT_EQ(lines.size(), 7u) << result.output;
    const auto weighed = [&](size_t i) { return nlohmann::json::parse(lines[i]); };
    EXPECT_EQ(weighed(0)["weightedLength"], 3);
    EXPECT_EQ(weighed(2)["weightedLength"], 5);
    EXPECT_EQ(weighed(5)["weightedLength"], 3);
    for (size_t i : {1u, 3u, 4u, 6u}) {
      EXPECT_EQ(weighed(i)["line"], i + 1) << lines[i];
      EXPECT_TRUE(weighed(i).contains("error")) << lines[i];
    }
  }
  auto plain = testing::run_command(std::string(HERALD_CLI) + " text " + input);
  EXPECT_NE(plain.output.find("line 2: error: empty line"), std::string::npos) << plain.output;
  // A NUL byte, which a JSON parser takes for the end of the input: an error where it is, not
  // a line read up to it.
  std::string nul =
      dir.write("nul.jsonl", std::string("{\"text\": \"a\"}") + '\0' + "tail\n{\"text\": \"b\"}\n");
  auto with_nul = testing::run_command(std::string(HERALD_CLI) + " text " + nul);
  EXPECT_EQ(with_nul.exit_code, 2) << with_nul.output;
  EXPECT_NE(with_nul.output.find("line 1, column 14: error: a NUL byte"), std::string::npos)
      << with_nul.output;
  EXPECT_NE(with_nul.output.find("line 2: 1/280 ok"), std::string::npos) << with_nul.output;
  EXPECT_NE(plain.output.find("line 7: error: empty line"), std::string::npos) << plain.output;
}

TEST(CliText, AFolderOrAMissingFileIsAnErrorNotAnEmptyResult) {
  testing::TempDir dir;
  auto folder = testing::run_command(std::string(HERALD_CLI) + " text " + dir.path().string());
  EXPECT_EQ(folder.exit_code, 2) << folder.output;
  EXPECT_NE(folder.output.find("is a folder"), std::string::npos) << folder.output;
  auto missing =
      testing::run_command(std::string(HERALD_CLI) + " text " + dir.path().string() + "/none");
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("No such file"), std::string::npos) << missing.output;
  for (const char* limit : {"-1", "0", "9223372036854775807"}) {
    auto result =
        testing::run_command(std::string(HERALD_CLI) + " text --limit " + limit + " < /dev/null");
    EXPECT_EQ(result.exit_code, 2) << "--limit " << limit << ": " << result.output;
    EXPECT_NE(result.output.find("not in range 1 to 1000000"), std::string::npos) << result.output;
  }
}

TEST(CliText, LinesLongerThanABlockReadFromAPipeAsFromAFile) {
  testing::TempDir dir;
  // Lines of 3 MB and 2.5 MB (longer than the 1 MiB blocks the reader takes from a pipe)
  // between short ones: from a pipe, each is read whole and counted as from the file.
  std::string lines = "{\"text\": \"short\"}\n";
  lines += "{\"text\": \"" + std::string(3'000'000, 'a') + "\"}\n";
  lines += "{\"text\": \"x\"}\n";
  lines += "{\"text\": \"" + std::string(2'500'000, 'b') + "\"}";  // no final newline
  std::string input = dir.write("long.jsonl", lines);
  auto from_file =
      testing::run_command(std::string(HERALD_CLI) + " text --network x --json " + input);
  auto from_pipe = testing::run_command("cat " + input + " | " + std::string(HERALD_CLI) +
                                        " text --network x --json -");
  EXPECT_EQ(from_file.exit_code, 0) << from_file.output;
  EXPECT_EQ(from_pipe.exit_code, 0) << from_pipe.output;
  EXPECT_EQ(from_pipe.output, from_file.output);
  auto out = json_lines(from_pipe.output);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[1]["weightedLength"], 3'000'000);
  EXPECT_EQ(out[3]["weightedLength"], 2'500'000);
}

TEST(CliText, UnderAnAddressSpaceLimitAsManyThreadsCountAsFitAndEveryLineIsCounted) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "a sanitizer's own memory does not fit under a small address-space limit";
#else
  testing::TempDir dir;
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "{\"text\": \"a.a.a.a.a.a and more\"}\n";
  std::string input = dir.write("in.jsonl", text);
  // 256 threads do not fit in 400 MB of address space (each takes a stack and malloc arenas;
  // glibc aborts when a thread cannot register its destructors): fewer count, and say so.
  for (int run = 0; run < 3; ++run) {
    auto result =
        testing::run_command("(ulimit -v 400000; " + std::string(HERALD_CLI) + " text --jobs 256 " +
                             input + " > " + dir.path().string() + "/out.txt)");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("note: counting with"), std::string::npos) << result.output;
    auto lines = testing::run_command("wc -l < " + dir.path().string() + "/out.txt");
    EXPECT_EQ(std::stoi(lines.output), 20000) << "every line is counted";
  }
#endif
}

TEST(CliText, RefusesAnUnknownNetwork) {
  auto result =
      testing::run_command(std::string(HERALD_CLI) + " text --network myspace < /dev/null");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("use one of x, mastodon, bluesky, linkedin"), std::string::npos);
}

}  // namespace
}  // namespace herald
