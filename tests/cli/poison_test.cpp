// One bad post never stops the line: a step that crashes the worker (SIGSEGV, SIGABRT) or hangs
// counts an attempt for its post, which is quarantined after engine.max_attempts while every
// other post goes on; SIGINT and SIGTERM stop a run whose step hangs. The plugin is
// fixture_poison (tests/fixtures/plugins/fixture.cpp): it crashes, aborts, hangs or dawdles
// for a post whose text says so.
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <chrono>
#include <set>
#include <thread>

namespace herald {
namespace {

using testing::run_command;

std::string poison_config(testing::TempDir& dir, const std::string& engine,
                          const std::string& draft_extra = "", const std::string& top = "") {
  return dir.write("company.yaml", std::string(R"(herald: 1
store: { path: herald.db }
plugin_paths:
  - )") + BUILTIN_PLUGIN_DIR + R"(
  - )" + FIXTURE_DIR + R"(/herald_fixture_poison.so
)" + top + R"(engine: )" + engine + R"(
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
  ops: { roles: [operator] }
workflows:
  announce:
    steps:
      - { kind: draft, plugin: fixture_poison)" +
                                       draft_extra + R"( }
      - { kind: publish, plugin: outbox, config: { directory: out } }
)");
}

/// Submits `count` posts; those at the indexes in `poison` carry the poison word.
std::vector<int64_t> submit(const std::string& config, int count,
                            const std::map<int, std::string>& poison) {
  std::vector<int64_t> ids;
  auto host = Host::open(config);
  EXPECT_TRUE(host) << host.status().message();
  if (!host) return ids;
  for (int i = 0; i < count; ++i) {
    auto found = poison.find(i);
    std::string text =
        "post " + std::to_string(i) + (found == poison.end() ? "" : " " + found->second);
    auto id = (*host)->submit({"announce", "corp", "ana", text, {}, ""});
    EXPECT_TRUE(id) << id.status().message();
    if (id) ids.push_back(*id);
  }
  return ids;
}

/// The idempotency keys in the outbox, one per post published; fails on a duplicate.
std::set<std::string> published(testing::TempDir& dir) {
  std::string outbox = testing::read_file(dir.file("out/corp.jsonl"));
  std::set<std::string> keys;
  for (size_t at = outbox.find("\"idempotency_key\":\""); at != std::string::npos;
       at = outbox.find("\"idempotency_key\":\"", at + 1)) {
    size_t start = at + 19;
    EXPECT_TRUE(keys.insert(outbox.substr(start, outbox.find('"', start) - start)).second)
        << "a post was published twice";
  }
  return keys;
}

std::map<int64_t, PostView> posts_of(const std::string& config) {
  std::map<int64_t, PostView> out;
  auto host = Host::open(config);
  EXPECT_TRUE(host) << host.status().message();
  if (!host) return out;
  auto all = (*host)->posts();
  EXPECT_TRUE(all);
  for (const PostView& p : *all) out[p.id] = p;
  return out;
}

TEST(CrashPoison, APostWhoseStepCrashesTheWorkerIsQuarantinedAndEveryOtherPostPublishes) {
  testing::TempDir dir;
  const std::string config =
      poison_config(dir, "{ max_attempts: 3, retry_delay_seconds: 0.05, lease_seconds: 300 }");
  const int count = 300;
  std::vector<int64_t> ids = submit(config, count, {{17, "POISON-SEGV"}, {211, "POISON-ABORT"}});
  ASSERT_EQ(ids.size(), static_cast<size_t>(count));

  // What an init system would do: start the worker again each time it dies. The lease is five
  // minutes: only the journal lets the next worker take up the dead one's posts at once.
  std::string log;
  int runs = 0, crashes = 0;
  for (; runs < 30; ++runs) {
    auto run = run_command(std::string(HERALD_CLI) + " run " + config + " --until-idle");
    log += run.output;
    if (run.exit_code == 0) {
      auto posts = posts_of(config);
      int open = 0;
      for (const auto& [id, p] : posts)
        open += p.state != "done" && p.state != "quarantined" && p.state != "failed";
      if (open == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(60));  // the retry delay
      continue;
    }
    ++crashes;
  }
  EXPECT_GE(crashes, 6) << "each poison post crashes the worker max_attempts times\n" << log;

  auto posts = posts_of(config);
  ASSERT_EQ(posts.size(), static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const PostView& p = posts[ids[static_cast<size_t>(i)]];
    if (i == 17 || i == 211) {
      EXPECT_EQ(p.state, "quarantined") << p.reason;
      EXPECT_NE(p.reason.find(i == 17 ? "SIGSEGV" : "SIGABRT"), std::string::npos) << p.reason;
      EXPECT_NE(p.reason.find("plugin fixture_poison"), std::string::npos) << p.reason;
      EXPECT_NE(p.reason.find("step draft"), std::string::npos) << p.reason;
      EXPECT_NE(p.reason.find("herald retry"), std::string::npos) << p.reason;
    } else {
      EXPECT_EQ(p.state, "done") << "post " << i << ": " << p.reason;
    }
  }
  EXPECT_EQ(published(dir).size(), static_cast<size_t>(count - 2));

  // Shown, audited and released by a person.
  const std::string poisoned = std::to_string(ids[17]);
  auto status = run_command(std::string(HERALD_CLI) + " status " + config + " " + poisoned);
  EXPECT_NE(status.output.find("quarantined"), std::string::npos) << status.output;
  auto inbox = run_command(std::string(HERALD_CLI) + " inbox " + config + " --as ops");
  EXPECT_NE(inbox.output.find("retry"), std::string::npos) << inbox.output;
  EXPECT_NE(inbox.output.find("post 17"), std::string::npos) << inbox.output;
  auto audit = run_command(std::string(HERALD_CLI) + " audit " + config + " " + poisoned);
  EXPECT_NE(audit.output.find("quarantine"), std::string::npos) << audit.output;
  EXPECT_NE(audit.output.find("crash"), std::string::npos) << audit.output;
  auto retry = run_command(std::string(HERALD_CLI) + " retry " + config + " " + poisoned +
                           " --as ops --reason 'plugin fixed'");
  EXPECT_EQ(retry.exit_code, 0) << retry.output;
  auto again = posts_of(config)[ids[17]];
  EXPECT_EQ(again.state, "ready");
  EXPECT_EQ(again.attempt, 0);
  auto verify = run_command(std::string(HERALD_CLI) + " audit verify " + config);
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
}

/// Starts `herald run` in the background; its output goes to `log`.
pid_t start_run(const std::string& config, const std::string& log, const char* flag = nullptr) {
  pid_t worker = fork();
  if (worker == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    execl(HERALD_CLI, HERALD_CLI, "run", config.c_str(), flag, static_cast<char*>(nullptr));
    _exit(127);
  }
  return worker;
}

/// Waits up to `seconds` for the process; its exit status, or -1 if it is still running.
int wait_for(pid_t pid, double seconds, double* took = nullptr) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      if (took)
        *took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() - start > std::chrono::duration<double>(seconds))
      return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

TEST(CrashPoison, ASupervisedWorkerIsStartedAgainAfterACrashAndAHang) {
  testing::TempDir dir;
  const std::string config =
      poison_config(dir, "{ max_attempts: 2, retry_delay_seconds: 0.05 }", ", timeout_seconds: 1");
  const int count = 60;
  std::vector<int64_t> ids = submit(config, count, {{5, "POISON-SEGV"}, {40, "POISON-HANG"}});
  ASSERT_EQ(ids.size(), static_cast<size_t>(count));

  // One command: the supervisor starts a worker again whenever one crashes or abandons a step
  // that hangs past its one-second deadline, until every post is done or quarantined.
  const std::string log = dir.file("run.log");
  pid_t supervisor = start_run(config, log, "--supervise");
  ASSERT_GT(supervisor, 0);
  int open = count;
  for (int waited = 0; open > 0 && waited < 600; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    open = 0;
    for (const auto& [id, p] : posts_of(config))
      open += p.state != "done" && p.state != "quarantined" && p.state != "failed";
  }
  kill(supervisor, SIGTERM);
  int code = wait_for(supervisor, 10);
  if (code == -1) kill(supervisor, SIGKILL);
  const std::string output = testing::read_file(log);
  EXPECT_EQ(open, 0) << output;
  EXPECT_EQ(code, 0) << "a worker stopped by SIGTERM between rounds ends cleanly\n" << output;
  EXPECT_NE(output.find("SIGSEGV"), std::string::npos) << output;
  EXPECT_NE(output.find("past its deadline of 1 s"), std::string::npos) << output;
  EXPECT_NE(output.find("starting worker"), std::string::npos) << output;

  auto posts = posts_of(config);
  for (int i = 0; i < count; ++i) {
    const PostView& p = posts[ids[static_cast<size_t>(i)]];
    if (i == 5) {
      EXPECT_EQ(p.state, "quarantined") << p.reason;
      EXPECT_NE(p.reason.find("SIGSEGV"), std::string::npos) << p.reason;
    } else if (i == 40) {
      EXPECT_EQ(p.state, "quarantined") << p.reason;
      EXPECT_NE(p.reason.find("deadline of 1 s"), std::string::npos) << p.reason;
    } else {
      EXPECT_EQ(p.state, "done") << "post " << i << ": " << p.reason;
    }
  }
  EXPECT_EQ(published(dir).size(), static_cast<size_t>(count - 2));
}

TEST(CrashPoison, APythonHookBlockedOutsidePythonIsAbandonedAtTheStepsDeadline) {
  // herald.Timeout cannot reach a hook blocked in a system call: the step's deadline does. The
  // supervised worker is replaced, the post is counted an attempt each time and set aside; every
  // other post publishes.
  testing::TempDir dir;
  dir.write("blocking_hook.py",
            "import select\n"
            "def block(post, ctx):\n"
            "    if 'HOOK-HANG' in post.text:\n"
            "        select.select([], [], [], 1000)\n");
  const std::string config =
      poison_config(dir, "{ max_attempts: 2, retry_delay_seconds: 0.05 }", ", timeout_seconds: 2",
                    "python: { paths: [\".\"], timeout_seconds: 1 }\n"
                    "hooks: { after_draft: \"blocking_hook:block\" }\n");
  // (Through the CLI: this test program has no Python runtime.)
  const int count = 12;
  for (int i = 0; i < count; ++i) {
    auto submitted = run_command(std::string(HERALD_CLI) + " submit " + config +
                                 " -w announce -a corp --author ana -t 'post " + std::to_string(i) +
                                 (i == 7 ? " HOOK-HANG'" : "'"));
    ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  }
  auto states = [&] {
    std::map<std::string, std::string> out;  // text -> state
    auto status = run_command(std::string(HERALD_CLI) + " status " + config + " --json");
    EXPECT_EQ(status.exit_code, 0) << status.output;
    if (status.exit_code != 0) return out;
    for (const auto& post : nlohmann::json::parse(status.output))
      out[post.value("text", "")] = post.value("state", "");
    return out;
  };
  const std::string log = dir.file("run.log");
  pid_t supervisor = start_run(config, log, "--supervise");
  ASSERT_GT(supervisor, 0);
  int open = count;
  for (int waited = 0; open > 0 && waited < 300; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    open = 0;
    for (const auto& [text, state] : states())
      open += state != "done" && state != "quarantined" && state != "failed";
  }
  kill(supervisor, SIGTERM);
  int code = wait_for(supervisor, 10);
  if (code == -1) kill(supervisor, SIGKILL);
  const std::string output = testing::read_file(log);
  EXPECT_EQ(open, 0) << output;
  EXPECT_NE(output.find("past its deadline of 2 s"), std::string::npos) << output;
  auto final_states = states();
  ASSERT_EQ(final_states.size(), static_cast<size_t>(count));
  for (const auto& [text, state] : final_states)
    EXPECT_EQ(state, text.find("HOOK-HANG") != std::string::npos ? "quarantined" : "done") << text;
  EXPECT_EQ(published(dir).size(), static_cast<size_t>(count - 1));
}

TEST(CrashPoison, SigtermStopsARunWhoseStepHangsAtTheStepsDeadline) {
  testing::TempDir dir;
  const std::string config =
      poison_config(dir, "{ max_attempts: 3, retry_delay_seconds: 600 }", ", timeout_seconds: 2");
  std::vector<int64_t> ids = submit(config, 3, {{1, "POISON-HANG"}});
  ASSERT_EQ(ids.size(), 3u);
  const std::string log = dir.file("run.log");
  pid_t worker = start_run(config, log);
  ASSERT_GT(worker, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));  // the step is hanging
  ASSERT_EQ(kill(worker, SIGTERM), 0);
  double took = 0;
  int code = wait_for(worker, 10, &took);
  if (code == -1) kill(worker, SIGKILL);
  ASSERT_EQ(code, 128 + SIGTERM) << testing::read_file(log);
  EXPECT_LT(took, 5.0) << "stopped at the step's deadline, not never";
  EXPECT_NE(testing::read_file(log).find("past its deadline of 2 s"), std::string::npos)
      << testing::read_file(log);

