// Exactly once in effect, under crashes and faults: `herald run` is killed with SIGKILL at random
// moments while it publishes 1,000 posts to herald-netsim, and started again, at least 50 times;
// then once more with 20% of the calls hit by every kind of fault. Every post must be on its
// network exactly once, none missing, and no secret may appear in anything the runs logged.
// scripts/crash-publish.sh runs a longer version.
#include <herald/host.hpp>

#include "support/netsim.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

namespace herald {
namespace {

using nlohmann::json;

constexpr const char* kToken = "crash-test-token-5b1d";  // and kToken + "-1" for the second
constexpr const char* kPassword = "crash-test-app-pass-77c0";
constexpr const char* kSigningKey = "crash-test-signing-key-2a9f";

int env_int(const char* name, int fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::atoi(value) : fallback;
}

std::string config_yaml(const std::string& url) {
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
store: { path: crash.db }
engine: { retry_delay_seconds: 0.05, max_retry_delay_seconds: 0.5, max_attempts: 50, lease_seconds: 2 }
accounts:
)";
  const std::map<std::string, std::string> credential = {
      {"mastodon", "token: \"${env:HERALD_CRASH_TOKEN_N}\""},
      {"x", "token: \"${env:HERALD_CRASH_TOKEN_N}\""},
      {"bluesky", "app_password: \"${env:HERALD_CRASH_PASSWORD}\""},
      {"linkedin", "token: \"${env:HERALD_CRASH_TOKEN_N}\""},
      {"webhook", "signing_key: \"${env:HERALD_CRASH_SIGNING_KEY}\""}};
  for (const auto& [network, secret] : credential)
    for (int i = 0; i < 2; ++i) {
      std::string name = network + std::to_string(i);
      std::string handle =
          network == "linkedin" ? "urn:li:organization:" + std::to_string(i) : name + ".example";
      std::string endpoint = network == "webhook" ? url + "/hooks/" + name : url;
      // Each account its own token, as on the real networks (their limits are per token).
      std::string own = secret;
      if (size_t n = own.find("_N}"); n != std::string::npos)
        own.replace(n + 1, 1, std::to_string(i));
      yaml += "  " + name + ": { network: " + network + ", handle: \"" + handle +
              "\", endpoint: \"" + endpoint + "\", credentials: { " + own + " } }\n";
    }
  yaml += R"(people:
  ana: { roles: [writer] }
workflows:
  publish:
    steps:
)";
  // A call may take 1 s; a post whose outcome is unknown is looked for 2 s later, and again
  // 2 s after that before it is posted anew. The settle time must outlast the network's longest
  // delay (slow_create: 1.5 s) counted from the call: a killed worker may have sent its call
  // just before its claim was taken over.
  for (const auto& entry : credential)
    yaml += "      - { name: " + entry.first + ", kind: publish, plugin: " + entry.first +
            ", when: { network: " + entry.first +
            " }, timeout_seconds: 1, config: { timeout_seconds: 1, settle_seconds: 2 } }\n";
  return yaml;
}

