// Reconciling a publish call whose outcome is unknown (docs/reliability.md, "Publishing when the
// outcome is unknown"): looking for the post uses no attempt and honours rate limits, a post
// that may be on the network is never failed, a post found by its text must be this post's and
// no other's, and a create the network finishes after the client gave up is found, not repeated.
// Every test runs on the real clock: the simulator's rate-limit resets and creation times are
// real times.
#include <herald/host.hpp>

#include "support/netsim.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace herald {
namespace {

using nlohmann::json;

constexpr const char* kToken = "reconcile-token-8e21";
constexpr const char* kPassword = "reconcile-app-pass-41fa";
constexpr const char* kSigningKey = "reconcile-signing-key-7d03";

/// The publish steps' settings under test.
struct Settings {
  std::string settle = "0.3";  // settle_seconds
  int timeout = 30;            // timeout_seconds
  std::string skew = "60";     // clock_skew_seconds (X and LinkedIn)
};

std::string config_yaml(const std::string& url, const Settings& s) {
  std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR + R"(]
store: { path: reconcile.db }
engine: { retry_delay_seconds: 0.05, max_retry_delay_seconds: 0.5, max_attempts: 3 }
accounts:
  masto: { network: mastodon, endpoint: ")" +
                     url + R"(", credentials: { token: "${env:HERALD_RECONCILE_TOKEN}" } }
  xcorp: { network: x, endpoint: ")" +
                     url + R"(", credentials: { token: "${env:HERALD_RECONCILE_TOKEN}" } }
  sky: { network: bluesky, handle: corp.bsky.social, endpoint: ")" +
                     url + R"(", credentials: { app_password: "${env:HERALD_RECONCILE_PASSWORD}" } }
  li: { network: linkedin, handle: "urn:li:organization:42", endpoint: ")" +
                     url + R"(", credentials: { token: "${env:HERALD_RECONCILE_TOKEN}" } }
  hook: { network: webhook, endpoint: ")" +
                     url +
                     R"(/hooks/corp", credentials: { signing_key: "${env:HERALD_RECONCILE_KEY}" } }
people:
  ana: { roles: [writer] }
workflows:
  publish:
    steps:
)";
  for (const char* network : {"mastodon", "x", "bluesky", "linkedin", "webhook"}) {
    std::string config =
        "settle_seconds: " + s.settle + ", timeout_seconds: " + std::to_string(s.timeout);
    if (std::string(network) == "x" || std::string(network) == "linkedin")
      config += ", clock_skew_seconds: " + s.skew;
    yaml += std::string("      - { name: ") + network + ", kind: publish, plugin: " + network +
            ", when: { network: " + network + " }, config: { " + config + " } }\n";
  }
  return yaml;
}

const std::map<std::string, std::string> kAccountOf = {{"mastodon", "masto"},
                                                       {"x", "xcorp"},
                                                       {"bluesky", "sky"},
                                                       {"linkedin", "li"},
                                                       {"webhook", "hook"}};

class Reconciling : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("HERALD_RECONCILE_TOKEN", kToken, 1);
    setenv("HERALD_RECONCILE_PASSWORD", kPassword, 1);
    setenv("HERALD_RECONCILE_KEY", kSigningKey, 1);
    netsim_ = std::make_unique<testing::Netsim>(
        NETSIM, std::vector<std::string>{"--webhook-secret-env", "HERALD_RECONCILE_KEY"});
  }
  void open(const Settings& settings = {}) {
    config_ = dir_.write("reconcile.yaml", config_yaml(netsim_->url(), settings));
    HostOptions options;
    options.clock = make_real_clock();
    options.resolve_secrets = true;
    auto host = Host::open(config_, options);
    if (!host) throw std::runtime_error(host.status().message());
    host_ = std::move(*host);
  }
  int64_t submit(const std::string& account, const std::string& text) {
    auto id = host_->submit({"publish", account, "ana", text, {}, ""});
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : 0;
  }
  PostView post(int64_t id) { return *host_->post(id); }
  /// Runs until the post is done, failed or parked for a person (unconfirmed with nothing
  /// due), or `seconds` pass.
  void run_until_settled(int64_t id, int seconds = 20) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      auto summary = host_->run({});
      ASSERT_TRUE(summary) << summary.status().message();
      PostView v = post(id);
      if (v.state == "done" || v.state == "failed" || parked(id)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  bool parked(int64_t id) {
    PostView v = post(id);
    return v.state == "unconfirmed" && v.reason.find("cannot tell which post") != std::string::npos;
  }
  std::string trail(int64_t id) {
    Result<std::vector<AuditRecord>> records = host_->audit(id);
    if (!records) return records.status().message();
    std::string out;
    for (const AuditRecord& r : *records) out += r.to_state + ": " + r.detail + "\n";
    return out;
  }
  /// Every request that reached the simulator and was sent before a 429's reset.
  int early_requests() { return netsim_->get("/_netsim/stats")["requests_before_reset"]; }

  testing::TempDir dir_;
  std::unique_ptr<testing::Netsim> netsim_;
  std::string config_;
  std::unique_ptr<Host> host_;
};

