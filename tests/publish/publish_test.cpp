// The publishers against herald-netsim: each network's contract, unknown outcomes reconciled
// instead of repeated, rate limits honoured (and a post waiting for one recorded once),
// refused credentials holding the account, and secrets kept out of everything a user sees.
#include <herald/host.hpp>

#include "cli/render.hpp"
#include "support/netsim.hpp"
#include "support/test_support.hpp"
#include "time/time.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>
#include <thread>

namespace herald {
namespace {

using nlohmann::json;

constexpr const char* kMastodonToken = "masto-token-3f9c";
constexpr const char* kXToken = "x-token-71ab";
constexpr const char* kBlueskyPassword = "bsky-app-pass-0d2e";
constexpr const char* kLinkedInToken = "li-token-58aa";
constexpr const char* kSigningKey = "hook-signing-key-c4e1";
constexpr const char* kRefusedToken = "invalid-token-9e77";

std::string config_yaml(const std::string& url) {
  return std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
store: { path: publish.db }
engine: { retry_delay_seconds: 0.05, max_retry_delay_seconds: 1, max_attempts: 8 }
accounts:
  masto:
    network: mastodon
    endpoint: )" +
         url + R"(
    credentials: { token: "${env:HERALD_TEST_FEDIVERSE_TOKEN}" }
  xcorp:
    network: x
    endpoint: )" +
         url + R"(
    credentials: { token: "${env:HERALD_TEST_X_TOKEN}" }
  sky:
    network: bluesky
    handle: corp.bsky.social
    endpoint: )" +
         url + R"(
    credentials: { app_password: "${env:HERALD_TEST_BSKY_PASSWORD}" }
  li:
    network: linkedin
    handle: "urn:li:organization:42"
    endpoint: )" +
         url + R"(
    credentials: { token: "${env:HERALD_TEST_LINKEDIN_TOKEN}" }
  hook:
    network: webhook
    endpoint: )" +
         url + R"(/hooks/corp
    credentials: { signing_key: "${env:HERALD_TEST_SIGNING_KEY}" }
  refused:
    network: mastodon
    endpoint: )" +
         url + R"(
    credentials: { token: "${env:HERALD_TEST_REFUSED_TOKEN}" }
people:
  ana: { roles: [writer] }
workflows:
  publish:
    routes:
      - { when: { tag: support }, account: hook }
    steps:
      - { name: mastodon, kind: publish, plugin: mastodon, when: { network: mastodon } }
      - { name: x, kind: publish, plugin: x, when: { network: x } }
      - { name: bluesky, kind: publish, plugin: bluesky, when: { network: bluesky } }
      - { name: linkedin, kind: publish, plugin: linkedin, when: { network: linkedin } }
      - { name: webhook, kind: publish, plugin: webhook, when: { network: webhook } }
)";
}

class Publishing : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("HERALD_TEST_FEDIVERSE_TOKEN", kMastodonToken, 1);
    setenv("HERALD_TEST_X_TOKEN", kXToken, 1);
    setenv("HERALD_TEST_BSKY_PASSWORD", kBlueskyPassword, 1);
    setenv("HERALD_TEST_LINKEDIN_TOKEN", kLinkedInToken, 1);
    setenv("HERALD_TEST_SIGNING_KEY", kSigningKey, 1);
    setenv("HERALD_TEST_REFUSED_TOKEN", kRefusedToken, 1);
    netsim_ = std::make_unique<testing::Netsim>(
        NETSIM, std::vector<std::string>{"--webhook-secret-env", "HERALD_TEST_SIGNING_KEY"});
    config_ = dir_.write("company.yaml", config_yaml(netsim_->url()));
  }
  void open(std::shared_ptr<Clock> clock) {
    HostOptions options;
    options.clock = std::move(clock);
    options.resolve_secrets = true;
    auto host = Host::open(config_, options);
    if (!host) throw std::runtime_error(host.status().message());
    host_ = std::move(*host);
  }
  // A virtual clock that starts now: X and LinkedIn posts found by their text must be newer than
  // the post's attempts, and the simulator dates them on the real clock.
  void open_virtual() { open(make_virtual_clock(make_real_clock()->now_ms())); }
  int64_t submit(const std::string& account, const std::string& text,
                 std::vector<std::string> tags = {}) {
    auto id = host_->submit({"publish", account, "ana", text, std::move(tags), ""});
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : 0;
  }
  void run() {
    auto summary = host_->run({});
    ASSERT_TRUE(summary) << summary.status().message();
  }
  PostView post(int64_t id) { return *host_->post(id); }
  /// "to_state: detail" per audit entry of one post (or of all).
  std::string trail(std::optional<int64_t> id) {
    Result<std::vector<AuditRecord>> records = host_->audit(id);
    if (!records) return records.status().message();
    std::string out;
    for (const AuditRecord& r : *records) out += r.to_state + ": " + r.detail + "\n";
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::Netsim> netsim_;
  std::string config_;
  std::unique_ptr<Host> host_;
};

