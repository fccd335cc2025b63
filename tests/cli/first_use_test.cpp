// What a new user meets first: a length rule on an account of a network that counts nothing,
// the run summary that says how posts ended, every mistake of a plugin's config at once, legal
// rules that block before anyone approves, and escalations that reach people.
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

namespace herald {
namespace {

class FirstUse : public ::testing::Test {
 protected:
  std::string write_config(const std::string& body) {
    return dir_.write("company.yaml",
                      std::string("plugin_paths: [") + BUILTIN_PLUGIN_DIR + "]\n" + body);
  }
  testing::CommandResult herald(const std::string& args) {
    return testing::run_command(std::string(HERALD_CLI) + " " + args);
  }
  // A virtual clock: no date here can expire.
  static std::string clock() { return "--clock virtual --start 2031-03-03T09:00:00Z"; }
  testing::TempDir dir_;
};

const char* kOutboxLength = R"(herald: 1
store: { path: herald.db }
accounts:
  archive: { network: outbox }
  short: { network: outbox, char_limit: 10 }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    steps:
      - { kind: draft, plugin: draft/length }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)";

TEST_F(FirstUse, ALengthRuleOnAnOutboxAccountCountsCodePointsWithNoLimitOfItsOwn) {
  const std::string config = write_config(kOutboxLength);
  ASSERT_EQ(herald("validate " + config).exit_code, 0);
  const std::string long_text(5000, 'a');
  for (const std::string& text : {std::string("Hello"), long_text})
    ASSERT_EQ(herald("submit " + config + " -w announce -a archive --author ana --text '" + text +
                     "' " + clock())
                  .exit_code,
              0);
  auto run = herald("run " + config + " --until-idle " + clock());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("2 post(s) finished (2 done)"), std::string::npos) << run.output;
}

TEST_F(FirstUse, TheRunSummarySaysHowManyPostsFailedOrWereRejected) {
  const std::string config = write_config(kOutboxLength);
  for (const char* text : {"Fits here", "This text is longer than ten"})
    ASSERT_EQ(herald("submit " + config + " -w announce -a short --author ana --text '" + text +
                     "' " + clock())
                  .exit_code,
              0);
  auto run = herald("run " + config + " --until-idle --json " + clock());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const auto summary = nlohmann::json::parse(run.output.substr(run.output.rfind('{')));
  EXPECT_EQ(summary["finished"], 2);
  EXPECT_EQ(summary["done"], 1);
  EXPECT_EQ(summary["rejected"], 1);
  EXPECT_EQ(summary["failed"], 0);
  auto status = herald("status " + config + " 2");
  EXPECT_NE(status.output.find("counts 28 on outbox, whose limit is 10"), std::string::npos)
      << status.output;
}

const char* kThreeMistakes = R"(herald: 1
store: { path: herald.db }
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
workflows:
  announce:
    steps:
      - kind: approve
        plugin: approve
        config:
          stages:
            - { name: marketing, roles: [marketing], quorum: 3 }
            - { name: legal, people: [nobody] }
            - { name: exec, roles: [marketing], deadline: soon }
          on_reject: forget
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)";

TEST_F(FirstUse, EveryMistakeOfAnApprovalChainIsNamedAtOnceWithItsPlace) {
  const std::string config = write_config(kThreeMistakes);
  auto result = herald("validate " + config);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  // The plugin_paths line comes first: the file's lines are one further down.
  for (const std::string& expected :
       {config + ":16:62 (workflows.announce.steps[0].config.stages[0].quorum): plugin approve "
                 "refused this configuration: stage 'marketing' needs 3 approvals but only 1 "
                 "person can give one (mo)",
        config + ":17:38 (workflows.announce.steps[0].config.stages[1].people): plugin approve "
                 "refused this configuration: stage 'legal': 'nobody' is not one of `people`",
        config + ":18:59 (workflows.announce.steps[0].config.stages[2].deadline): plugin approve "
                 "refused this configuration: 'soon' is not a duration like 30m, 4h or 2d",
        config + ":19:22 (workflows.announce.steps[0].config.on_reject): plugin approve refused "
                 "this configuration: expected revise or terminal, got 'forget'"})
    EXPECT_NE(result.output.find(expected), std::string::npos) << "missing: " << expected << "\n"
                                                               << result.output;
}

// Every mistake of a publisher's and of a legal step's settings, each at its place.
TEST_F(FirstUse, EveryMistakeOfAPublisherAndOfALegalStepIsNamedAtOnce) {
  const std::string config = write_config(R"(herald: 1
store: { path: herald.db }
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    steps:
      - kind: legal_review
        plugin: legal_review
        config: { keywords: [merger], role: counsel, deadline: soon, on_late: never }
      - kind: publish
        plugin: mastodon
        config: { visibility: everyone, settle_seconds: -1, per_app_per_minute: -5 }
)");
  auto result = herald("validate " + config);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  for (const std::string& expected :
       {std::string(":13:45 (workflows.announce.steps[0].config.role): plugin legal_review "
                    "refused this configuration: nobody has role 'counsel'"),
        std::string(":13:64 (workflows.announce.steps[0].config.deadline): plugin legal_review "
                    "refused this configuration: 'soon' is not a duration"),
        std::string(":13:79 (workflows.announce.steps[0].config.on_late): plugin legal_review "
                    "refused this configuration: expected hold, expire, escalate or publish"),
        std::string(":16:31 (workflows.announce.steps[1].config.visibility): plugin mastodon "
                    "refused this configuration: unknown visibility 'everyone'"),
        std::string(":16:57 (workflows.announce.steps[1].config.settle_seconds): plugin mastodon "
                    "refused this configuration: settle_seconds must be from 0 to 86400"),
        std::string(":16:81 (workflows.announce.steps[1].config.per_app_per_minute): plugin "
                    "mastodon refused this configuration: cannot be negative")})
    EXPECT_NE(result.output.find(config + expected), std::string::npos)
        << "missing: " << expected << "\n"
        << result.output;
}