class CrashPublishing : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("HERALD_CRASH_TOKEN_0", kToken, 1);
    setenv("HERALD_CRASH_TOKEN_1", (std::string(kToken) + "-1").c_str(), 1);
    setenv("HERALD_CRASH_PASSWORD", kPassword, 1);
    setenv("HERALD_CRASH_SIGNING_KEY", kSigningKey, 1);
    // The runs publish a tenth of their posts to each account in a minute or two, with
    // retries: more than X lets a user post in a quarter of an hour (100) and, with more posts
    // than the default, more than Mastodon (300 statuses in 3 hours, 300 calls in 5 minutes) and
    // LinkedIn (150 a day) allow. Those windows are sized for the runs; the others stay.
    const std::string room =
        std::to_string(std::max(1000, 3 * env_int("HERALD_CRASH_POSTS", 1000) / 10));
    netsim_ = std::make_unique<testing::Netsim>(
        NETSIM, std::vector<std::string>{"--webhook-secret-env", "HERALD_CRASH_SIGNING_KEY",
                                         "--limit", "x.user=" + room + "/900", "--limit",
                                         "mastodon.statuses=" + room + "/10800", "--limit",
                                         "mastodon.api=" + room + "/300", "--limit",
                                         "linkedin.member=" + room + "/86400"});
    config_ = dir_.write("crash.yaml", config_yaml(netsim_->url()));
    log_ = dir_.file("runs.log");
  }

  void submit_posts(int count) {
    auto host = Host::open(config_);
    ASSERT_TRUE(host) << host.status().message();
    static const char* networks[] = {"mastodon", "x", "bluesky", "linkedin", "webhook"};
    for (int i = 0; i < count; ++i) {
      std::string account = std::string(networks[i % 5]) + std::to_string((i / 5) % 2);
      auto id = (*host)->submit(
          {"publish", account, "ana", "Crash-safe post number " + std::to_string(i), {}, ""});
      ASSERT_TRUE(id) << id.status().message();
    }
  }

  /// Starts `herald run` (extra args after the config), its output appended to the log.
  pid_t start(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {HERALD_CLI, "--log-level", "info", "run", config_};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
      int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      execv(HERALD_CLI, argv.data());
      _exit(127);
    }
    return pid;
  }

  /// Kills `herald run` at random moments, `kills` times.
  void crash_repeatedly(int kills, std::mt19937& random) {
    std::uniform_int_distribution<int> delay_ms(20, 250);
    for (int i = 0; i < kills; ++i) {
      pid_t pid = start({"--batch", "16"});
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(random)));
      kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
    }
  }

  /// Runs to the end: until no post is left to publish (claims of killed workers expire first).
  void finish(int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      pid_t pid = start({"--until-idle"});
      int status = 0;
      waitpid(pid, &status, 0);
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << "herald run failed; it logged:\n"
          << testing::read_file(log_).substr(0, 3000);
      if (unfinished() == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  int unfinished() {
    auto host = Host::open(config_);
    if (!host) return -1;
    auto posts = (*host)->posts();
    if (!posts) return -1;
    int left = 0;
    for (const PostView& p : *posts) left += p.state != "done";
    return left;
  }

  std::string unfinished_reasons() {
    auto host = Host::open(config_);
    if (!host) return host.status().message();
    auto posts = (*host)->posts();
    if (!posts) return posts.status().message();
    std::string out;
    for (const PostView& p : *posts)
      if (p.state != "done" && out.size() < 3000)
        out += std::to_string(p.id) + " " + p.account + " " + p.state + ": " + p.reason + "\n";
    return out;
  }

  /// For the posts in `which` ("network text xN" lines): when the network made each copy, and
  /// the post's audit trail.
  std::string explain(const std::string& which, const json& accepted) {
    std::string out;
    auto host = Host::open(config_);
    auto posts = host ? (*host)->posts() : Result<std::vector<PostView>>(host.status());
    for (const json& a : accepted) {
      const std::string line = a["network"].get<std::string>() + " " + a["text"].get<std::string>();
      if (which.find(line + " x") == std::string::npos || out.size() > 6000) continue;
      out += "  made " + a["id"].get<std::string>() + " at " +
             std::to_string(a["at_ms"].get<int64_t>()) + "\n";
      if (!posts) continue;
      for (const PostView& p : *posts)
        if (p.text == a["text"].get<std::string>() &&
            out.find("trail of " + std::to_string(p.id)) == std::string::npos) {
          out += "  trail of " + std::to_string(p.id) + ":\n";
          if (auto trail = (*host)->audit(p.id))
            for (const AuditRecord& r : *trail)
              out += "    " + std::to_string(r.at_ms) + " " + r.to_state + ": " + r.detail + "\n";
        }
    }
    return out;
  }

  /// Every post exactly once on its network, and every post done.
  /// Every post on its network once; `left` posts (quarantined ones) may stay unfinished.
  void expect_exactly_once(int count, int left = 0) {
    json accepted = netsim_->posts();
    std::map<std::string, int> seen;
    for (const json& p : accepted)
      ++seen[p["network"].get<std::string>() + " " + p["text"].get<std::string>()];
    int duplicates = 0;
    std::string which;
    for (const auto& [post, times] : seen)
      if (times > 1) {
        ++duplicates;
        if (which.size() < 2000) which += post + " x" + std::to_string(times) + "\n";
      }
    EXPECT_EQ(duplicates, 0) << "posted more than once:\n" << which << explain(which, accepted);
    EXPECT_EQ(static_cast<int>(seen.size()), count)
        << "posts missing on the networks; the runs logged:\n"
        << testing::read_file(log_).substr(0, 3000);
    EXPECT_EQ(unfinished(), left) << unfinished_reasons();
    std::string log = testing::read_file(log_);
    for (const char* secret : {kToken, kPassword, kSigningKey})
      EXPECT_EQ(log.find(secret), std::string::npos) << "a secret reached the logs";
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::Netsim> netsim_;
  std::string config_;
  std::string log_;
};

TEST_F(CrashPublishing, KilledAtRandomMomentsEveryPostGoesOutOnce) {
  const int posts = env_int("HERALD_CRASH_POSTS", 1000);
  const int kills = env_int("HERALD_CRASH_KILLS", 50);
  submit_posts(posts);
  std::mt19937 random(static_cast<unsigned>(env_int("HERALD_CRASH_SEED", 20261122)));
  crash_repeatedly(kills, random);
  finish(120);
  expect_exactly_once(posts);
}

TEST_F(CrashPublishing, WithOneCallInFiveFaultyEveryPostGoesOutOnce) {
  const int posts = env_int("HERALD_CRASH_POSTS", 1000);
  const int kills = env_int("HERALD_CRASH_KILLS", 50);
  // 20% of the create calls hit by a fault, spread over every kind a run recovers from by itself
  // (a refused credential waits for a person instead).
  json faults = json::array();
  for (const char* kind : {"latency", "5xx", "429", "reset", "drop_response"})
    faults.push_back({{"kind", kind},
                      {"rate", 0.04 / (1.0 - 0.04 * faults.size())},
                      {"latency_ms", 50},
                      {"retry_after_s", 1}});
  // And 1% answered after the client's timeout: the network makes the post 1.5 s after the
  // call, when Herald (timeout_seconds: 1) has given up on it.
  faults.push_back({{"kind", "slow_create"}, {"rate", 0.01 / 0.8}, {"latency_ms", 1500}});
  netsim_->post("/_netsim/faults", faults);
  submit_posts(posts);
  std::mt19937 random(static_cast<unsigned>(env_int("HERALD_CRASH_SEED", 20261122)));
  crash_repeatedly(kills, random);
  finish(180);
  expect_exactly_once(posts);
  EXPECT_GT(netsim_->get("/_netsim/stats")["faults_injected"].get<int>(), posts / 10);
}

TEST_F(CrashPublishing, CreatesAnsweredAfterTheTimeoutAreFoundOnEveryNetwork) {
  // Five create calls on every network (a quarter of the calls until then) are answered after
  // the client's timeout (the network makes the post 1.5 s after the call; Herald waits 1 s),
  // while runs are killed.
  const int posts = env_int("HERALD_CRASH_SLOW_POSTS", 200);
  json slow = json::array();
  for (const char* network : {"mastodon", "x", "bluesky", "linkedin", "webhook"})
    slow.push_back({{"network", network},
                    {"kind", "slow_create"},
                    {"rate", 0.25},
                    {"count", 5},
                    {"latency_ms", 1500}});
  netsim_->post("/_netsim/faults", slow);
  submit_posts(posts);
  std::mt19937 random(static_cast<unsigned>(env_int("HERALD_CRASH_SEED", 20261122)));
  crash_repeatedly(10, random);
  finish(180);
  expect_exactly_once(posts);
  json stats = netsim_->get("/_netsim/stats");
  for (const char* network : {"mastodon", "x", "bluesky", "linkedin", "webhook"})
    EXPECT_GT(stats["faults_by_kind"]["slow_create"].value(network, 0), 0) << network;
}

TEST_F(CrashPublishing, APoisonedStepAmongSlowCreatesStopsOnlyItsOwnPost) {
  // Every post first goes through a draft step of fixture_poison, which segfaults the worker
  // for one post and hangs for another; every network answers some creates after the client's
  // timeout; runs are killed at random, then run supervised (a new worker after each crash or
  // abandoned hang) to the end.
  std::string yaml = testing::read_file(config_);
  yaml.insert(yaml.find(']', yaml.find("plugin_paths: [")),
              std::string(", ") + FIXTURE_DIR + "/herald_fixture_poison.so");
  yaml.replace(yaml.find("max_attempts: 50"), 16, "max_attempts: 3");
  yaml.replace(yaml.find("    steps:\n"), 11,
               "    steps:\n      - { kind: draft, plugin: fixture_poison, timeout_seconds: 1 }\n");
  config_ = dir_.write("crash.yaml", yaml);
  json slow = json::array();
  for (const char* network : {"mastodon", "x", "bluesky", "linkedin", "webhook"})
    slow.push_back({{"network", network},
                    {"kind", "slow_create"},
                    {"rate", 0.25},
                    {"count", 3},
                    {"latency_ms", 1500}});
  netsim_->post("/_netsim/faults", slow);
  const int posts = env_int("HERALD_CRASH_POISON_POSTS", 100);
  submit_posts(posts);
  std::map<int64_t, std::string> poison;
  {
    auto host = Host::open(config_);
    ASSERT_TRUE(host) << host.status().message();
    for (auto [account, word] : {std::pair{"mastodon0", "POISON-SEGV"}, {"x1", "POISON-HANG"}}) {
      auto id =
          (*host)->submit({"publish", account, "ana", std::string("A post with ") + word, {}, ""});
      ASSERT_TRUE(id) << id.status().message();
      poison[*id] = word;
    }
  }
  std::mt19937 random(static_cast<unsigned>(env_int("HERALD_CRASH_SEED", 20261207)));
  crash_repeatedly(5, random);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
  while (std::chrono::steady_clock::now() < deadline) {
    pid_t pid = start({"--supervise", "--restart-delay", "0.05", "--until-idle"});
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "herald run --supervise failed; it logged:\n"
        << testing::read_file(log_).substr(0, 3000);
    if (unfinished() == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  expect_exactly_once(posts, 2);
  auto host = Host::open(config_);
  ASSERT_TRUE(host);
  for (const auto& [id, word] : poison) {
    auto post = (*host)->post(id);
    ASSERT_TRUE(post);
    EXPECT_EQ(post->state, "quarantined") << word << ": " << post->reason;
    EXPECT_NE(post->reason.find(word == "POISON-SEGV" ? "SIGSEGV" : "deadline of 1 s"),
              std::string::npos)
        << post->reason;
  }
  for (const json& p : netsim_->posts())
    EXPECT_EQ(p["text"].get<std::string>().find("POISON"), std::string::npos) << p.dump();
  int slow_creates = 0;
  json stats = netsim_->get("/_netsim/stats");
  for (const char* network : {"mastodon", "x", "bluesky", "linkedin", "webhook"})
    slow_creates += stats["faults_by_kind"]["slow_create"].value(network, 0);
  EXPECT_GT(slow_creates, 0);
}

TEST_F(CrashPublishing, ARateLimitStormSendsNothingBeforeEachReset) {
  // Every create call of the first 40 is answered 429 with a reset one or two seconds ahead.
  netsim_->post("/_netsim/faults", {{"kind", "429"}, {"count", 40}, {"retry_after_s", 1}});
  submit_posts(100);
  finish(120);
  expect_exactly_once(100);
  EXPECT_EQ(netsim_->get("/_netsim/stats")["requests_before_reset"].get<int>(), 0);
  // A post that waits for its account's rate limit is recorded once, however often the reset
  // moved while it waited: submitted, four steps skipped (other networks'), published, and at
  // most one wait.
  auto host = Host::open(config_);
  ASSERT_TRUE(host) << host.status().message();
  auto posts = (*host)->posts();
  ASSERT_TRUE(posts && !posts->empty());
  size_t all_entries = 0, all_waits = 0;
  for (const PostView& p : *posts) {
    auto trail = (*host)->audit(p.id);
    ASSERT_TRUE(trail);
    std::string entries;
    int waits = 0;
    for (const AuditRecord& r : *trail) {
      waits += r.action == "wait";
      entries += "  " + r.action + " -> " + r.to_state + ": " + r.detail + "\n";
    }
    EXPECT_LE(waits, 1) << "post " << p.id << ":\n" << entries;
    EXPECT_EQ(trail->size(), static_cast<size_t>(6 + waits)) << "post " << p.id << ":\n" << entries;
    all_entries += trail->size();
    all_waits += static_cast<size_t>(waits);
  }
  // The figures of docs/publishing.md#rate-limits (--gtest_output=xml:FILE shows them).
  int64_t steps = 0;
  const std::string log = testing::read_file(log_);
  const std::regex ran("ran ([0-9]+) step\\(s\\)");
  for (auto m = std::sregex_iterator(log.begin(), log.end(), ran); m != std::sregex_iterator(); ++m)
    steps += std::stoll((*m)[1].str());
  auto per_post = [&](double total) {
    return std::to_string(total / static_cast<double>(posts->size())).substr(0, 4);
  };
  RecordProperty("audit_entries_per_post", per_post(static_cast<double>(all_entries)));
  RecordProperty("wait_entries_per_post", per_post(static_cast<double>(all_waits)));
  RecordProperty("steps_run_per_post", per_post(static_cast<double>(steps)));
}

}  // namespace
}  // namespace herald