// ---- 5: looking uses no attempt, honours rate limits, never fails a post that may exist ----

/// Networks whose look-up is the create call again, with the same key: a fault can hit it.
class LookUpFaults : public Reconciling, public ::testing::WithParamInterface<std::string> {};

TEST_P(LookUpFaults, ARateLimitWhileLookingWaitsForTheResetAndUsesNoAttempt) {
  const std::string network = GetParam();
  open();
  // The post is made but its answer lost; then three look-ups in a row hit a rate limit. With
  // max_attempts 3, counting them would fail a post that is on the network.
  netsim_->post(
      "/_netsim/faults",
      json::array({{{"network", network}, {"kind", "drop_response"}, {"count", 1}},
                   {{"network", network}, {"kind", "429"}, {"count", 3}, {"retry_after_s", 1}}}));
  int64_t id = submit(kAccountOf.at(network), "Looked for through a rate limit on " + network);
  run_until_settled(id, 30);
  PostView v = post(id);
  EXPECT_EQ(v.state, "done") << v.reason << "\n" << trail(id);
  EXPECT_EQ(netsim_->posts(network).size(), 1u) << netsim_->posts().dump(2);
  EXPECT_EQ(early_requests(), 0) << "a look-up went out before the rate limit's reset";
  EXPECT_EQ(trail(id).find("failed"), std::string::npos) << trail(id);
}

TEST_P(LookUpFaults, AServiceUnavailableWhileLookingUsesNoAttempt) {
  const std::string network = GetParam();
  open();
  netsim_->post("/_netsim/faults",
                json::array({{{"network", network}, {"kind", "drop_response"}, {"count", 1}},
                             {{"network", network}, {"kind", "5xx"}, {"count", 4}}}));
  int64_t id = submit(kAccountOf.at(network), "Looked for through a 503 on " + network);
  run_until_settled(id, 30);
  PostView v = post(id);
  EXPECT_EQ(v.state, "done") << v.reason << "\n" << trail(id);
  EXPECT_EQ(netsim_->posts(network).size(), 1u) << netsim_->posts().dump(2);
}

INSTANTIATE_TEST_SUITE_P(KeyedNetworks, LookUpFaults, ::testing::Values("mastodon", "webhook"));

/// Every network: each create call answers 503 until all attempts are used. The post may be on
/// the network after each of them, so it is never failed for running out of attempts; it is
/// failed only once the network is known not to have it.
class AttemptsUsedUp : public Reconciling, public ::testing::WithParamInterface<std::string> {};