TEST_F(Publishing, EachNetworkGetsThePostOnceAsItsContractSays) {
  open_virtual();
  int64_t m = submit("masto", "Hello Mastodon https://acme.example/news");
  int64_t x = submit("xcorp", "Hello X #launch");
  int64_t b = submit("sky", "Hello Bluesky #launch with https://acme.example/b and @friend.test");
  // LinkedIn cuts a post at the first unescaped reserved character: it must arrive whole.
  int64_t l = submit("li", "Launch (beta) #news: 50% off_now [today] {all} <3 *you* ~ok \\o/");
  int64_t h = submit("hook", "Hello receiver");
  run();
  for (int64_t id : {m, x, b, l, h}) {
    PostView v = post(id);
    EXPECT_EQ(v.state, "done") << id << ": " << v.reason;
    EXPECT_FALSE(v.remote_id.empty()) << id;
  }
  json all = netsim_->posts();
  ASSERT_EQ(all.size(), 5u) << all.dump(2);
  for (const char* network : {"mastodon", "x", "bluesky", "linkedin", "webhook"})
    EXPECT_EQ(netsim_->posts(network).size(), 1u) << network;
  EXPECT_EQ(netsim_->posts("linkedin")[0]["text"], post(l).text);
  // Mastodon got the post's idempotency key, made before the first attempt.
  EXPECT_EQ(netsim_->posts("mastodon")[0]["key"].get<std::string>().rfind("herald-", 0), 0u);
  EXPECT_EQ(post(x).remote_id, netsim_->posts("x")[0]["id"]);
  EXPECT_EQ(post(l).remote_id.rfind("urn:li:share:", 0), 0u);  // from x-restli-id
  // Bluesky: our own record key, and facets with UTF-8 byte offsets.
  json record = netsim_->posts("bluesky")[0]["record"];
  ASSERT_TRUE(record.contains("facets")) << record.dump(2);
  std::set<std::string> features;
  for (const json& f : record["facets"])
    features.insert(f["features"][0]["$type"].get<std::string>());
  EXPECT_EQ(features, (std::set<std::string>{"app.bsky.richtext.facet#link",
                                             "app.bsky.richtext.facet#mention",
                                             "app.bsky.richtext.facet#tag"}));
  EXPECT_EQ(record["createdAt"].get<std::string>().back(), 'Z');
}

TEST_F(Publishing, TooLongForTheNetworkIsADeadLetterWithTheReason) {
  open_virtual();
  int64_t id = submit("masto", std::string(501, 'a'));
  run();
  EXPECT_EQ(post(id).state, "failed");
  EXPECT_NE(post(id).reason.find("mastodon refused the post (HTTP 422"), std::string::npos)
      << post(id).reason;
  EXPECT_TRUE(netsim_->posts().empty());
}

/// A fault hits the first create call of a network; the post must still end on the network
/// exactly once.
struct FaultCase {
  std::string network;
  std::string account;
  std::string fault;
};

