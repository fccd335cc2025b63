// The engine end to end through the embedding API: real plugins, a real SQLite store, a
// virtual clock.
#include "support/test_support.hpp"
#include "time/time.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

namespace herald {
namespace {

std::string config_yaml() {
  return std::string(R"(herald: 1
plugin_paths:
  - )") + BUILTIN_PLUGIN_DIR +
         R"(
  - )" + FIXTURE_DIR +
         R"(/herald_fixture_throws.so
  - )" + FIXTURE_DIR +
         R"(/herald_fixture_transient.so
  - )" + FIXTURE_DIR +
         R"(/herald_fixture_old_component.so
engine:
  max_attempts: 3
  retry_delay_seconds: 60
accounts:
  corp:
    network: mastodon
    timezone: America/New_York
people:
  ana: { roles: [writer], amplify: true }
  mo: { roles: [marketing], amplify: true }
  li: { roles: [marketing] }
  grace: { roles: [legal] }
  sam: { roles: [executive], amplify: true }
workflows:
  announce:
    steps:
      - kind: draft
        plugin: draft/check
        config: { forbidden_words: [free] }
      - kind: approve
        plugin: approve
        config: { role: marketing, on_reject: terminal }
      - name: exec
        kind: approve
        plugin: approve
        when: { tag: launch }
        config: { role: executive }
      - kind: legal_review
        plugin: legal_review
        config: { keywords: [forecast] }
      - kind: schedule
        plugin: schedule/at
      - kind: publish
        plugin: outbox
        config: { directory: out, fsync: false }
      - kind: amplify
        plugin: amplify
        config: { directory: out }
  broken:
    steps:
      - kind: draft
        plugin: fixture_throws
  flaky:
    steps:
      - kind: draft
        plugin: fixture_transient
  older:
    steps:
      - kind: draft
        plugin: fixture_old_component
      - kind: publish
        plugin: outbox
        config: { directory: out }
  delayed:
    steps:
      - kind: schedule
        plugin: schedule/at
        config: { delay_minutes: 30 }
      - kind: publish
        plugin: outbox
        config: { directory: out, fsync: false }
)";
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.write("company.yaml", config_yaml());
    start_ = parse_time("2026-11-30T08:00:00Z", "UTC")->utc_ms;
    reopen();
  }
  void reopen() {
    host_.reset();
    HostOptions options;
    options.clock = make_virtual_clock(start_);
    auto host = Host::open(config_, options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
  }
  int64_t submit(const std::string& text, std::vector<std::string> tags = {},
                 const std::string& at = "", const std::string& workflow = "announce") {
    auto id = host_->submit({workflow, "corp", "ana", text, std::move(tags), at});
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : 0;
  }
  PostView post(int64_t id) { return *host_->post(id); }
  void run() {
    auto summary = host_->run({});
    ASSERT_TRUE(summary) << summary.status().message();
  }
  std::vector<std::string> outbox_lines() {
    std::string content = testing::read_file(dir_.file("out/corp.jsonl"));
    std::vector<std::string> lines;
    std::stringstream stream(content);
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
  }

  testing::TempDir dir_;
  std::string config_;
  int64_t start_ = 0;
  std::unique_ptr<Host> host_;
};

