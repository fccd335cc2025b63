// Hostile checks of the guarantees of tests/cli/poison_test.cpp: what an operator, a plugin that
// misbehaves in `isolation: process`, or a stray file in the journal folder can do to a worker.
// The plugin is fixture_poison (tests/fixtures/plugins/fixture.cpp).
#include "support/test_support.hpp"

#include "engine/step_journal.hpp"

#include <herald/host.hpp>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

namespace herald {
namespace {

using testing::run_command;
namespace fs = std::filesystem;

std::string config_with(testing::TempDir& dir, const std::string& engine,
                        const std::string& draft_extra) {
  return dir.write("company.yaml", std::string(R"(herald: 1
store: { path: herald.db }
plugin_paths:
  - )") + BUILTIN_PLUGIN_DIR + R"(
  - )" + FIXTURE_DIR + R"(/herald_fixture_poison.so
engine: )" + engine + R"(
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

std::vector<int64_t> submit(const std::string& config, const std::vector<std::string>& texts) {
  std::vector<int64_t> ids;
  auto host = Host::open(config);
  EXPECT_TRUE(host) << host.status().message();
  if (!host) return ids;
  for (const std::string& text : texts) {
    auto id = (*host)->submit({"announce", "corp", "ana", text, {}, ""});
    EXPECT_TRUE(id) << id.status().message();
    if (id) ids.push_back(*id);
  }
  return ids;
}

std::map<int64_t, PostView> posts_of(const std::string& config) {
  std::map<int64_t, PostView> out;
  auto host = Host::open(config);
  EXPECT_TRUE(host) << host.status().message();
  if (!host) return out;
  auto all = (*host)->posts();
  EXPECT_TRUE(all);
  if (all)
    for (const PostView& p : *all) out[p.id] = p;
  return out;
}

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

/// Whether process `pid` is alive (a zombie is not).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

/// The herald-plugin-host children of `parent`, waiting up to `seconds` for one to appear.
std::vector<pid_t> plugin_hosts_of(pid_t parent, double seconds) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::vector<pid_t> found;
    std::error_code ec;
    for (const auto& item : fs::directory_iterator("/proc", ec)) {
      const std::string name = item.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(item.path() / "stat");
      std::string line;
      if (!std::getline(stat, line)) continue;
      const size_t open = line.find('('), close = line.rfind(')');
      if (open == std::string::npos || close == std::string::npos) continue;
      const std::string comm = line.substr(open + 1, close - open - 1);
      std::istringstream rest(line.substr(close + 2));
      char state = 0;
      pid_t ppid = 0;
      rest >> state >> ppid;
      if (ppid == parent && comm.rfind("herald-plugin", 0) == 0 && state != 'Z')
        found.push_back(std::stoi(name));
    }
    if (!found.empty() ||
        std::chrono::steady_clock::now() - start > std::chrono::duration<double>(seconds))
      return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool gone_within(pid_t pid, double seconds) {
  const auto start = std::chrono::steady_clock::now();
  while (alive(pid)) {
    if (std::chrono::steady_clock::now() - start > std::chrono::duration<double>(seconds))
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Defect: an isolated step is not in the journal, so the watchdog counted no step running and a
// second SIGINT ("stop now") did nothing: the worker waited for the step's deadline (here a
// minute) however often it was told to stop.
TEST(CrashPoisonBreak, ASecondSigintStopsAtOnceWhileAnIsolatedStepHangs) {
  testing::TempDir dir;
  const std::string config = config_with(dir, "{ max_attempts: 3, lease_seconds: 300 }",
                                         ", timeout_seconds: 60, isolation: process");
  std::vector<int64_t> ids = submit(config, {"stuck POISON-HANG"});
  ASSERT_EQ(ids.size(), 1u);
  const std::string log = dir.file("run.log");
  pid_t worker = start_run(config, log);
  ASSERT_GT(worker, 0);
  std::vector<pid_t> children = plugin_hosts_of(worker, 10);
  ASSERT_EQ(children.size(), 1u) << testing::read_file(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the call is under way
  ASSERT_EQ(kill(worker, SIGINT), 0);
  EXPECT_EQ(wait_for(worker, 0.5), -1) << "the first SIGINT waits for the step";
  ASSERT_EQ(kill(worker, SIGINT), 0);
  int code = wait_for(worker, 5);
  if (code == -1) {
    kill(worker, SIGKILL);
    wait_for(worker, 5);
  }
  EXPECT_EQ(code, 128 + SIGINT) << testing::read_file(log);
  EXPECT_TRUE(gone_within(children[0], 3)) << "the plugin's process ends with the worker";
  if (alive(children[0])) kill(children[0], SIGKILL);

  // Stopped by a person: no attempt counted; the next worker takes the post up at once.
  auto posts = posts_of(config);
  EXPECT_EQ(posts[ids[0]].attempt, 0) << posts[ids[0]].reason;
}

// Defect: herald-plugin-host outlived a worker killed while a call ran (SIGKILL, OOM killer, a
// crash in another thread): a plugin that hangs, or ignores SIGTERM, kept running for ever.
TEST(CrashPoisonBreak, TheIsolatedPluginsProcessDiesWithAKilledWorker) {
  testing::TempDir dir;
  const std::string config =
      config_with(dir, "{ max_attempts: 3 }", ", timeout_seconds: 60, isolation: process");
  ASSERT_EQ(submit(config, {"stuck POISON-HANG"}).size(), 1u);
  const std::string log = dir.file("run.log");
  pid_t worker = start_run(config, log);
  ASSERT_GT(worker, 0);
  std::vector<pid_t> children = plugin_hosts_of(worker, 10);
  ASSERT_EQ(children.size(), 1u) << testing::read_file(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(worker, SIGKILL);
  EXPECT_EQ(wait_for(worker, 5), 128 + SIGKILL);
  EXPECT_TRUE(gone_within(children[0], 3))
      << "herald-plugin-host " << children[0] << " still runs after its worker was killed";
  if (alive(children[0])) kill(children[0], SIGKILL);
}

// Defect: the child's pipe descriptors (3 and 4) were inherited by whatever the plugin started
// (system(), popen()); when the plugin then crashed, the helper still held the answer pipe open,
// so the worker saw no end of file: it waited out the whole deadline and reported a hang instead
// of the crash.
TEST(CrashPoisonBreak, AnIsolatedPluginThatStartsAHelperAndCrashesIsReportedAsACrash) {
  testing::TempDir dir;
  const std::string config = config_with(dir, "{ max_attempts: 3, retry_delay_seconds: 600 }",
                                         ", timeout_seconds: 4, isolation: process");
  std::vector<int64_t> ids = submit(config, {"helper POISON-FORK", "fine"});
  ASSERT_EQ(ids.size(), 2u);
  const auto start = std::chrono::steady_clock::now();
  auto run = run_command(std::string(HERALD_CLI) + " run " + config + " --until-idle");
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto posts = posts_of(config);
  EXPECT_EQ(posts[ids[0]].state, "ready") << posts[ids[0]].reason;
  EXPECT_NE(posts[ids[0]].reason.find("died of SIGSEGV"), std::string::npos)
      << posts[ids[0]].reason;
  EXPECT_LT(took, 3.5) << "the crash is seen at once, not at the 4 s deadline";
  EXPECT_EQ(posts[ids[1]].state, "done") << posts[ids[1]].reason;
}

/// The children of `parent` whose command is `name` (up to 15 characters; empty: any).
std::vector<pid_t> children_named(pid_t parent, const std::string& name) {
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator("/proc", ec)) {
    const std::string pid = item.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(item.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    const size_t open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent && state != 'Z' &&
        (name.empty() || line.substr(open + 1, close - open - 1) == name))
      found.push_back(std::stoi(pid));
  }
  return found;
}

// Defect: a worker whose supervisor was killed (kill -9) ran on unsupervised: not started again
// after a crash, and doubled by the next supervisor. It now stops as if told by SIGTERM.
TEST(CrashPoisonBreak, ASupervisedWorkerStopsWhenItsSupervisorIsKilled) {
  testing::TempDir dir;
  const std::string config = config_with(dir, "{ max_attempts: 3 }", "");
  ASSERT_EQ(submit(config, {"one"}).size(), 1u);
  const std::string log = dir.file("run.log");
  pid_t supervisor = start_run(config, log, "--supervise");
  ASSERT_GT(supervisor, 0);
  std::vector<pid_t> workers;
  for (int i = 0; i < 250 && workers.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    workers = children_named(supervisor, "");  // started as /proc/self/exe
  }
  if (workers.size() != 1u) {
    kill(supervisor, SIGTERM);
    wait_for(supervisor, 10);
    FAIL() << "no worker found\n" << testing::read_file(log);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the worker is running
  kill(supervisor, SIGKILL);
  EXPECT_EQ(wait_for(supervisor, 5), 128 + SIGKILL);
  EXPECT_TRUE(gone_within(workers[0], 5))
      << "worker " << workers[0] << " still runs without its supervisor\n"
      << testing::read_file(log);
  if (alive(workers[0])) kill(workers[0], SIGKILL);
}

// Defect: herald-plugin-host loads the configuration file when it starts, which is at the step's
// first call (or after a crash), not when the worker started: a configuration edited in between
// was used by the isolated step only, so the worker published to where the new file said (here
// another outbox folder) while the rest of it ran the configuration it had read. The child now
// refuses a configuration that changed, and says to restart the worker.
TEST(CrashPoisonBreak, AnIsolatedStepRunsTheConfigurationTheWorkerRead) {
  testing::TempDir dir;
  auto config_to = [&](const std::string& folder) {
    return dir.write("company.yaml", std::string(R"(herald: 1
store: { path: herald.db }
plugin_paths: [ )") + BUILTIN_PLUGIN_DIR +
                                         R"( ]
engine: { max_attempts: 3, retry_delay_seconds: 600 }
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    steps:
      - { kind: publish, plugin: outbox, isolation: process, config: { directory: )" +
                                         folder + R"( } }
)");
  };
  const std::string config = config_to("out");
  ASSERT_TRUE(Host::open(config));  // the store exists before the worker starts
  const std::string log = dir.file("run.log");
  pid_t worker = start_run(config, log);
  ASSERT_GT(worker, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // running, with nothing to do
  config_to("elsewhere");
  std::vector<int64_t> ids = submit(config, {"after the edit"});
  ASSERT_EQ(ids.size(), 1u);
  std::string state;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    state = posts_of(config)[ids[0]].state;
    if (state != "ready" && state != "in_flight") break;
  }
  kill(worker, SIGTERM);
  if (wait_for(worker, 8) == -1) {
    kill(worker, SIGKILL);
    wait_for(worker, 5);
  }
  const std::string output = testing::read_file(log);
  EXPECT_FALSE(fs::exists(dir.file("elsewhere/corp.jsonl")))
      << "published as a configuration the worker never read\n"
      << output;
  EXPECT_NE(output.find("changed since the worker read it"), std::string::npos) << output;
}

// A before_ hook runs when the post reaches its step, not when the step runs again after a
// retry. A worker that died in a before_publish hook (a crash in the hook, or kill -9 during a
// slow one) left the post `unconfirmed` with no attempt used, and the step then ran as if it were
// a retry: the hook was skipped and the post published without the check that would have
// refused it. Such a post now runs its before_ hooks again.
TEST(CrashPoisonBreak, AWorkerThatDiesInABeforePublishHookDoesNotSkipTheHook) {
  testing::TempDir dir;
  fs::create_directories(dir.file("hooks"));
  dir.write("hooks/compliance.py", R"(import os, herald
def check(post, ctx):
    if "FORBIDDEN" not in post.text:
        return None
    marker = os.path.join(os.path.dirname(__file__), "crashed-once")
    if not os.path.exists(marker):
        open(marker, "w").close()
        os.abort()  # the hook's library crashes, once
    raise herald.Veto("forbidden words")
)");
  const std::string config = dir.write("company.yaml", std::string(R"(herald: 1
store: { path: herald.db }
plugin_paths: [ )") + BUILTIN_PLUGIN_DIR + R"( ]
python: { paths: [hooks] }
engine: { max_attempts: 3, retry_delay_seconds: 0.05 }
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    hooks: { before_publish: "compliance:check" }
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out } }
)");
  // (Through the CLI: this test program has no Python runtime.)
  for (const char* text : {"FORBIDDEN words", "fine"}) {
    auto submitted = run_command(std::string(HERALD_CLI) + " submit " + config +
                                 " -w announce -a corp --author ana -t '" + text + "'");
    ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  }
  std::string log;
  for (int i = 0; i < 4; ++i) {
    auto run = run_command(std::string(HERALD_CLI) + " run " + config + " --until-idle");
    log += run.output;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(fs::exists(dir.file("hooks/crashed-once"))) << log;
  auto status = run_command(std::string(HERALD_CLI) + " status " + config + " 1");
  EXPECT_NE(status.output.find("rejected"), std::string::npos) << status.output << "\n" << log;
  const std::string outbox = testing::read_file(dir.file("out/corp.jsonl"));
  EXPECT_EQ(outbox.find("FORBIDDEN"), std::string::npos)
      << "published without its before_publish hook";
  EXPECT_NE(outbox.find("fine"), std::string::npos) << outbox;
}

// A post at the text limit crosses the pipes both ways (more than a pipe's buffer).
TEST(CrashPoisonBreak, ALargePostCrossesTheIsolatedPluginsPipes) {
  testing::TempDir dir;
  const std::string config = config_with(dir, "{ max_attempts: 2 }", ", isolation: process");
  std::string text;
  while (text.size() < 60'000) text += "\"quote\" \\ and \xc3\xa9 ";  // JSON-escaped, UTF-8
  std::vector<int64_t> ids = submit(config, {text, "small"});
  ASSERT_EQ(ids.size(), 2u);
  auto run = run_command(std::string(HERALD_CLI) + " run " + config + " --until-idle");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto posts = posts_of(config);
  EXPECT_EQ(posts[ids[0]].state, "done") << posts[ids[0]].reason;
  EXPECT_EQ(posts[ids[1]].state, "done") << posts[ids[1]].reason;
  EXPECT_NE(testing::read_file(dir.file("out/corp.jsonl")).find("\\\"quote\\\""),
            std::string::npos);
}

// Defect: a FIFO named like a journal in the workers' folder (a mistake, or anyone who may write
// there) made every worker block for ever in open(2) when it looked for dead workers' journals.
TEST(CrashPoisonBreak, AStrayFileInTheJournalFolderDoesNotStopTheWorker) {
  testing::TempDir dir;
  const std::string config = config_with(dir, "{ max_attempts: 2 }", "");
  std::vector<int64_t> ids = submit(config, {"one", "two"});
  ASSERT_EQ(ids.size(), 2u);
  const fs::path workers = dir.file("herald.db.workers");
  fs::create_directories(workers);
  ASSERT_EQ(mkfifo((workers / "stale.journal").c_str(), 0600), 0);
  {  // a journal from another version, and a truncated one
    std::ofstream(workers / "other.journal") << "HERALDJ\0garbage";
    std::ofstream(workers / "short.journal") << "HER";
  }
  fs::create_directories(workers / "folder.journal");
  const std::string log = dir.file("run.log");
  pid_t worker = start_run(config, log, "--until-idle");
  int code = wait_for(worker, 15);
  if (code == -1) {
    kill(worker, SIGKILL);
    wait_for(worker, 5);
  }
  ASSERT_EQ(code, 0) << testing::read_file(log);
  auto posts = posts_of(config);
  EXPECT_EQ(posts[ids[0]].state, "done");
  EXPECT_EQ(posts[ids[1]].state, "done");
  EXPECT_FALSE(fs::exists(workers / "other.journal"));
  EXPECT_FALSE(fs::exists(workers / "short.journal"));
}

// Defect: a worker that could not make its journal file (the folder not writable, or a file in
// its place) ran no watchdog at all: step deadlines were not kept, and neither SIGTERM nor a
// second SIGINT stopped a step that hangs.
TEST(CrashPoisonBreak, WithoutAJournalFileDeadlinesAndStopSignalsStillHold) {
  testing::TempDir dir;
  const std::string config =
      config_with(dir, "{ max_attempts: 3, retry_delay_seconds: 600 }", ", timeout_seconds: 1");
  std::vector<int64_t> ids = submit(config, {"stuck POISON-HANG", "fine"});
  ASSERT_EQ(ids.size(), 2u);
  std::ofstream(dir.file("herald.db.workers")) << "not a folder";
  const std::string log = dir.file("run.log");
  pid_t worker = start_run(config, log);
  ASSERT_GT(worker, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(kill(worker, SIGTERM), 0);
  int code = wait_for(worker, 8);
  if (code == -1) {
    kill(worker, SIGKILL);
    wait_for(worker, 5);
  }
  const std::string output = testing::read_file(log);
  EXPECT_EQ(code, 128 + SIGTERM) << output;
  EXPECT_NE(output.find("without a journal"), std::string::npos) << output;
  EXPECT_NE(output.find("past its deadline of 1 s"), std::string::npos) << output;
}

// Defect: the journal had 64 slots while engine.publish_concurrency may be 256: the steps past
// the 64th ran unrecorded, so a hang there was never found and a crash never told from the
// other posts.
TEST(CrashPoisonBreak, TheJournalRecordsAsManyStepsAsCanRunAtOnce) {
  testing::TempDir dir;
  std::string error;
  auto journal = StepJournal::open(dir.file("store.workers"), "host:1:2", error);
  ASSERT_TRUE(journal) << error;
  const int at_once = 256 + 1;  // publish_concurrency at its most, and the engine's thread
  std::vector<StepJournal::Running> running;
  running.reserve(at_once);
  for (int i = 0; i < at_once; ++i)
    running.push_back(journal->begin(i + 1, 1, 0, "publish", "outbox", 0, 0));
  EXPECT_EQ(journal->running(), at_once);
  EXPECT_EQ(journal->check_deadlines().size(), static_cast<size_t>(at_once))
      << "every step past its deadline is found";
}

}  // namespace
}  // namespace herald