class Faults : public Publishing, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(Faults, AnUnknownOutcomeIsReconciledNotRepeated) {
  const FaultCase& c = GetParam();
  open_virtual();
  netsim_->post("/_netsim/faults", {{"network", c.network}, {"kind", c.fault}, {"count", 1}});
  int64_t id = submit(c.account, "Exactly once, through a " + c.fault + " on " + c.network);
  run();
  PostView v = post(id);
  EXPECT_EQ(v.state, "done") << v.reason;
  EXPECT_EQ(netsim_->posts(c.network).size(), 1u) << netsim_->posts().dump(2);
  // A reset before the call is plainly retried; every other fault here leaves the outcome
  // unknown, and the post is reconciled.
  if (c.fault != "reset") {
    EXPECT_NE(trail(id).find("unconfirmed"), std::string::npos) << trail(id);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryNetwork, Faults,
                         ::testing::Values(FaultCase{"mastodon", "masto", "drop_response"},
                                           FaultCase{"mastodon", "masto", "5xx"},
                                           FaultCase{"x", "xcorp", "drop_response"},
                                           FaultCase{"x", "xcorp", "5xx"},
                                           FaultCase{"bluesky", "sky", "drop_response"},
                                           FaultCase{"bluesky", "sky", "5xx"},
                                           FaultCase{"linkedin", "li", "drop_response"},
                                           FaultCase{"linkedin", "li", "5xx"},
                                           FaultCase{"webhook", "hook", "drop_response"},
                                           FaultCase{"webhook", "hook", "reset"}),
                         [](const auto& info) {
                           std::string name = info.param.network + "_" + info.param.fault;
                           return name;
                         });

TEST_F(Publishing, ARateLimitPostponesWorkUntilItsReset) {
  open(make_real_clock());
  netsim_->post("/_netsim/faults",
                {{"network", "x"}, {"kind", "429"}, {"count", 1}, {"retry_after_s", 1}});
  std::vector<int64_t> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(submit("xcorp", "Rate limited post " + std::to_string(i)));
  for (int round = 0; round < 50; ++round) {
    run();
    bool all_done = true;
    for (int64_t id : ids) all_done = all_done && post(id).state == "done";
    if (all_done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (int64_t id : ids) {
    EXPECT_EQ(post(id).state, "done") << post(id).reason << "\n" << trail(id);
    EXPECT_EQ(post(id).attempt, 0) << "a rate limit is not a failed attempt";
  }
  json stats = netsim_->get("/_netsim/stats");
  EXPECT_EQ(stats["requests_before_reset"], 0) << stats.dump();
  EXPECT_EQ(netsim_->posts("x").size(), 3u);
}

TEST_F(Publishing, RefusedCredentialsHoldTheAccountWithoutARetryStorm) {
  open_virtual();
  int64_t first = submit("refused", "First");
  int64_t second = submit("refused", "Second");
  run();
  for (int64_t id : {first, second}) {
    EXPECT_EQ(post(id).state, "held");
    EXPECT_NE(post(id).reason.find("refused the credentials"), std::string::npos)
        << post(id).reason;
  }
  int creates = 0;
  for (const json& r : netsim_->get("/_netsim/requests"))
    creates += r["path"] == "/api/v1/statuses";
  EXPECT_EQ(creates, 1) << "the second post did not try the refused token again";
  ASSERT_TRUE(host_->retry(first, "ana", "token rotated"));
  run();
  EXPECT_EQ(post(first).state, "held");  // still refused: held again, once
}

TEST_F(Publishing, SupportPostsAreRoutedToTheSupportAccount) {
  open_virtual();
  int64_t id = submit("masto", "Your order ships today", {"support"});
  run();
  EXPECT_EQ(post(id).account, "hook");
  EXPECT_EQ(post(id).state, "done");
  EXPECT_TRUE(netsim_->posts("mastodon").empty());
  EXPECT_NE(trail(id).find("routed from masto to hook by route 1"), std::string::npos) << trail(id);
}

TEST_F(Publishing, NoSecretReachesTheAuditTrailStatusOrReasons) {
  open_virtual();
  for (const char* account : {"masto", "xcorp", "sky", "li", "hook", "refused"})
    submit(account, std::string("Secret check for ") + account);
  netsim_->post("/_netsim/faults", {{"kind", "drop_response"}, {"count", 2}});
  run();
  std::string everything = trail(std::nullopt);
  Result<std::vector<PostView>> posts = host_->posts();
  ASSERT_TRUE(posts);
  for (const PostView& p : *posts) everything += p.reason + p.remote_id + "\n";
  for (const char* secret :
       {kMastodonToken, kXToken, kBlueskyPassword, kLinkedInToken, kSigningKey, kRefusedToken})
    EXPECT_EQ(everything.find(secret), std::string::npos) << secret;
}

TEST(InstanceLimits, TheDraftStepCountsAgainstTheLimitTheInstanceReported) {
  // An instance that allows 1,000 characters, where Mastodon's default is 500.
  testing::Netsim netsim(NETSIM, {"--mastodon-max-characters", "1000"});
  testing::TempDir dir;
  setenv("HERALD_TEST_FEDIVERSE_TOKEN", kMastodonToken, 1);
  const std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
store: { path: publish.db }
accounts:
  big:
    network: mastodon
    endpoint: )" + netsim.url() +
                           R"(
    credentials: { token: "${env:HERALD_TEST_FEDIVERSE_TOKEN}" }
  capped:
    network: mastodon
    char_limit: 600
    endpoint: )" + netsim.url() +
                           R"(
    credentials: { token: "${env:HERALD_TEST_FEDIVERSE_TOKEN}" }
people:
  ana: { roles: [writer] }
workflows:
  w:
    steps:
      - { name: length, kind: draft, plugin: draft/length }
      - { name: mastodon, kind: publish, plugin: mastodon }
)";
  HostOptions options;
  options.clock = make_virtual_clock(parse_time("2026-11-30T08:00:00Z", "")->utc_ms);
  options.resolve_secrets = true;
  auto host = Host::open(dir.write("company.yaml", yaml), options);
  ASSERT_TRUE(host) << host.status().message();
  auto submit_and_run = [&](const std::string& account, const std::string& text) {
    auto id = (*host)->submit({"w", account, "ana", text, {}, ""});
    EXPECT_TRUE(id) << id.status().message();
    auto summary = (*host)->run({});
    EXPECT_TRUE(summary) << summary.status().message();
    return *(*host)->post(*id);
  };
  const std::string long_text(700, 'a');
  // Before Herald has talked to the instance, Mastodon's default holds.
  PostView before = submit_and_run("big", long_text);
  EXPECT_EQ(before.state, "rejected");
  EXPECT_NE(before.reason.find("500"), std::string::npos) << before.reason;
  EXPECT_EQ(submit_and_run("big", "Hello instance").state, "done");
  // From then on, the instance's own limit.
  PostView after = submit_and_run("big", long_text);
  EXPECT_EQ(after.state, "done") << after.reason;
  PostView over = submit_and_run("big", std::string(1001, 'a'));
  EXPECT_EQ(over.state, "rejected");
  EXPECT_NE(over.reason.find("1000"), std::string::npos) << over.reason;
  // An account's own char_limit wins over what the instance reports.
  EXPECT_EQ(submit_and_run("capped", "Hello again").state, "done");
  PostView capped = submit_and_run("capped", long_text);
  EXPECT_EQ(capped.state, "rejected");
  EXPECT_NE(capped.reason.find("600"), std::string::npos) << capped.reason;
  // The limit is kept in the store: a new host over the same store knows it at once.
  host->reset();
  auto reopened = Host::open(dir.file("company.yaml"), options);
  ASSERT_TRUE(reopened) << reopened.status().message();
  auto id = (*reopened)->submit({"w", "big", "ana", long_text + " again", {}, ""});
  ASSERT_TRUE(id);
  ASSERT_TRUE((*reopened)->run({}));
  EXPECT_EQ((*reopened)->post(*id)->state, "done") << (*reopened)->post(*id)->reason;
}