TEST_F(EngineTest, APostGoesThroughEveryStep) {
  int64_t id = submit("Our forecast for launch day", {"launch"}, "2026-12-01 09:00");
  run();
  EXPECT_EQ(post(id).state, "waiting");
  EXPECT_EQ(post(id).step, "approve");
  ASSERT_TRUE(host_->approve(id, "mo", "good"));
  run();
  EXPECT_EQ(post(id).step, "exec") << "tagged launch: needs an executive";
  ASSERT_TRUE(host_->approve(id, "sam", ""));
  run();
  EXPECT_EQ(post(id).state, "held");
  EXPECT_NE(post(id).reason.find("\"forecast\""), std::string::npos) << post(id).reason;
  ASSERT_TRUE(host_->legal_decision(id, "grace", "clear", "cleared"));
  run();  // the virtual clock jumps to 09:00 New York time and publishes
  PostView done = post(id);
  EXPECT_EQ(done.state, "done") << done.reason;
  EXPECT_EQ(format_utc(host_->clock().now_ms()), "2026-12-01T14:00:00Z");
  auto lines = outbox_lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("Our forecast for launch day"), std::string::npos);
  EXPECT_NE(done.remote_id.find("corp.jsonl#1"), std::string::npos);
  std::string shares = testing::read_file(dir_.file("out/shares.jsonl"));
  EXPECT_EQ(testing::count_lines(shares), 2u) << "mo and sam opted in; ana wrote it";
  EXPECT_EQ(shares.find("\"person\":\"ana\""), std::string::npos);

  auto audit = host_->audit(id);
  ASSERT_TRUE(audit);
  std::vector<std::string> actions;
  for (const auto& r : *audit) actions.push_back(r.actor + ":" + r.action + ":" + r.step);
  std::vector<std::string> expected = {"ana:submit:",
                                       "engine:advance:draft",
                                       "engine:wait:approve",
                                       "mo:approve:approve",
                                       "engine:advance:approve",
                                       "engine:wait:exec",
                                       "sam:approve:exec",
                                       "engine:advance:exec",
                                       "engine:hold:legal_review",
                                       "grace:clear:legal_review",
                                       "engine:advance:legal_review",
                                       "engine:wait:schedule",
                                       "engine:advance:schedule",
                                       "engine:advance:publish",
                                       "engine:advance:amplify"};
  EXPECT_EQ(actions, expected);
}

TEST_F(EngineTest, StoppingAfterARoundHandsBackThePostsClaimedForTheNext) {
  // Small batches: while a round runs, its transaction claims the posts of the next one.
  host_.reset();
  HostOptions options;
  options.clock = make_virtual_clock(start_);
  options.batch_size = 4;
  auto host = Host::open(config_, options);
  ASSERT_TRUE(host) << host.status().message();
  host_ = std::move(*host);
  std::vector<int64_t> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(submit("Post number " + std::to_string(i)));

  auto one = host_->run(RunOptions{.until_idle = true, .max_rounds = 1, .until_ms = 0});
  ASSERT_TRUE(one) << one.status().message();
  EXPECT_EQ(one->rounds, 1);
  int waiting = 0;
  for (int64_t id : ids) {
    PostView p = post(id);
    EXPECT_TRUE(p.state == "waiting" || p.state == "ready") << id << ": " << p.state;
    waiting += p.state == "waiting";
  }
  EXPECT_GE(waiting, 1) << "the round ran some posts";
  EXPECT_LT(waiting, 10) << "and stopped before the rest";

  run();
  for (int64_t id : ids) {
    EXPECT_EQ(post(id).state, "waiting");
    EXPECT_EQ(post(id).step, "approve");
    auto audit = host_->audit(id);
    ASSERT_TRUE(audit);
    std::vector<std::string> actions;
    for (const auto& r : *audit) actions.push_back(r.actor + ":" + r.action + ":" + r.step);
    std::vector<std::string> expected = {"ana:submit:", "engine:advance:draft",
                                         "engine:wait:approve"};
    EXPECT_EQ(actions, expected) << "post " << id << ": each step ran once";
  }
}

TEST_F(EngineTest, AConditionSkipsAStep) {
  int64_t id = submit("A plain update");
  run();
  ASSERT_TRUE(host_->approve(id, "mo", ""));
  run();
  EXPECT_EQ(post(id).state, "done") << post(id).reason;
  bool skipped = false;
  auto audit = host_->audit(id);
  ASSERT_TRUE(audit);
  for (const auto& r : *audit) skipped = skipped || (r.step == "exec" && r.action == "skip");
  EXPECT_TRUE(skipped);
}

TEST_F(EngineTest, DraftRejectsForbiddenWords) {
  int64_t id = submit("Get it free today");
  run();
  EXPECT_EQ(post(id).state, "rejected");
  EXPECT_NE(post(id).reason.find("forbidden word 'free'"), std::string::npos);
}

