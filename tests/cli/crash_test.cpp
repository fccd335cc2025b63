// A worker killed with SIGKILL in the middle of a run loses nothing and publishes nothing twice:
// the next run takes up where it stopped.
#include "support/test_support.hpp"

#include <herald/host.hpp>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

namespace herald {
namespace {

TEST(Crash, KilledMidRunThenResumedPublishesEachPostOnce) {
  testing::TempDir dir;
  std::string config = dir.write("company.yaml", std::string(R"(herald: 1
plugin_paths:
  - )") + BUILTIN_PLUGIN_DIR + R"(
  - )" + FIXTURE_DIR + R"(/herald_fixture_slow.so
engine: { lease_seconds: 2 }
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  slow:
    steps:
      - { kind: draft, plugin: fixture_slow, timeout_seconds: 1 }
      - { kind: publish, plugin: outbox, timeout_seconds: 1, config: { directory: out } }
)");
  const int posts = 400;
  {
    auto host = Host::open(config);
    ASSERT_TRUE(host) << host.status().message();
    for (int i = 0; i < posts; ++i)
      ASSERT_TRUE((*host)->submit({"slow", "corp", "ana", "post " + std::to_string(i), {}, ""}));
  }

  // Each draft step takes 2 ms: a run needs about a second; kill it after a third of that.
  pid_t worker = fork();
  ASSERT_GE(worker, 0);
  if (worker == 0) {
    int null_fd = ::open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execl(HERALD_CLI, HERALD_CLI, "run", config.c_str(), "--until-idle", "--batch", "50",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(worker, SIGKILL), 0);
  int status = 0;
  waitpid(worker, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the worker finished before it was killed; make it slower";
  size_t published_before = testing::count_lines(testing::read_file(dir.file("out/corp.jsonl")));
  EXPECT_LT(published_before, static_cast<size_t>(posts));

  // Its claims last two seconds, but its journal says it is gone: a new run takes every post
  // up at once and to the end.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto resumed = testing::run_command(std::string(HERALD_CLI) + " run " + config + " --until-idle");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;

  auto host = Host::open(config);
  ASSERT_TRUE(host);
  auto all = (*host)->posts();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), static_cast<size_t>(posts));
  for (const auto& post : *all) EXPECT_EQ(post.state, "done") << post.id << ": " << post.reason;

  std::string outbox = testing::read_file(dir.file("out/corp.jsonl"));
  std::set<std::string> keys;
  size_t lines = 0;
  for (size_t at = outbox.find("\"idempotency_key\":\""); at != std::string::npos;
       at = outbox.find("\"idempotency_key\":\"", at + 1)) {
    size_t start = at + 19;
    keys.insert(outbox.substr(start, outbox.find('"', start) - start));
    ++lines;
  }
  EXPECT_EQ(lines, static_cast<size_t>(posts)) << "every post published exactly once";
  EXPECT_EQ(keys.size(), static_cast<size_t>(posts));
}

}  // namespace
}  // namespace herald