/// Eight Mastodon accounts, each with a token of its own, published to `concurrency` at a time
/// through a simulator that takes 150 ms per call.
class ConcurrentPublishing : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR +
                       "]\nstore: { path: publish.db }\nengine: { publish_concurrency: " +
                       std::to_string(GetParam()) + " }\naccounts:\n";
    for (int a = 0; a < kAccounts; ++a) {
      const std::string n = std::to_string(a);
      setenv(("HERALD_TEST_TOKEN_" + n).c_str(), ("token-of-account-" + n).c_str(), 1);
      yaml += "  a" + n + ": { network: mastodon, endpoint: \"" + netsim_.url() +
              "\", credentials: { token: \"${env:HERALD_TEST_TOKEN_" + n + "}\" } }\n";
    }
    yaml += "people:\n  ana: { roles: [writer] }\n";
    yaml += "workflows:\n  w:\n    steps:\n      - { kind: publish, plugin: mastodon }\n";
    HostOptions options;
    options.clock = make_virtual_clock(parse_time("2026-11-30T08:00:00Z", "")->utc_ms);
    options.resolve_secrets = true;
    auto host = Host::open(dir_.write("company.yaml", yaml), options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
    netsim_.post("/_netsim/faults", {{"kind", "latency"}, {"latency_ms", 150}});
  }

  static constexpr int kAccounts = 8;
  static constexpr int kPerAccount = 3;
  testing::TempDir dir_;
  testing::Netsim netsim_{NETSIM};
  std::unique_ptr<Host> host_;
};