TEST_F(EngineTest, ApprovalsAreChecked) {
  int64_t id = submit("Hello world");
  Status early = host_->approve(id, "mo", "");
  run();
  Status no_role = host_->approve(id, "grace", "");
  EXPECT_EQ(no_role.code(), ErrorCode::permission_denied);
  EXPECT_NE(no_role.message().find("needs role marketing"), std::string::npos) << no_role.message();
  Status unknown = host_->approve(id, "zed", "");
  EXPECT_EQ(unknown.code(), ErrorCode::not_found);
  ASSERT_TRUE(host_->approve(id, "mo", ""));
  Status twice = host_->approve(id, "mo", "");
  EXPECT_EQ(twice.code(), ErrorCode::failed_precondition);
  EXPECT_NE(twice.message().find("already approved"), std::string::npos) << twice.message();
  EXPECT_EQ(early.code(), ErrorCode::failed_precondition) << "nothing waits before the engine ran";
  EXPECT_EQ(host_->approve(9999, "mo", "").code(), ErrorCode::not_found);
}

TEST_F(EngineTest, FourEyes) {
  auto id = host_->submit({"announce", "corp", "mo", "Written by marketing", {}, ""});
  ASSERT_TRUE(id);
  run();
  Status own = host_->approve(*id, "mo", "");
  EXPECT_EQ(own.code(), ErrorCode::permission_denied);
  EXPECT_NE(own.message().find("four eyes"), std::string::npos);
}

TEST_F(EngineTest, ARejectedPostCannotBeApproved) {
  int64_t id = submit("Hello world");
  run();
  ASSERT_TRUE(host_->reject(id, "li", "off brand"));
  run();
  EXPECT_EQ(post(id).state, "rejected");
  EXPECT_NE(post(id).reason.find("off brand"), std::string::npos);
  Status late = host_->approve(id, "mo", "");
  EXPECT_EQ(late.code(), ErrorCode::failed_precondition);
  EXPECT_NE(late.message().find("was rejected"), std::string::npos) << late.message();
  EXPECT_TRUE(outbox_lines().empty());
}

TEST_F(EngineTest, APluginThatThrowsFailsOnlyItsPost) {
  int64_t broken = submit("anything", {}, "", "broken");
  int64_t fine = submit("A plain update");
  run();
  EXPECT_EQ(post(broken).state, "failed");
  EXPECT_NE(post(broken).reason.find("boom from the fixture plugin"), std::string::npos)
      << post(broken).reason;
  EXPECT_EQ(post(fine).state, "waiting") << "the host kept running";
}

TEST_F(EngineTest, ATransientErrorIsRetriedThenGivenUp) {
  int64_t id = submit("anything", {}, "", "flaky");
  run();  // attempts at +0, +30..60 s, then +30..60 s + 60..120 s (backoff with jitter)
  PostView view = post(id);
  EXPECT_EQ(view.state, "failed");
  EXPECT_NE(view.reason.find("gave up after 3 attempts"), std::string::npos) << view.reason;
  EXPECT_NE(view.reason.find("the fixture service is busy"), std::string::npos);
  int retries = 0;
  auto audit = host_->audit(id);
  ASSERT_TRUE(audit);
  for (const auto& r : *audit) retries += r.action == "retry";
  EXPECT_EQ(retries, 2);
  // Each delay is between half and all of the doubled backoff: 30-60 s, then 60-120 s.
  const int64_t waited =
      host_->clock().now_ms() - parse_time("2026-11-30T08:00:00Z", "UTC")->utc_ms;
  EXPECT_GE(waited, 90'000);
  EXPECT_LE(waited, 180'000);
}

TEST_F(EngineTest, ACrashAfterPublishingDoesNotPublishTwice) {
  int64_t id = submit("Publish me once");
  run();
  ASSERT_TRUE(host_->approve(id, "mo", ""));
  run();
  ASSERT_EQ(post(id).state, "done");
  ASSERT_EQ(outbox_lines().size(), 1u);

  // Simulate a worker that wrote the outbox line and died before committing: put the post
  // back in flight at its publish step with an expired lease.
  host_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.file("company.db").c_str(), &db), SQLITE_OK);
  std::string sql =
      "UPDATE post_states SET state='in_flight', step_index=5, step_kind='publish', "
      "claimed_from='ready', lease_expires_ms=1, due_ms=1, remote_id='' WHERE post_id=" +
      std::to_string(id);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  reopen();
  run();
  PostView recovered = post(id);
  EXPECT_EQ(recovered.state, "done") << recovered.reason;
  EXPECT_EQ(outbox_lines().size(), 1u) << "the outbox already had the post: not written again";
  EXPECT_NE(recovered.remote_id.find("#1"), std::string::npos);
}