  // The next run takes the posts up at once and counts the hang against its post only.
  // (It comes back in ten minutes: the retry delay.)
  auto next = run_command(std::string(HERALD_CLI) + " run " + config + " --until-idle");
  EXPECT_EQ(next.exit_code, 0) << next.output;
  EXPECT_NE(next.output.find("1 of them counted an attempt"), std::string::npos) << next.output;
  auto posts = posts_of(config);
  EXPECT_EQ(posts[ids[1]].state, "ready") << posts[ids[1]].reason;
  EXPECT_EQ(posts[ids[1]].attempt, 1) << posts[ids[1]].reason;
  EXPECT_NE(posts[ids[1]].reason.find("deadline"), std::string::npos) << posts[ids[1]].reason;
  EXPECT_EQ(posts[ids[0]].state, "done") << posts[ids[0]].reason;
  EXPECT_EQ(posts[ids[2]].state, "done") << posts[ids[2]].reason;
}

TEST(CrashPoison, ASecondSigintStopsAtOnceWithoutCountingAnAttempt) {
  testing::TempDir dir;
  const std::string config = poison_config(dir, "{ max_attempts: 3 }", ", timeout_seconds: 60");
  std::vector<int64_t> ids = submit(config, 1, {{0, "POISON-HANG"}});
  ASSERT_EQ(ids.size(), 1u);
  const std::string log = dir.file("run.log");
  pid_t worker = start_run(config, log);
  ASSERT_GT(worker, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(kill(worker, SIGINT), 0);
  EXPECT_EQ(wait_for(worker, 0.5), -1) << "the first SIGINT waits for the step";
  ASSERT_EQ(kill(worker, SIGINT), 0);
  int code = wait_for(worker, 5);
  if (code == -1) kill(worker, SIGKILL);
  ASSERT_EQ(code, 128 + SIGINT) << testing::read_file(log);

  // Stopped by a person, not by the post: no attempt is counted.
  auto posts = posts_of(config);
  EXPECT_EQ(posts[ids[0]].state, "in_flight");
  EXPECT_EQ(posts[ids[0]].attempt, 0);
}

TEST(CrashPoison, AStepThatReturnsPastItsDeadlineIsRetriedThenFails) {
  testing::TempDir dir;
  const std::string config =
      poison_config(dir, "{ max_attempts: 2, retry_delay_seconds: 0.05 }", ", timeout_seconds: 1");
  std::vector<int64_t> ids = submit(config, 2, {{0, "POISON-LATE"}});
  ASSERT_EQ(ids.size(), 2u);
  for (int i = 0; i < 4; ++i) {
    auto run = run_command(std::string(HERALD_CLI) + " run " + config + " --until-idle");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
  }
  auto posts = posts_of(config);
  EXPECT_EQ(posts[ids[0]].state, "failed") << posts[ids[0]].reason;
  EXPECT_NE(posts[ids[0]].reason.find("ran past its deadline of 1 s"), std::string::npos)
      << posts[ids[0]].reason;
  EXPECT_EQ(posts[ids[1]].state, "done") << posts[ids[1]].reason;
}

TEST(CrashPoison, AnIsolatedPluginThatCrashesHangsOrRunsOutOfMemoryNeverStopsTheWorker) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  const bool sanitized = true;  // a sanitizer's shadow memory does not fit a memory limit
#else
  const bool sanitized = false;
#endif
  testing::TempDir dir;
  const std::string config = poison_config(dir, "{ max_attempts: 2, retry_delay_seconds: 0.05 }",
                                           std::string(", timeout_seconds: 2, isolation: process") +
                                               (sanitized ? "" : ", memory_limit_mb: 256"));
  const int count = 40;
  std::map<int, std::string> poison = {
      {3, "POISON-SEGV"}, {9, "POISON-ABORT"}, {21, "POISON-HANG"}};
  if (!sanitized) poison[30] = "POISON-MEMORY";
  std::vector<int64_t> ids = submit(config, count, poison);
  ASSERT_EQ(ids.size(), static_cast<size_t>(count));

  // The worker itself never dies: each run ends on its own, with exit code 0.
  for (int run = 0; run < 6; ++run) {
    auto result = run_command(std::string(HERALD_CLI) + " run " + config + " --until-idle");
    ASSERT_EQ(result.exit_code, 0) << result.output;
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
  }
  auto posts = posts_of(config);
  for (int i = 0; i < count; ++i) {
    const PostView& p = posts[ids[static_cast<size_t>(i)]];
    auto found = poison.find(i);
    if (found == poison.end()) {
      EXPECT_EQ(p.state, "done") << "post " << i << ": " << p.reason;
      continue;
    }
    EXPECT_EQ(p.state, "failed") << found->second << ": " << p.reason;
    EXPECT_NE(p.reason.find("fixture_poison"), std::string::npos) << p.reason;
    const std::string expected = found->second == "POISON-SEGV"    ? "died of SIGSEGV"
                                 : found->second == "POISON-ABORT" ? "died of SIGABRT"
                                 : found->second == "POISON-HANG"  ? "deadline of 2 s"
                                                                   : "bad_alloc";
    EXPECT_NE(p.reason.find(expected), std::string::npos) << found->second << ": " << p.reason;
  }
  EXPECT_EQ(published(dir).size(), static_cast<size_t>(count) - poison.size());
}

}  // namespace
}  // namespace herald