TEST_P(AttemptsUsedUp, APostThatMayBeOnTheNetworkIsNeverFailed) {
  const std::string network = GetParam();
  open();
  netsim_->post("/_netsim/faults", {{"network", network}, {"kind", "5xx"}, {"count", 3}});
  int64_t id = submit(kAccountOf.at(network), "Three unknown outcomes on " + network);
  // After the third unknown outcome: unconfirmed, with the reason, not failed.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool saw_all_used = false;
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(host_->run({}));
    PostView v = post(id);
    if (v.reason.find("attempts used; not failed while it may be on the network") !=
        std::string::npos) {
      EXPECT_EQ(v.state, "unconfirmed");
      saw_all_used = true;
    }
    if (v.state == "done" || v.state == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  PostView v = post(id);
  if (network == "mastodon" || network == "webhook") {
    // The look-ups are the keyed call again: they count no attempt, and the third succeeds.
    EXPECT_EQ(v.state, "done") << v.reason << "\n" << trail(id);
    EXPECT_EQ(netsim_->posts(network).size(), 1u);
  } else {
    // Three creates with unknown outcomes: all attempts used, yet unconfirmed. Then looked for
    // twice, a settle time apart, and not there: only now is it failed.
    EXPECT_TRUE(saw_all_used) << trail(id);
    EXPECT_EQ(v.state, "failed") << trail(id);
    EXPECT_NE(v.reason.find("does not have the post (looked twice"), std::string::npos) << v.reason;
    EXPECT_TRUE(netsim_->posts(network).empty());
  }
}

INSTANTIATE_TEST_SUITE_P(EveryNetwork, AttemptsUsedUp,
                         ::testing::Values("mastodon", "x", "bluesky", "linkedin", "webhook"));

// ---- 6: a post found by its text must be this one --------------------------------------

/// Networks without an idempotency key: an earlier attempt is found by its text.
class SameText : public Reconciling, public ::testing::WithParamInterface<std::string> {};

TEST_P(SameText, AnotherPostsEarlierCopyIsNeverTakenForThisOne) {
  const std::string network = GetParam();
  open();
  int64_t first = submit(kAccountOf.at(network), "Happy holidays!");
  run_until_settled(first);
  ASSERT_EQ(post(first).state, "done") << post(first).reason;
  // The second post with the same text: its connection is reset before anything is made.
  netsim_->post("/_netsim/faults", {{"network", network}, {"kind", "reset"}, {"count", 1}});
  int64_t second = submit(kAccountOf.at(network), "Happy holidays!");
  run_until_settled(second);
  PostView v = post(second);
  EXPECT_NE(v.state, "done") << "taken for the first post's " << post(first).remote_id;
  EXPECT_NE(v.remote_id, post(first).remote_id);
  // The first post's copy is claimed: a person decides, nothing is posted meanwhile.
  EXPECT_EQ(v.state, "unconfirmed") << v.reason << "\n" << trail(second);
  EXPECT_NE(v.reason.find("is post " + std::to_string(first)), std::string::npos) << v.reason;
  EXPECT_EQ(netsim_->posts(network).size(), 1u);
}

TEST_P(SameText, AnEarlierPostOutsideTheAttemptsIsNotAMatch) {
  const std::string network = GetParam();
  open({.skew = "0"});
  int64_t first = submit(kAccountOf.at(network), "Happy holidays!");
  run_until_settled(first);
  ASSERT_EQ(post(first).state, "done") << post(first).reason;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a later millisecond
  netsim_->post("/_netsim/faults", {{"network", network}, {"kind", "reset"}, {"count", 1}});
  int64_t second = submit(kAccountOf.at(network), "Happy holidays!");
  run_until_settled(second);
  PostView v = post(second);
  EXPECT_NE(v.remote_id, post(first).remote_id);
  if (network == "linkedin") {
    // Not there (looked twice), so posted: two posts, each its own.
    EXPECT_EQ(v.state, "done") << v.reason << "\n" << trail(second);
    EXPECT_EQ(netsim_->posts(network).size(), 2u);
  } else {
    // X refuses the same text twice: the second post fails with X's reason, not lost silently.
    EXPECT_EQ(v.state, "failed") << trail(second);
    EXPECT_NE(v.reason.find("duplicate content"), std::string::npos) << v.reason;
  }
}

INSTANTIATE_TEST_SUITE_P(MatchedByText, SameText, ::testing::Values("x", "linkedin"));

TEST_F(Reconciling, TwoPostsWithTheTextStayUnconfirmedForAPerson) {
  open();
  // Someone posts the text on LinkedIn by hand; then Herald's post with the same text is made
  // but its answer lost: two posts on the network could be Herald's.
  httplib::Client client(netsim_->url());
  httplib::Headers headers = {{"Authorization", std::string("Bearer ") + kToken},
                              {"LinkedIn-Version", "202511"},
                              {"X-Restli-Protocol-Version", "2.0.0"}};
  json body = {{"author", "urn:li:organization:42"},
               {"commentary", "Season's greetings"},
               {"visibility", "PUBLIC"},
               {"lifecycleState", "PUBLISHED"}};
  auto made = client.Post("/rest/posts", headers, body.dump(), "application/json");
  ASSERT_TRUE(made && made->status == 201);
  netsim_->post("/_netsim/faults",
                {{"network", "linkedin"}, {"kind", "drop_response"}, {"count", 1}});
  int64_t id = submit("li", "Season's greetings");
  run_until_settled(id);
  PostView v = post(id);
  EXPECT_EQ(v.state, "unconfirmed") << v.reason << "\n" << trail(id);
  EXPECT_NE(v.reason.find("2 posts with this text"), std::string::npos) << v.reason;
  EXPECT_TRUE(v.remote_id.empty());
  // Parked: nothing is due; `herald retry` has it looked for again, and it stays ambiguous.
  ASSERT_TRUE(host_->retry(id, "ana", "checked the account"));
  ASSERT_TRUE(host_->run({}));
  EXPECT_EQ(post(id).state, "unconfirmed") << post(id).reason;
  EXPECT_EQ(netsim_->posts("linkedin").size(), 2u);
}

// ---- 7: a create the network finishes after the client gave up -------------------------

class SlowCreate : public Reconciling, public ::testing::WithParamInterface<std::string> {};

TEST_P(SlowCreate, AnAnswerAfterTheTimeoutIsFoundNotPostedTwice) {
  const std::string network = GetParam();
  // The client waits 1 s; the network makes the post after 1.5 s. Looking 0.05 s after the
  // timeout (the engine's retry delay) misses it; the settle time of 1 s does not.
  open({.settle = "1", .timeout = 1});
  netsim_->post(
      "/_netsim/faults",
      {{"network", network}, {"kind", "slow_create"}, {"latency_ms", 1500}, {"count", 1}});
  int64_t id = submit(kAccountOf.at(network), "Slow to be made on " + network);
  run_until_settled(id, 30);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // every slow call has ended
  PostView v = post(id);
  EXPECT_EQ(v.state, "done") << v.reason << "\n" << trail(id);
  EXPECT_EQ(netsim_->posts(network).size(), 1u) << netsim_->posts().dump(2);
  EXPECT_EQ(v.remote_id, netsim_->posts(network)[0]["id"]) << trail(id);
}

INSTANTIATE_TEST_SUITE_P(EveryNetwork, SlowCreate,
                         ::testing::Values("mastodon", "x", "bluesky", "linkedin", "webhook"));

}  // namespace
}  // namespace herald