TEST_P(ConcurrentPublishing, AccountsAtOnceAndEachAccountsPostsInOrder) {
  // Submitted round-robin; each account's posts are numbered in the order they were submitted.
  for (int i = 0; i < kPerAccount; ++i)
    for (int a = 0; a < kAccounts; ++a)
      ASSERT_TRUE(host_->submit({"w",
                                 "a" + std::to_string(a),
                                 "ana",
                                 "post " + std::to_string(i) + " of account " + std::to_string(a),
                                 {},
                                 ""}));
  auto summary = host_->run({});
  ASSERT_TRUE(summary) << summary.status().message();
  EXPECT_EQ(summary->finished, kAccounts * kPerAccount);

  json stats = netsim_.get("/_netsim/stats");
  EXPECT_EQ(stats["accepted"], kAccounts * kPerAccount);
  // Never two calls of one account at once; as many accounts at once as configured.
  EXPECT_EQ(stats["max_in_flight_per_client"], 1) << stats.dump();
  if (GetParam() == 1) {
    EXPECT_EQ(stats["max_in_flight"], 1) << stats.dump();
  } else {
    EXPECT_GT(stats["max_in_flight"], 1) << stats.dump();
    EXPECT_LE(stats["max_in_flight"], GetParam()) << stats.dump();
  }
  std::map<std::string, std::vector<std::string>> by_account;  // token's user -> texts
  for (const json& p : netsim_.posts("mastodon")) by_account[p["account"]].push_back(p["text"]);
  ASSERT_EQ(by_account.size(), static_cast<size_t>(kAccounts));
  for (const auto& [account, texts] : by_account) {
    ASSERT_EQ(texts.size(), static_cast<size_t>(kPerAccount)) << account;
    for (int i = 0; i < kPerAccount; ++i)
      EXPECT_EQ(texts[static_cast<size_t>(i)].rfind("post " + std::to_string(i) + " ", 0), 0u)
          << account << ": " << texts[static_cast<size_t>(i)];
  }
}

INSTANTIATE_TEST_SUITE_P(Workers, ConcurrentPublishing, ::testing::Values(1, 4),
                         [](const auto& info) {
                           return "concurrency_" + std::to_string(info.param);
                         });