TEST_F(FirstUse, AnEmptyLegalKeywordIsRefusedForItWouldHoldEveryPost) {
  const std::string config = write_config(R"(herald: 1
store: { path: herald.db }
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
  lee: { roles: [legal] }
workflows:
  announce:
    steps:
      - { kind: legal_review, plugin: legal_review, config: { keywords: [merger, ""] } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
  auto result = herald("validate " + config);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("(workflows.announce.steps[0].config.keywords): plugin legal_review "
                               "refused this configuration: an empty keyword would match every "
                               "post"),
            std::string::npos)
      << result.output;
}

TEST_F(FirstUse, AStagesQuorumIsAWholeNumberAndTheRetryCapIsNoShorterThanTheFirstDelay) {
  const std::string config = write_config(R"(herald: 1
store: { path: herald.db }
engine: { retry_delay_seconds: 100, max_retry_delay_seconds: 10 }
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
  mo: { roles: [marketing] }
  li: { roles: [marketing] }
workflows:
  announce:
    steps:
      - kind: approve
        plugin: approve
        config: { stages: [ { name: "", roles: [marketing], quorum: 1.5 } ] }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
  auto result = herald("validate " + config);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("engine.max_retry_delay_seconds): the cap on the retry delay (10 s) "
                               "is shorter than the first delay"),
            std::string::npos)
      << result.output;

  std::string text = testing::read_file(config);
  text.erase(text.find("engine:"), text.find("accounts:") - text.find("engine:"));
  dir_.write("company.yaml", text);
  result = herald("validate " + config);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  for (const char* expected :
       {"quorum '1.5' is not any, all, N or 'N of M'", "a stage's name cannot be empty"})
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
}

TEST_F(FirstUse, OptionsOutOfRangeAreRefusedWithExitCodeTwo) {
  const std::string config = write_config(kOutboxLength);
  for (const std::string& args : {std::string("text --jobs 100000 < /dev/null"),
                                  std::string("text --limit 4294967296 < /dev/null"),
                                  "run " + config + " --supervise --restart-delay nan"}) {
    auto result = herald(args);
    EXPECT_EQ(result.exit_code, 2) << args << "\n" << result.output;
  }
  auto folder = herald("submit " + config + " --from " + dir_.path().string() + " -w announce");
  EXPECT_NE(folder.exit_code, 0);
  std::filesystem::create_directory(dir_.path() / "posts.csv");
  folder = herald("submit " + config + " --from " + (dir_.path() / "posts.csv").string());
  EXPECT_NE(folder.output.find("not a file of posts (a folder or device)"), std::string::npos)
      << folder.output;
}

TEST_F(FirstUse, AnAccountsCharLimitAboveAMillionIsRefused) {
  std::string text = kOutboxLength;
  text.replace(text.find("char_limit: 10"), 14, "char_limit: 2147483648");
  auto result = herald("validate " + write_config(text));
  EXPECT_EQ(result.exit_code, 3) << result.output;
  EXPECT_NE(result.output.find("must be from 0 (no limit) to 1000000, got 2147483648"),
            std::string::npos)
      << result.output;
}

TEST_F(FirstUse, EveryBadRuleOfALegalRulesFileAndEveryCadenceMistakeIsNamedAtOnce) {
  dir_.write("rules.yaml", R"(rules:
  - { name: backref, pattern: '(a)\1', message: m }
  - { name: odd, words: [x], severity: nope, message: m }
  - { name: silent, words: [y] }
  - { name: fine, words: [z], message: m }
)");
  const std::string config = write_config(R"(herald: 1
store: { path: herald.db }
accounts:
  corp: { network: mastodon, timezone: Europe/Oslo }
people:
  ana: { roles: [writer] }
  lee: { roles: [legal] }
workflows:
  announce:
    steps:
      - { kind: schedule, plugin: schedule/cadence, config: { per_day: -1, min_gap: soon, days: [someday], hours: "25:00-26:00", best_slots: 500 } }
      - { kind: legal_review, plugin: legal_review, config: { rules: rules.yaml } }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
  auto result = herald("validate " + config);
  EXPECT_EQ(result.exit_code, 3) << result.output;
  for (const char* expected :
       {"per_day must be 0 or more", "cannot read the duration 'soon'", "config.days)",
        "config.hours)", "best_slots must be between 0 and 168", "rule 'backref'",
        "severity is review, block or warn, not 'nope'", "rule 'silent': a rule needs a `message`"})
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << "\n" << result.output;
  EXPECT_EQ(result.output.find("rule 'fine'"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace herald
