// herald-netsim's rate-limit windows, and Herald publishing against them. Each network's windows
// are counted as the network counts them (per account, per app, in points for Bluesky) on the
// simulator's clock, which these tests set (a virtual clock: nothing here depends on today's
// date or on how fast the machine is). A call past a window gets the network's 429 with its
// headers and body; Herald, given small windows, publishes every post once, uses each window up,
// and sends nothing to a window it knows is spent.
#include <herald/host.hpp>

#include "common/publisher.hpp"
#include "support/netsim.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>
#include <thread>
#include <vector>

namespace herald {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86'400'000;
// 2027-01-15T08:00:00Z: any instant on a whole second would do.
constexpr int64_t kStartMs = 1'800'000'000'000;

/// One answer of the simulator, headers and all.
struct Answer {
  int status = 0;
  httplib::Headers headers;
  json body;
  std::string header(const std::string& name) const {
    for (const auto& [key, value] : headers)
      if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
    return "";
  }
  bool has(const std::string& name) const { return !header(name).empty(); }
  int64_t number(const std::string& name) const { return std::stoll("0" + header(name)); }
};

/// Calls the simulator as each network's client does.
class Calls {
 public:
  explicit Calls(const testing::Netsim& netsim) : netsim_(netsim), client_(netsim.url()) {}

  /// A create call of `account` (a token, or a Bluesky handle): post number `n`.
  Answer create(const std::string& network, const std::string& account, int n) {
    const std::string text = "Post " + std::to_string(n) + " of " + account;
    httplib::Headers headers = {{"Authorization", "Bearer " + token(network, account)}};
    if (network == "mastodon")
      return answer(client_.Post("/api/v1/statuses", headers, "status=" + std::to_string(n),
                                 "application/x-www-form-urlencoded"));
    if (network == "x")
      return answer(
          client_.Post("/2/tweets", headers, json{{"text", text}}.dump(), "application/json"));
    if (network == "bluesky") {
      json body = {{"repo", account},
                   {"collection", "app.bsky.feed.post"},
                   {"record", {{"text", text}, {"createdAt", "2027-01-15T08:00:00.000Z"}}}};
      return answer(client_.Post("/xrpc/com.atproto.repo.createRecord", headers, body.dump(),
                                 "application/json"));
    }
    headers.emplace("LinkedIn-Version", "202511");
    headers.emplace("X-Restli-Protocol-Version", "2.0.0");
    json body = {
        {"author", "urn:li:organization:7"}, {"commentary", text}, {"lifecycleState", "PUBLISHED"}};
    return answer(client_.Post("/rest/posts", headers, body.dump(), "application/json"));
  }

  Answer read(const std::string& token) {
    return answer(
        client_.Get("/api/v1/accounts/verify_credentials", {{"Authorization", "Bearer " + token}}));
  }

  void set_clock(int64_t now_ms) { netsim_.post("/_netsim/clock", {{"now_ms", now_ms}}); }

 private:
  static Answer answer(const httplib::Result& result) {
    if (!result) throw std::runtime_error("herald-netsim did not answer");
    return {result->status, result->headers, json::parse(result->body, nullptr, false)};
  }

  /// The bearer token of `account`: Bluesky's comes from a session (not rate-limited here).
  std::string token(const std::string& network, const std::string& account) {
    if (network != "bluesky") return account;
    auto known = sessions_.find(account);
    if (known != sessions_.end()) return known->second;
    json session = netsim_.post("/xrpc/com.atproto.server.createSession",
                                {{"identifier", account}, {"password", "app-password"}});
    return sessions_[account] = session["accessJwt"].get<std::string>();
  }