/// A webhook receiver with a rate limit on the host's clock (a virtual one): it takes
/// `per_window` calls in each window of `window_ms` (windows start on multiples of it) and
/// answers every other call 429 with the window's end in `x-rate-limit-reset` (epoch seconds),
/// as long as the window lasts. `refuse_until` closes it until then. A repeated
/// X-Herald-Idempotency-Key is answered with the first post's id (and counts as a call).
class WindowedReceiver {
 public:
  WindowedReceiver(std::shared_ptr<Clock> clock, int per_window, int64_t window_ms)
      : clock_(std::move(clock)), per_window_(per_window), window_ms_(window_ms) {
    server_.Post("/hooks/corp", [this](const httplib::Request& req, httplib::Response& res) {
      const int64_t now = clock_->now_ms();
      json body = json::parse(req.body, nullptr, false);
      const std::string key = req.get_header_value("X-Herald-Idempotency-Key");
      std::lock_guard lock(mutex_);
      if (now / window_ms_ != window_) {
        window_ = now / window_ms_;
        used_ = 0;
      }
      if (now < closed_until_ || used_ >= per_window_) {
        const int64_t reset = now < closed_until_ ? closed_until_ : (window_ + 1) * window_ms_;
        ++refused_;
        res.status = 429;
        res.set_header("x-rate-limit-remaining", "0");
        res.set_header("x-rate-limit-reset", std::to_string(reset / 1000));
        res.set_content(R"({"error":"Too many requests"})", "application/json");
        return;
      }
      ++used_;
      auto known = ids_.find(key);
      if (known == ids_.end()) {
        known = ids_.emplace(key, "r" + std::to_string(ids_.size() + 1)).first;
        made_.push_back(body.value("text", ""));
        if (made_.back() == lose_) {  // made, but the answer is a 503
          lose_.clear();
          res.status = 503;
          res.set_content(R"({"error":"upstream failed"})", "application/json");
          return;
        }
      }
      res.status = 201;
      res.set_content(json{{"id", known->second}}.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~WindowedReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/corp"; }
  void refuse_until(int64_t at_ms) {
    std::lock_guard lock(mutex_);
    closed_until_ = at_ms;
  }
  /// The post with this text is made, and the call answered 503 (its outcome unknown).
  void lose_answer_to(const std::string& text) {
    std::lock_guard lock(mutex_);
    lose_ = text;
  }
  /// The texts of the posts made, in the order they were made.
  std::vector<std::string> made() {
    std::lock_guard lock(mutex_);
    return made_;
  }
  int refused() {
    std::lock_guard lock(mutex_);
    return refused_;
  }

 private:
  std::shared_ptr<Clock> clock_;
  const int per_window_;
  const int64_t window_ms_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  int64_t window_ = -1;
  int used_ = 0;
  int64_t closed_until_ = 0;
  int refused_ = 0;
  std::string lose_;
  std::map<std::string, std::string> ids_;  // idempotency key -> id
  std::vector<std::string> made_;
};

/// One webhook account behind a WindowedReceiver that lets two posts through a minute, on a
/// virtual clock that starts on a whole minute. The parameter is the engine's batch size: with
/// 1024 every due post is claimed at once, and a post that waits on is handed back unrun once an
/// earlier post of the round meets the limit; with 1, posts are claimed one by one while the
/// rounds before them meet it, and the claim itself leaves such a post waiting.
class RateLimitWindows : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    setenv("HERALD_TEST_SIGNING_KEY", kSigningKey, 1);
    start_ = parse_time("2031-03-03T09:00:00Z", "UTC")->utc_ms;
    clock_ = make_virtual_clock(start_);
    receiver_ = std::make_unique<WindowedReceiver>(clock_, 2, kMinute);
    const std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
store: { path: limits.db }
accounts:
  corp:
    network: webhook
    endpoint: )" + receiver_->url() +
                             R"(
    credentials: { signing_key: "${env:HERALD_TEST_SIGNING_KEY}" }
people:
  ana: { roles: [writer] }
workflows:
  publish:
    steps:
      - { name: hook, kind: publish, plugin: webhook }
)";
    HostOptions options;
    options.clock = clock_;
    options.resolve_secrets = true;
    options.batch_size = GetParam();
    auto host = Host::open(dir_.write("company.yaml", yaml), options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
  }
  std::vector<int64_t> submit(int count) {
    std::vector<int64_t> ids;
    for (int i = 1; i <= count; ++i) {
      auto id = host_->submit({"publish", "corp", "ana", "Post " + std::to_string(i), {}, ""});
      EXPECT_TRUE(id) << id.status().message();
      ids.push_back(id ? *id : 0);
    }
    return ids;
  }
  RunSummary run(int64_t until_ms = 0) {
    RunOptions options;
    options.until_ms = until_ms;
    auto summary = host_->run(options);
    EXPECT_TRUE(summary) << summary.status().message();
    return summary ? *summary : RunSummary{};
  }
  std::vector<AuditRecord> trail(int64_t id) {
    auto records = host_->audit(id);
    EXPECT_TRUE(records) << records.status().message();
    return records ? *records : std::vector<AuditRecord>{};
  }
  static std::string describe(const std::vector<AuditRecord>& trail) {
    std::string out;
    for (const AuditRecord& r : trail)
      out += "  " + format_utc(r.at_ms) + " " + r.action + " -> " + r.to_state + ": " + r.detail +
             "\n";
    return out;
  }
  /// The entries of a trail that say the post waits for its account's rate limit.
  static std::vector<AuditRecord> rate_limit_waits(const std::vector<AuditRecord>& trail) {
    std::vector<AuditRecord> out;
    for (const AuditRecord& r : trail)
      if (r.action == "wait" && r.detail.find("rate limit") != std::string::npos) out.push_back(r);
    return out;
  }
  int64_t at(int minutes, int seconds = 0) const {
    return start_ + minutes * kMinute + seconds * int64_t{1000};
  }

  static constexpr int64_t kMinute = 60'000;
  testing::TempDir dir_;
  int64_t start_ = 0;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<WindowedReceiver> receiver_;
  std::unique_ptr<Host> host_;
};

TEST_P(RateLimitWindows, APostWaitingForItsAccountsLimitIsRecordedOnce) {
  // Seven posts, two a minute: 1 and 2 go out at 09:00, post 3 meets the limit (reset 09:01)
  // and 4 to 7 wait for it; at 09:01 posts 3 and 4 go out and post 5 meets the limit again
  // (reset 09:02), so 5, 6 and 7 wait on; at 09:02 posts 5 and 6, at 09:03 post 7.
  const std::vector<int64_t> ids = submit(7);
  const RunSummary summary = run();
  EXPECT_EQ(receiver_->made(), (std::vector<std::string>{"Post 1", "Post 2", "Post 3", "Post 4",
                                                         "Post 5", "Post 6", "Post 7"}));
  EXPECT_EQ(clock_->now_ms(), at(3));
  for (size_t i = 0; i < ids.size(); ++i) {
    SCOPED_TRACE("post " + std::to_string(i + 1));
    const PostView post = *host_->post(ids[i]);
    EXPECT_EQ(post.state, "done") << post.reason;
    EXPECT_EQ(post.attempt, 0) << "a rate limit is not a failed attempt";
    const std::vector<AuditRecord> entries = trail(ids[i]);
    // What a person expects to read: submitted; for a post that met the limit, that it waits
    // for it until the reset the network gave (once, however often the window moved on); then
    // published, at the time it was.
    const std::vector<AuditRecord> waits = rate_limit_waits(entries);
    ASSERT_EQ(entries.size(), i < 2 ? 2u : 3u) << describe(entries);
    EXPECT_EQ(entries.front().action, "submit") << describe(entries);
    EXPECT_EQ(entries.back().to_state, "done") << describe(entries);
    EXPECT_NE(entries.back().detail.find("published on webhook"), std::string::npos)
        << describe(entries);
    EXPECT_EQ(entries.back().at_ms, at(static_cast<int>(i) / 2)) << describe(entries);
    if (i < 2) continue;
    ASSERT_EQ(waits.size(), 1u) << describe(entries);
    EXPECT_EQ(waits[0].at_ms, at(0)) << describe(entries);
    EXPECT_EQ(waits[0].to_state, "waiting");
    EXPECT_NE(waits[0].detail.find("postponed to 2031-03-03T09:01:00Z"), std::string::npos)
        << describe(entries);
  }
  // Steps run: one per post to publish it, one for each post that met the limit first, and
  // one for each call the network refused later (posts 5 and 7, at 09:01 and 09:02); a post
  // that only waits on for the limit runs nothing, and is no transition.
  EXPECT_EQ(receiver_->refused(), 3);
  EXPECT_EQ(summary.steps_run, 7 + 5 + 2);
  EXPECT_EQ(summary.transitions, 7 + 5 + 2);
  EXPECT_EQ(summary.done, 7);
}

TEST_P(RateLimitWindows, StatusSaysWhatAPostWaitsForAndUntilWhen) {
  const std::vector<int64_t> ids = submit(7);
  run(at(1, 30));  // posts 3 and 4 went out at 09:01; 5 to 7 wait for 09:02
  for (size_t i : {4u, 5u, 6u}) {
    SCOPED_TRACE("post " + std::to_string(i + 1));
    const PostView post = *host_->post(ids[i]);
    EXPECT_EQ(post.state, "waiting");
    EXPECT_EQ(post.wake_ms, at(2));
    // Why it waits, until the reset the network gave last...
    EXPECT_NE(post.reason.find("rate limit"), std::string::npos) << post.reason;
    EXPECT_NE(post.reason.find("2031-03-03T09:02:00Z"), std::string::npos) << post.reason;
    const std::string shown = posts_text({post}, true);
    EXPECT_NE(shown.find("  why:       " + post.reason), std::string::npos) << shown;
    EXPECT_NE(shown.find("  waits for: time 2031-03-03 09:02"), std::string::npos) << shown;
    EXPECT_EQ(posts_json({post})[0]["wake_at"], "2031-03-03T09:02:00Z");
    // ...while its trail says once when it began to wait, and for which reset.
    const std::vector<AuditRecord> waits = rate_limit_waits(trail(ids[i]));
    ASSERT_EQ(waits.size(), 1u) << describe(trail(ids[i]));
    EXPECT_NE(waits[0].detail.find("2031-03-03T09:01:00Z"), std::string::npos) << waits[0].detail;
  }
  run();
  for (int64_t id : ids) EXPECT_EQ(host_->post(id)->state, "done");
}

TEST_P(RateLimitWindows, APostThatMayBeOnTheNetworkStaysUnconfirmedThroughItsWait) {
  // The receiver makes the post but answers 503: its outcome is unknown, and it is looked for
  // (webhooks: sent again with its key) a settle time later, at 09:00:10.
  receiver_->lose_answer_to("Post 1");
  const int64_t id = submit(1)[0];
  run(at(0, 5));
  ASSERT_EQ(host_->post(id)->state, "unconfirmed") << host_->post(id)->reason;
  // The look-up at 09:00:10 meets a limit until 09:01, and the one at 09:01 a limit until 09:02.
  receiver_->refuse_until(at(1));
  run(at(0, 30));
  PostView post = *host_->post(id);
  EXPECT_EQ(post.state, "unconfirmed") << post.reason;
  EXPECT_EQ(post.wake_ms, at(1));
  receiver_->refuse_until(at(2));
  run(at(1, 30));
  post = *host_->post(id);
  EXPECT_EQ(post.state, "unconfirmed") << "still looked for first: " << post.reason;
  EXPECT_EQ(post.wake_ms, at(2));
  EXPECT_NE(post.reason.find("2031-03-03T09:02:00Z"), std::string::npos) << post.reason;
  const std::string shown = posts_text({post}, true);
  EXPECT_NE(shown.find("  waits for: time 2031-03-03 09:02"), std::string::npos) << shown;
  run();
  post = *host_->post(id);
  EXPECT_EQ(post.state, "done") << post.reason;
  EXPECT_EQ(post.remote_id, "r1") << "found, not posted again";
  EXPECT_EQ(receiver_->made(), std::vector<std::string>{"Post 1"});
  // Submitted; may be on the network (503); waits, unconfirmed, for the limit (once); found.
  const std::vector<AuditRecord> entries = trail(id);
  ASSERT_EQ(entries.size(), 4u) << describe(entries);
  EXPECT_EQ(entries[1].to_state, "unconfirmed") << describe(entries);
  EXPECT_EQ(entries[2].to_state, "unconfirmed") << describe(entries);
  EXPECT_EQ(entries[2].at_ms, at(0, 10)) << describe(entries);
  EXPECT_NE(entries[2].detail.find("rate limit"), std::string::npos) << describe(entries);
  EXPECT_EQ(entries[3].to_state, "done") << describe(entries);
  EXPECT_NE(entries[3].detail.find("from an earlier attempt"), std::string::npos)
      << describe(entries);
}

INSTANTIATE_TEST_SUITE_P(Batches, RateLimitWindows, ::testing::Values(1024, 1),
                         [](const auto& info) { return "batch_" + std::to_string(info.param); });

}  // namespace
}  // namespace herald