TEST_F(EngineTest, ScheduleWaitsOutItsDelayOnce) {
  int64_t id = submit("Soon", {}, "", "delayed");
  run();
  EXPECT_EQ(post(id).state, "done") << post(id).reason;
  EXPECT_EQ(format_utc(host_->clock().now_ms()), "2026-11-30T08:30:00Z");
  EXPECT_EQ(outbox_lines().size(), 1u);
}

TEST_F(EngineTest, APluginBuiltForAnOlderAbiWithoutFlushStillRuns) {
  int64_t id = submit("From an older plugin", {}, "", "older");
  run();
  PostView view = post(id);
  EXPECT_EQ(view.state, "done") << view.reason;
  EXPECT_EQ(outbox_lines().size(), 1u);
  auto audit = host_->audit(id);
  ASSERT_TRUE(audit);
  std::vector<std::string> actions;
  for (const auto& r : *audit) actions.push_back(r.actor + ":" + r.action + ":" + r.step);
  std::vector<std::string> expected = {"ana:submit:", "engine:advance:draft",
                                       "engine:advance:publish"};
  EXPECT_EQ(actions, expected);
}

TEST_F(EngineTest, SubmitChecksItsInput) {
  auto workflow = host_->submit({"anounce", "corp", "ana", "x", {}, ""});
  EXPECT_EQ(workflow.status().code(), ErrorCode::not_found);
  EXPECT_NE(workflow.status().message().find("did you mean 'announce'"), std::string::npos);
  auto account = host_->submit({"announce", "crop", "ana", "x", {}, ""});
  EXPECT_EQ(account.status().code(), ErrorCode::not_found);
  auto text = host_->submit({"announce", "corp", "ana", "", {}, ""});
  EXPECT_EQ(text.status().code(), ErrorCode::invalid_argument);
  for (const char* bad : {"bad \xff text", "truncated \xe2\x82", "overlong \xc0\xaf",
                          "surrogate \xed\xa0\x80", "too big \xf4\x90\x80\x80"}) {
    auto utf8 = host_->submit({"announce", "corp", "ana", bad, {}, ""});
    EXPECT_EQ(utf8.status().code(), ErrorCode::invalid_argument) << bad;
  }
  EXPECT_TRUE(host_->submit({"announce", "corp", "ana", "ok: é ✓ 👨‍👩‍👧", {}, ""}));
  ASSERT_TRUE(host_->posts());
  EXPECT_EQ(host_->posts()->size(), 1u);
  auto time = host_->submit({"announce", "corp", "ana", "x", {}, "next tuesday"});
  EXPECT_EQ(time.status().code(), ErrorCode::invalid_argument);
  EXPECT_EQ(host_->posts()->size(), 1u) << "nothing half-written: only the valid post is stored";
}