  const testing::Netsim& netsim_;
  httplib::Client client_;
  std::map<std::string, std::string> sessions_;
};

/// When a window holding `now_ms` ends: windows on multiples of their length since the epoch
/// (aligned), or from their first call on a whole second.
int64_t window_end(const json& window, int64_t now_ms) {
  const int64_t length = std::llround(window["seconds"].get<double>() * 1000);
  return window["aligned"].get<bool>() ? (now_ms / length + 1) * length
                                       : now_ms - now_ms % 1000 + length;
}

struct NetworkCase {
  std::string network;
  std::string window;  // the window a create call meets first
  int64_t cost;        // what a create costs in it
};

void PrintTo(const NetworkCase& c, std::ostream* os) {
  *os << c.network;
}

class WindowLimits : public ::testing::TestWithParam<NetworkCase> {
 protected:
  testing::Netsim netsim_{NETSIM};
  Calls calls_{netsim_};
};

TEST(NetsimWindows, TheDefaultsAreTheNetworksOwnLimits) {
  testing::Netsim netsim(NETSIM);
  json limits = netsim.get("/_netsim/limits");
  EXPECT_TRUE(limits["enforced"].get<bool>());
  struct Expected {
    const char* name;
    int64_t limit;
    double seconds;
    const char* per;
  };
  // NETWORKS.md sections 1.2, 2, 3 and 4; LinkedIn publishes no figures: its Share API's
  // member and application quotas.
  for (const Expected& e :
       {Expected{"x.user", 100, 900, "account"}, Expected{"x.app", 10'000, 86'400, "app"},
        Expected{"x.reposts", 50, 900, "account"},
        Expected{"mastodon.statuses", 300, 10'800, "account"},
        Expected{"mastodon.api", 300, 300, "account"},
        Expected{"bluesky.hour", 5'000, 3'600, "account"},
        Expected{"bluesky.day", 35'000, 86'400, "account"},
        Expected{"linkedin.member", 150, 86'400, "account"},
        Expected{"linkedin.app", 100'000, 86'400, "app"}}) {
    const json& w = limits["windows"][e.name];
    EXPECT_EQ(w["limit"], e.limit) << e.name;
    EXPECT_EQ(w["seconds"], e.seconds) << e.name;
    EXPECT_EQ(w["per"], e.per) << e.name;
  }
  // LinkedIn's quotas are days of UTC, as Mastodon's limiters are multiples of their period.
  EXPECT_TRUE(limits["windows"]["linkedin.member"]["aligned"].get<bool>());
  EXPECT_TRUE(limits["windows"]["mastodon.statuses"]["aligned"].get<bool>());
  EXPECT_FALSE(limits["windows"]["x.user"]["aligned"].get<bool>());
}

TEST_P(WindowLimits, TheCallPastTheLimitGetsTheNetworks429AndEveryCallSaysWhatIsLeft) {
  const NetworkCase& c = GetParam();
  if (c.network == "mastodon")  // the API's own window, as large, would answer first
    netsim_.set_windows({{"mastodon.api", {{"limit", 1000}}}});
  const json window = netsim_.get("/_netsim/limits")["windows"][c.window];
  const int64_t limit = window["limit"];
  const int64_t allowed = limit / c.cost;
  calls_.set_clock(kStartMs);
  const int64_t reset_ms = window_end(window, kStartMs);
  const std::string account = c.network == "bluesky" ? "first.test" : "first-token";

  auto expect_headers = [&](const Answer& a, int64_t remaining, const std::string& what) {
    if (c.network == "x") {
      EXPECT_EQ(a.number("x-rate-limit-limit"), limit) << what;
      EXPECT_EQ(a.number("x-rate-limit-remaining"), remaining) << what;
      EXPECT_EQ(a.number("x-rate-limit-reset"), reset_ms / 1000) << what;
      EXPECT_TRUE(a.has("x-app-limit-24hour-remaining")) << what;
    } else if (c.network == "mastodon") {
      EXPECT_EQ(a.number("X-RateLimit-Limit"), limit) << what;
      EXPECT_EQ(a.number("X-RateLimit-Remaining"), remaining) << what;
      // ISO 8601 with microseconds.
      const std::string reset = a.header("X-RateLimit-Reset");
      EXPECT_EQ(reset.size(), 27u) << reset;
      EXPECT_EQ(builtin::parse_iso8601_ms(reset), reset_ms) << what << ": " << reset;
    } else if (c.network == "bluesky") {
      EXPECT_EQ(a.number("RateLimit-Limit"), limit) << what;
      EXPECT_EQ(a.number("RateLimit-Remaining"), remaining) << what;
      EXPECT_EQ(a.number("RateLimit-Reset"), reset_ms / 1000) << what;
      EXPECT_EQ(a.header("RateLimit-Policy"),
                std::to_string(limit) + ";w=" + std::to_string(window["seconds"].get<int64_t>()))
          << what;
    } else {  // LinkedIn sends no rate-limit headers at all
      for (const auto& [name, value] : a.headers) {
        std::string lower = name;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
        EXPECT_EQ(lower.find("limit"), std::string::npos) << what << ": " << name;
        EXPECT_NE(lower, "retry-after") << what;
      }
    }
  };

  for (int64_t i = 1; i <= allowed; ++i) {
    Answer a = calls_.create(c.network, account, static_cast<int>(i));
    ASSERT_GE(a.status, 200) << i << ": " << a.body.dump();
    ASSERT_LT(a.status, 300) << i << ": " << a.body.dump();
    expect_headers(a, limit - i * c.cost, "call " + std::to_string(i));
  }
  Answer over = calls_.create(c.network, account, static_cast<int>(allowed + 1));
  ASSERT_EQ(over.status, 429) << over.body.dump();
  expect_headers(over, 0, "the call past the limit");
  if (c.network == "x") {
    EXPECT_EQ(over.body["errors"][0]["code"], 88) << over.body.dump();
  } else if (c.network == "mastodon") {
    EXPECT_EQ(over.body["error"], "Too many requests") << over.body.dump();
  } else if (c.network == "bluesky") {
    EXPECT_EQ(over.body["error"], "RateLimitExceeded") << over.body.dump();
  } else {
    EXPECT_EQ(over.body["status"], 429) << over.body.dump();
    EXPECT_NE(over.body["message"].get<std::string>().find("MEMBER DAY limit"), std::string::npos)
        << over.body.dump();
  }
  json stats = netsim_.get("/_netsim/stats");
  EXPECT_EQ(stats["requests_before_reset"], 0) << "the first 429 is not a call after a 429";
  // Another account has a window of its own.
  const std::string other = c.network == "bluesky" ? "second.test" : "second-token";
  Answer elsewhere = calls_.create(c.network, other, 1);
  EXPECT_LT(elsewhere.status, 300) << elsewhere.body.dump();
  // Once more before the reset: refused again, and counted as a call that came too early.
  calls_.set_clock(reset_ms - 1);
  EXPECT_EQ(calls_.create(c.network, account, static_cast<int>(allowed + 2)).status, 429);
  stats = netsim_.get("/_netsim/stats");
  EXPECT_EQ(stats["rate_limited"], 2) << stats.dump();
  EXPECT_EQ(stats["rate_limited_by_window"][c.window], 2) << stats.dump();
  EXPECT_EQ(stats["requests_before_reset"], 1) << stats.dump();
  EXPECT_EQ(stats["faults_injected"], 0) << stats.dump();
  EXPECT_EQ(stats["accepted"], allowed + 1) << stats.dump();
  json counts = netsim_.windows(c.window);
  ASSERT_GE(counts.size(), 1u) << counts.dump();
  EXPECT_EQ(counts[0]["used"], allowed * c.cost) << counts.dump();
  EXPECT_EQ(counts[0]["refused"], 2) << counts.dump();
  EXPECT_EQ(counts[0]["refused_again"], 1) << counts.dump();
  EXPECT_EQ(counts[0]["end_ms"], reset_ms) << counts.dump();
  // At the reset a new window begins.
  calls_.set_clock(reset_ms);
  Answer again = calls_.create(c.network, account, static_cast<int>(allowed + 3));
  EXPECT_LT(again.status, 300) << again.body.dump();
  if (c.network != "linkedin") {
    const std::string remaining = c.network == "x"          ? "x-rate-limit-remaining"
                                  : c.network == "mastodon" ? "X-RateLimit-Remaining"
                                                            : "RateLimit-Remaining";
    EXPECT_EQ(again.number(remaining), limit - c.cost);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryNetwork, WindowLimits,
                         ::testing::Values(NetworkCase{"mastodon", "mastodon.statuses", 1},
                                           NetworkCase{"x", "x.user", 1},
                                           NetworkCase{"bluesky", "bluesky.hour", 3},
                                           NetworkCase{"linkedin", "linkedin.member", 1}),
                         [](const auto& info) { return info.param.network; });

TEST(NetsimWindows, AnAppWindowCountsTheCallsOfEveryAccount) {
  testing::Netsim netsim(NETSIM);
  Calls calls(netsim);
  calls.set_clock(kStartMs);
  netsim.set_windows({{"x.app", {{"limit", 3}}}});
  EXPECT_EQ(calls.create("x", "a", 1).status, 201);
  EXPECT_EQ(calls.create("x", "a", 2).status, 201);
  Answer last = calls.create("x", "b", 1);
  EXPECT_EQ(last.status, 201);
  EXPECT_EQ(last.number("x-app-limit-24hour-remaining"), 0);
  EXPECT_EQ(last.number("x-rate-limit-remaining"), 99);  // b's own window is all but unused
  Answer refused = calls.create("x", "b", 2);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.number("x-app-limit-24hour-remaining"), 0);
  EXPECT_EQ(refused.number("x-app-limit-24hour-reset"), (kStartMs + kDayMs) / 1000);
  // Another account's first 429 from the same window is its first, not a call too early.
  EXPECT_EQ(calls.create("x", "a", 3).status, 429);
  EXPECT_EQ(netsim.get("/_netsim/stats")["requests_before_reset"], 0);
  EXPECT_EQ(calls.create("x", "a", 4).status, 429);
  json stats = netsim.get("/_netsim/stats");
  EXPECT_EQ(stats["requests_before_reset"], 1) << stats.dump();
  EXPECT_EQ(stats["rate_limited_by_window"]["x.app"], 3) << stats.dump();
}

TEST(NetsimWindows, MastodonsHeadersDescribeTheLimitClosestToBeingExceeded) {
  testing::Netsim netsim(NETSIM);
  Calls calls(netsim);
  calls.set_clock(kStartMs);
  netsim.set_windows({{"mastodon.api", {{"limit", 10}, {"seconds", 300}}},
                      {"mastodon.statuses", {{"limit", 4}, {"seconds", 10'800}}}});
  json windows = netsim.get("/_netsim/limits")["windows"];
  const int64_t api_reset = window_end(windows["mastodon.api"], kStartMs);
  const int64_t statuses_reset = window_end(windows["mastodon.statuses"], kStartMs);
  ASSERT_NE(api_reset, statuses_reset);
  auto reset = [](const Answer& a) {
    return builtin::parse_iso8601_ms(a.header("X-RateLimit-Reset"));
  };
  // A read counts in the API's window only.
  Answer read = calls.read("tok");
  EXPECT_EQ(read.number("X-RateLimit-Remaining"), 9);
  EXPECT_EQ(reset(read), api_reset);
  // A status: 8 calls left in the API's window, 3 statuses in the other: that one is shown.
  Answer status = calls.create("mastodon", "tok", 1);
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.number("X-RateLimit-Limit"), 4);
  EXPECT_EQ(status.number("X-RateLimit-Remaining"), 3);
  EXPECT_EQ(reset(status), statuses_reset);
  for (int i = 0; i < 6; ++i) calls.read("tok");  // 2 calls left
  status = calls.create("mastodon", "tok", 2);    // 1 call, 2 statuses left
  EXPECT_EQ(status.number("X-RateLimit-Limit"), 10);
  EXPECT_EQ(status.number("X-RateLimit-Remaining"), 1);
  EXPECT_EQ(reset(status), api_reset);
  calls.read("tok");  // the API's last call
  Answer refused = calls.read("tok");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.body["error"], "Too many requests");
  EXPECT_EQ(reset(refused), api_reset);
  EXPECT_EQ(netsim.get("/_netsim/stats")["rate_limited_by_window"]["mastodon.api"], 1);
}

TEST(NetsimWindows, ADuplicateOfAMastodonStatusCountsNoStatus) {
  testing::Netsim netsim(NETSIM);
  netsim.set_windows({{"mastodon.statuses", {{"limit", 1}}}});
  httplib::Client client(netsim.url());
  const httplib::Headers headers = {{"Authorization", "Bearer tok"}, {"Idempotency-Key", "k1"}};
  for (int i = 0; i < 3; ++i) {
    auto r = client.Post("/api/v1/statuses", headers, "status=once",
                         "application/x-www-form-urlencoded");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << i << ": " << r->body;
    EXPECT_EQ(r->get_header_value("X-RateLimit-Remaining"), "0");
  }
  EXPECT_EQ(netsim.posts("mastodon").size(), 1u);
  EXPECT_EQ(netsim.get("/_netsim/stats")["rate_limited"], 0);
}

// Two calls with the same idempotency key that overlap (both held up by a slow create, so that
// they reach the key's check together) make one post, and both answers name it.
TEST(NetsimWindows, OverlappingCallsWithOneKeyMakeOnePost) {
  for (const std::string network : {"mastodon", "webhook"}) {
    testing::Netsim netsim(NETSIM);
    constexpr int kKeys = 8;
    netsim.post("/_netsim/faults", json::array({{{"network", network},
                                                 {"kind", "slow_create"},
                                                 {"rate", 1.0},
                                                 {"count", 2 * kKeys},
                                                 {"latency_ms", 300}}}));
    std::vector<std::string> ids(2 * kKeys);
    std::vector<std::thread> calls;
    for (int i = 0; i < 2 * kKeys; ++i)
      calls.emplace_back([&, i] {
        httplib::Client client(netsim.url());
        const std::string key = "key-" + std::to_string(i / 2);
        httplib::Result r =
            network == "mastodon"
                ? client.Post("/api/v1/statuses",
                              {{"Authorization", "Bearer tok"}, {"Idempotency-Key", key}},
                              "status=post+" + std::to_string(i / 2),
                              "application/x-www-form-urlencoded")
                : client.Post("/hooks/team", {{"X-Herald-Idempotency-Key", key}},
                              json{{"text", "post " + std::to_string(i / 2)}}.dump(),
                              "application/json");
        if (r && r->status == 200) ids[i] = json::parse(r->body).value("id", "");
      });
    for (std::thread& t : calls) t.join();
    EXPECT_EQ(netsim.posts(network).size(), static_cast<size_t>(kKeys)) << network;
    for (int i = 0; i < 2 * kKeys; i += 2) {
      EXPECT_FALSE(ids[i].empty()) << network << " call " << i;
      EXPECT_EQ(ids[i], ids[i + 1]) << network << " key-" << i / 2;
    }
  }
}

TEST(NetsimWindows, LinkedInsQuotasEndAtMidnightUtc) {
  testing::Netsim netsim(NETSIM);
  Calls calls(netsim);
  const int64_t midnight = (kStartMs / kDayMs + 1) * kDayMs;
  calls.set_clock(midnight - 60'000);  // 23:59 UTC
  const int64_t limit = netsim.get("/_netsim/limits")["windows"]["linkedin.member"]["limit"];
  for (int64_t i = 1; i <= limit; ++i)
    ASSERT_EQ(calls.create("linkedin", "member", static_cast<int>(i)).status, 201) << i;
  EXPECT_EQ(calls.create("linkedin", "member", 0).status, 429);
  calls.set_clock(midnight - 1);
  EXPECT_EQ(calls.create("linkedin", "member", 0).status, 429);
  calls.set_clock(midnight);
  EXPECT_EQ(calls.create("linkedin", "member", 0).status, 201);
}

TEST(NetsimWindows, WindowsAreSetOnTheCommandLineOrTurnedOff) {
  testing::Netsim netsim(NETSIM, {"--limit", "x.user=3/10", "--limit", "bluesky.day=0/86400"});
  json windows = netsim.get("/_netsim/limits")["windows"];
  EXPECT_EQ(windows["x.user"]["limit"], 3);
  EXPECT_EQ(windows["x.user"]["seconds"], 10.0);
  EXPECT_EQ(windows["bluesky.day"]["limit"], 0);
  Calls calls(netsim);
  calls.set_clock(kStartMs);
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(calls.create("x", "tok", i).status, 201) << i;
  EXPECT_EQ(calls.create("x", "tok", 4).status, 429);
  // Off: no limits, and no rate-limit headers.
  netsim.post("/_netsim/limits", {{"enforced", false}});
  Answer unlimited = calls.create("x", "tok", 5);
  EXPECT_EQ(unlimited.status, 201);
  EXPECT_FALSE(unlimited.has("x-rate-limit-remaining"));
  testing::Netsim off(NETSIM, {"--rate-limits", "off"});
  EXPECT_FALSE(off.get("/_netsim/limits")["enforced"].get<bool>());
  EXPECT_THROW(testing::Netsim(NETSIM, {"--limit", "x.nowhere=1/1"}), std::runtime_error);
  EXPECT_THROW(testing::Netsim(NETSIM, {"--limit", "x.user=3"}), std::runtime_error);
}

TEST(NetsimWindows, AnInjected429IsCountedApartFromTheWindows) {
  testing::Netsim netsim(NETSIM);
  Calls calls(netsim);
  calls.set_clock(kStartMs);
  netsim.post("/_netsim/faults", {{"kind", "429"}, {"network", "x"}, {"count", 1}});
  Answer injected = calls.create("x", "tok", 1);
  EXPECT_EQ(injected.status, 429);
  EXPECT_EQ(injected.number("x-rate-limit-remaining"), 0);
  EXPECT_EQ(calls.create("x", "tok", 2).status, 429);  // before its reset
  json stats = netsim.get("/_netsim/stats");
  EXPECT_EQ(stats["faults_by_kind"]["429"]["x"], 1) << stats.dump();
  EXPECT_EQ(stats["rate_limited"], 0) << stats.dump();
  EXPECT_EQ(stats["requests_before_reset"], 1) << stats.dump();
}

// ---- Herald against the windows ---------------------------------------------------------

struct PublishCase {
  std::string network;
  std::string window;
  int64_t limit;   // in the window's unit
  double seconds;  // its length
  int64_t cost;    // of a post
  bool headers;    // whether the network says what is left
};

void PrintTo(const PublishCase& c, std::ostream* os) {
  *os << c.network << " " << c.window;
}

/// Two accounts of one network publish 20 posts each against windows of 5 posts, on a virtual
/// clock the simulator shares.
class PublishingAgainstWindows : public ::testing::TestWithParam<PublishCase> {
 protected:
  static constexpr int kAccounts = 2;
  static constexpr int kPosts = 20;

  void SetUp() override {
    const PublishCase& c = GetParam();
    netsim_.set_windows({{c.window, {{"limit", c.limit}, {"seconds", c.seconds}}}});
    std::string yaml = std::string("herald: 1\nplugin_paths: [") + BUILTIN_PLUGIN_DIR +
                       "]\nstore: { path: publish.db }\naccounts:\n";
    for (int a = 0; a < kAccounts; ++a) {
      const std::string n = std::to_string(a);
      setenv(("HERALD_WINDOWS_SECRET_" + n).c_str(), ("windows-secret-" + n).c_str(), 1);
      const std::string secret = "\"${env:HERALD_WINDOWS_SECRET_" + n + "}\"";
      yaml += "  a" + n + ": { network: " + c.network + ", endpoint: \"" + netsim_.url() + "\"";
      if (c.network == "bluesky")
        yaml += ", handle: \"a" + n + ".test\", credentials: { app_password: " + secret + " } }\n";
      else if (c.network == "linkedin")
        yaml += ", handle: \"urn:li:organization:" + n + "\", credentials: { token: " + secret +
                " } }\n";
      else
        yaml += ", credentials: { token: " + secret + " } }\n";
    }
    yaml += "people:\n  ana: { roles: [writer] }\nworkflows:\n  w:\n    steps:\n";
    yaml += "      - { kind: publish, plugin: " + c.network + " }\n";
    HostOptions options;
    options.clock = std::make_shared<testing::SharedVirtualClock>(netsim_, kStartMs);
    options.resolve_secrets = true;
    auto host = Host::open(dir_.write("company.yaml", yaml), options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
  }

  testing::TempDir dir_;
  testing::Netsim netsim_{NETSIM};
  std::unique_ptr<Host> host_;
};

TEST_P(PublishingAgainstWindows, EveryPostOnceEachWindowUsedUpAndNoCallIntoASpentWindow) {
  const PublishCase& c = GetParam();
  std::vector<int64_t> ids;
  for (int i = 0; i < kPosts; ++i)
    for (int a = 0; a < kAccounts; ++a) {
      auto id = host_->submit({"w",
                               "a" + std::to_string(a),
                               "ana",
                               "Post " + std::to_string(i) + " of account " + std::to_string(a),
                               {},
                               ""});
      ASSERT_TRUE(id) << id.status().message();
      ids.push_back(*id);
    }
  auto summary = host_->run({});
  ASSERT_TRUE(summary) << summary.status().message();
  for (int64_t id : ids) {
    PostView post = *host_->post(id);
    EXPECT_EQ(post.state, "done") << id << ": " << post.reason;
    EXPECT_EQ(post.attempt, 0) << id << ": waiting for a window is not a failed attempt";
  }
  // Every post on the network once.
  std::map<std::string, int> copies;
  for (const json& p : netsim_.posts(c.network)) ++copies[p["text"].get<std::string>()];
  EXPECT_EQ(copies.size(), ids.size());
  for (const auto& [text, n] : copies) EXPECT_EQ(n, 1) << text;

  // Each account's windows: every one used up (the last holds what was left), none refusing
  // more than one call of an account, and none refusing a call it had refused already.
  const json limits = netsim_.get("/_netsim/limits")["windows"][c.window];
  const int64_t per_window = limits["limit"].get<int64_t>() / c.cost;
  const json counts = netsim_.windows(c.window);
  std::map<std::string, std::vector<json>> by_account;
  for (const json& w : counts) by_account[w["account"]].push_back(w);
  ASSERT_EQ(by_account.size(), static_cast<size_t>(kAccounts)) << counts.dump();
  int64_t refused = 0;
  for (const auto& [account, windows] : by_account) {
    ASSERT_EQ(windows.size(), static_cast<size_t>((kPosts + per_window - 1) / per_window))
        << counts.dump();
    for (size_t i = 0; i < windows.size(); ++i) {
      const bool last = i + 1 == windows.size();
      EXPECT_EQ(windows[i]["used"], (last ? kPosts - per_window * i : per_window) * c.cost)
          << account << " window " << i << ": " << counts.dump();
      EXPECT_LE(windows[i]["refused"], 1) << counts.dump();
      EXPECT_EQ(windows[i]["refused_again"], 0) << counts.dump();
      refused += windows[i]["refused"].get<int64_t>();
    }
  }
  json stats = netsim_.get("/_netsim/stats");
  EXPECT_EQ(stats["requests_before_reset"], 0) << stats.dump();
  EXPECT_EQ(stats["rate_limited"], refused) << stats.dump();
  if (c.headers) {
    // The headers said when a window was spent: Herald never needed the 429.
    EXPECT_EQ(refused, 0) << counts.dump();
  } else {
    // LinkedIn says nothing: one 429 teaches Herald each day's end.
    EXPECT_LE(refused, kAccounts * (kPosts / per_window)) << counts.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryNetwork, PublishingAgainstWindows,
    ::testing::Values(PublishCase{"mastodon", "mastodon.statuses", 5, 10, 1, true},
                      PublishCase{"x", "x.user", 5, 10, 1, true},
                      PublishCase{"bluesky", "bluesky.hour", 15, 10, 3, true},
                      PublishCase{"linkedin", "linkedin.member", 5, 86'400, 1, false}),
    [](const auto& info) { return info.param.network; });

}  // namespace
}  // namespace herald