// A step that offers flush (ABI 1.10) is flushed once per round, after the round's steps and
// before their outcomes are committed; a flush that fails leaves its posts unconfirmed.
class RoundFlush : public ::testing::Test {
 protected:
  void SetUp() override { start_ = parse_time("2026-11-30T08:00:00Z", "UTC")->utc_ms; }
  /// Opens the host on a configuration whose `probed` workflow publishes with the flush probe
  /// (failing every flush when `fail`) and whose `outbox` workflow with the outbox's defaults.
  void open(bool fail) {
    host_.reset();
    const std::string config = dir_.write("company.yaml", std::string(R"(herald: 1
plugin_paths:
  - )") + BUILTIN_PLUGIN_DIR + R"(
  - )" + FIXTURE_DIR + R"(/flush/herald_flush_probe.so
engine:
  max_attempts: 3
  retry_delay_seconds: 60
  max_retry_delay_seconds: 600
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  probed:
    steps:
      - kind: publish
        plugin: flush_probe
        config: { store: company.db, log: flushes.log, fail: )" +
                                                              (fail ? "true" : "false") + R"( }
  outbox:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out } }
)");
    HostOptions options;
    options.clock = make_virtual_clock(start_);
    auto host = Host::open(config, options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
  }
  int64_t submit(const std::string& text, const std::string& workflow = "probed") {
    auto id = host_->submit({workflow, "corp", "ana", text, {}, ""});
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : 0;
  }
  /// Runs until the virtual clock reaches `minutes` after the start.
  void run_for(int minutes) {
    auto summary = host_->run(RunOptions{
        .until_idle = true, .max_rounds = 0, .until_ms = start_ + int64_t{minutes} * 60'000});
    ASSERT_TRUE(summary) << summary.status().message();
  }
  std::vector<std::string> lines(const std::string& file) {
    std::stringstream stream(testing::read_file(dir_.file(file)));
    std::vector<std::string> out;
    for (std::string line; std::getline(stream, line);) out.push_back(line);
    return out;
  }
  /// Whether the post's audit trail ever recorded it as done.
  bool ever_done(int64_t id) {
    auto audit = host_->audit(id);
    EXPECT_TRUE(audit);
    for (const auto& r : *audit)
      if (r.to_state == "done") return true;
    return false;
  }

  testing::TempDir dir_;
  int64_t start_ = 0;
  std::unique_ptr<Host> host_;
};

TEST_F(RoundFlush, ComesAfterTheRoundsStepsAndBeforeTheirOutcomesAreCommitted) {
  open(/*fail=*/false);
  const int64_t a = submit("one"), b = submit("two"), c = submit("three");
  run_for(10);
  for (int64_t id : {a, b, c}) EXPECT_EQ(host_->post(id)->state, "done") << id;
  // One round ran the three posts and flushed once; the store still held them as claimed.
  const std::string claimed = std::to_string(a) + ":in_flight " + std::to_string(b) +
                              ":in_flight " + std::to_string(c) + ":in_flight";
  EXPECT_EQ(lines("flushes.log"), std::vector<std::string>{claimed});
}

TEST_F(RoundFlush, AFailedFlushLeavesItsPostsUnconfirmedNeverDone) {
  open(/*fail=*/true);
  const int64_t a = submit("one"), b = submit("two");
  run_for(120);  // every attempt, then looked for again every 10 minutes
  for (int64_t id : {a, b}) {
    PostView view = *host_->post(id);
    EXPECT_EQ(view.state, "unconfirmed") << view.reason;
    EXPECT_EQ(view.step_kind, "publish");
    EXPECT_EQ(view.attempt, 3);
    EXPECT_NE(view.reason.find("could not make its work durable: the probe's disk is gone"),
              std::string::npos)
        << view.reason;
    EXPECT_EQ(view.remote_id, "") << "what the step set does not stand";
    EXPECT_FALSE(ever_done(id));
  }
  // Every flush saw the posts claimed, never published.
  const std::vector<std::string> flushes = lines("flushes.log");
  EXPECT_GE(flushes.size(), 4u);
  for (const std::string& line : flushes) EXPECT_EQ(line.find("done"), std::string::npos) << line;

  // Once the flush works, the posts are published (looked for first: they are unconfirmed).
  open(/*fail=*/false);
  run_for(240);
  for (int64_t id : {a, b}) {
    PostView view = *host_->post(id);
    EXPECT_EQ(view.state, "done") << view.reason;
    EXPECT_EQ(view.remote_id, "probe#" + std::to_string(id));
  }
}

TEST_F(RoundFlush, AnOutboxThatCannotSyncPublishesNothing) {
  // fsync(2) fails (EINVAL) on a pipe: the account's outbox file is one.
  open(/*fail=*/false);
  std::filesystem::create_directories(dir_.path() / "out");
  ASSERT_EQ(mkfifo(dir_.file("out/corp.jsonl").c_str(), 0644), 0);
  const int64_t id = submit("Durable or not at all", "outbox");
  run_for(120);
  PostView view = *host_->post(id);
  EXPECT_EQ(view.state, "unconfirmed") << view.reason;
  EXPECT_NE(view.reason.find("fsync failed"), std::string::npos) << view.reason;
  EXPECT_FALSE(ever_done(id));

  // A file the outbox can sync: the post is looked for, not found there, and written once.
  open(/*fail=*/false);
  std::filesystem::remove(dir_.file("out/corp.jsonl"));
  run_for(240);
  view = *host_->post(id);
  EXPECT_EQ(view.state, "done") << view.reason;
  const std::vector<std::string> written = lines("out/corp.jsonl");
  ASSERT_EQ(written.size(), 1u);
  EXPECT_NE(written[0].find("Durable or not at all"), std::string::npos);
}

}  // namespace
}  // namespace herald
