// herald-netsim: the social networks' publishing endpoints on loopback, for tests and staging.
// It serves what Herald's publishers call on Mastodon, Bluesky, X, LinkedIn and webhooks,
// following each network's documented contract, records every accepted post, and injects faults
// on request. See docs/netsim.md.
#include "netsim.hpp"

#include "common/duration.hpp"
#include "common/hmac.hpp"
#include "text/html.hpp"
#include "text/measure.hpp"

#include <httplib.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace {

using herald::html_escape;
using nlohmann::json;
using Clock = std::chrono::system_clock;

int64_t real_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
      .count();
}

std::string base64url(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  int value = 0, bits = -6;
  for (unsigned char c : in) {
    value = (value << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(table[(value >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(table[((value << 8) >> (bits + 8)) & 0x3F]);
  return out;
}

/// A fault to inject into publishing calls (create calls; reads are left alone).
struct Fault {
  std::string network = "*";  // mastodon, bluesky, x, linkedin, webhook or *
  std::string kind;           // latency, slow_create, 5xx, 429, reset, drop_response, auth
  double rate = 1.0;          // chance per call
  int64_t count = -1;         // calls left to hit (-1: no end)
  int64_t latency_ms = 0;     // latency: added delay
  int64_t retry_after_s = 2;  // 429: when the limit resets
};

/// One of a network's rate-limit windows: `limit` calls (Bluesky: write points) per `window_ms`,
/// counted per account (token, DID or member) or for the whole app. See docs/netsim.md.
struct Window {
  std::string network;
  int64_t limit = 0;  // 0: not enforced
  int64_t window_ms = 0;
  bool per_app = false;
  // Windows on multiples of their length since the epoch (Mastodon's limiters, LinkedIn's UTC
  // day); otherwise a window starts with the first call it counts, on a whole second.
  bool aligned = false;
  std::string counts;  // what it counts, for GET /_netsim/limits
};

/// The windows of the real networks.
std::map<std::string, Window> default_windows() {
  constexpr int64_t minute = 60'000, hour = 60 * minute, day = 24 * hour;
  return {
      {"mastodon.api",
       {"mastodon", 300, 5 * minute, false, true, "every authenticated API call of a token"}},
      {"mastodon.statuses",
       {"mastodon", 300, 3 * hour, false, true, "statuses and boosts an account creates"}},
      {"x.user", {"x", 100, 15 * minute, false, false, "POST /2/tweets of a user"}},
      {"x.user_day", {"x", 0, day, false, false, "POST /2/tweets of a user (a tier's daily cap)"}},
      {"x.app", {"x", 10'000, day, true, false, "POST /2/tweets of every user of the app"}},
      {"x.reposts", {"x", 50, 15 * minute, false, false, "POST /2/users/:id/retweets of a user"}},
      {"bluesky.hour",
       {"bluesky", 5'000, hour, false, false, "write points of a DID (a created record: 3)"}},
      {"bluesky.day",
       {"bluesky", 35'000, day, false, false, "write points of a DID (a created record: 3)"}},
      {"linkedin.member", {"linkedin", 150, day, false, true, "POST /rest/posts of a member"}},
      {"linkedin.app", {"linkedin", 100'000, day, true, true, "POST /rest/posts of the app"}},
  };
}

/// One window of one account (or of the app): what it allowed and what it refused.
struct WindowCount {
  std::string window;
  std::string account;  // "" for a window of the app
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t limit = 0;
  int64_t used = 0;
  int64_t refused = 0;                 // 429s it caused
  int64_t refused_again = 0;           // of those, to an account it had refused already
  std::set<std::string> refused_whom;  // the accounts it refused
};

/// What the windows of a call made of it.
struct Admission {
  bool allowed = true;
  int64_t reset_ms = 0;  // refused: when every window it exceeded has ended
  struct State {
    std::string window;
    int64_t limit = 0;
    int64_t remaining = 0;
    int64_t reset_ms = 0;
    int64_t window_ms = 0;
  };
  std::vector<State> windows;  // each enforced window, after the call
};

struct Accepted {
  std::string network;
  std::string account;  // the token's user, handle or DID
  std::string id;
  std::string text;
  std::string key;  // idempotency key or record key, when the network has one
  int64_t at_ms = 0;
  json record{};  // Bluesky: the record as created (facets and all)
};

struct RequestLog {
  std::string network;
  std::string method;
  std::string path;
  int64_t at_ms = 0;
  int status = 0;
};

class Simulator {
 public:
  explicit Simulator(uint64_t seed, int64_t bsky_access_ttl_s, std::string webhook_secret)
      : windows_(default_windows()),
        random_(seed),
        bsky_ttl_ms_(bsky_access_ttl_s * 1000),
        webhook_secret_(std::move(webhook_secret)) {}

  /// What /api/v2/instance gives as the instance's text limit.
  void set_mastodon_max_characters(int64_t n) { mastodon_max_characters_ = n; }

  /// Turns the networks' rate-limit windows on or off.
  void set_limits_enforced(bool on) {
    std::lock_guard lock(mutex_);
    enforced_ = on;
  }

  /// Sets a window's limit (0: not enforced) and length; "" or why it cannot be done. Its
  /// counts start afresh.
  std::string set_window(const std::string& name, int64_t limit, int64_t window_ms) {
    std::lock_guard lock(mutex_);
    auto found = windows_.find(name);
    if (found == windows_.end()) return "no window " + name + " (GET /_netsim/limits lists them)";
    if (limit < 0) return "a window's limit cannot be negative";
    if (window_ms < 1 || window_ms > 366 * 86'400'000LL)
      return "a window lasts from 1 ms to a year";
    found->second.limit = limit;
    found->second.window_ms = window_ms;
    for (auto it = current_.begin(); it != current_.end();)
      it = it->first.rfind(name + "\n", 0) == 0 ? current_.erase(it) : std::next(it);
    return "";
  }

  void install(httplib::Server& server) {
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      if (req.path.rfind("/_netsim", 0) == 0) return;
      std::lock_guard lock(mutex_);
      requests_.push_back({network_of(req.path), req.method, req.path, now_ms(), res.status});
    });
    // Calls in progress, overall and per client (token, or hook), for the stats.
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (req.path.rfind("/_netsim", 0) == 0) return httplib::Server::HandlerResponse::Unhandled;
      {
        std::lock_guard lock(mutex_);
        max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
        if (std::string client = client_of(req); !client.empty())
          max_in_flight_per_client_ =
              std::max(max_in_flight_per_client_, ++in_flight_by_client_[client]);
      }
      // Mastodon limits every authenticated API call of a token, whatever it asks.
      const std::string token = bearer(req);
      if (network_of(req.path) == "mastodon" && !token.empty() && token.rfind("invalid", 0) != 0 &&
          !within_limits({"mastodon.api"}, "mastodon", token, 1, res))
        return httplib::Server::HandlerResponse::Handled;
      return httplib::Server::HandlerResponse::Unhandled;
    });
    server.set_post_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      if (req.path.rfind("/_netsim", 0) == 0) return;
      std::lock_guard lock(mutex_);
      --in_flight_;
      if (std::string client = client_of(req); !client.empty()) --in_flight_by_client_[client];
    });
    mastodon(server);
    mastodon_notifications(server);
    mastodon_moderation(server);
    x(server);
    x_reposts(server);
    x_moderation(server);
    bluesky(server);
    linkedin(server);
    webhook(server);
    ads(server);
    control(server);
  }

 private:
  static std::string network_of(const std::string& path) {
    if (path.rfind("/api/", 0) == 0) return "mastodon";
    if (path.rfind("/2/", 0) == 0) return "x";
    if (path.rfind("/xrpc/", 0) == 0) return "bluesky";
    if (path.rfind("/rest/", 0) == 0) return "linkedin";
    if (path.rfind("/hooks/", 0) == 0) return "webhook";
    return "";
  }

  /// Who a call is from: the network and its bearer token, or the hook it goes to.
  static std::string client_of(const httplib::Request& req) {
    if (req.path.rfind("/hooks/", 0) == 0) return req.path;
    std::string token = bearer(req);
    return token.empty() ? "" : network_of(req.path) + "\n" + token;
  }

  static std::string bearer(const httplib::Request& req) {
    std::string auth = req.get_header_value("Authorization");
    return auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
  }

  static void send_json(httplib::Response& res, int status, const json& body,
                        const char* type = "application/json") {
    res.status = status;
    res.set_content(body.dump(), type);
  }

  /// The simulator's clock: the real one, or the time set with POST /_netsim/clock.
  int64_t now_ms() const {
    const int64_t set = virtual_now_ms_.load();
    return set ? set : real_now_ms();
  }

  static int64_t epoch_seconds_up(int64_t ms) { return (ms + 999) / 1000; }

  /// The count of `window` for `account` that `now` falls in: the current one, or a new one.
  WindowCount& count_of(const std::string& name, const Window& window, const std::string& account,
                        int64_t now) {
    const std::string key = name + "\n" + account;
    auto found = current_.find(key);
    if (found != current_.end() && now < window_counts_[found->second].end_ms)
      return window_counts_[found->second];
    WindowCount count;
    count.window = name;
    count.account = account;
    count.start_ms = window.aligned ? now - now % window.window_ms : now - now % 1000;
    count.end_ms = count.start_ms + window.window_ms;
    count.limit = window.limit;
    window_counts_.push_back(std::move(count));
    current_[key] = window_counts_.size() - 1;
    return window_counts_.back();
  }

  /// Counts a call of `account` costing `cost` in each of `names` (the enforced ones): allowed
  /// when every one has room for it, else refused and counted in none.
  Admission admit(const std::vector<const char*>& names, const std::string& account, int64_t cost) {
    Admission out;
    std::lock_guard lock(mutex_);
    if (!enforced_) return out;
    const int64_t now = now_ms();
    std::vector<std::pair<const Window*, WindowCount*>> counted;
    for (const char* name : names) {
      const Window& window = windows_.at(name);
      if (window.limit <= 0) continue;
      WindowCount& count = count_of(name, window, window.per_app ? "" : account, now);
      counted.emplace_back(&window, &count);
      if (count.used + cost > count.limit) {
        out.allowed = false;
        out.reset_ms = std::max(out.reset_ms, count.end_ms);
      }
    }
    bool again = false;
    for (auto& [window, count] : counted) {
      if (out.allowed) {
        count->used += cost;
      } else if (count->used + cost > count->limit) {
        ++count->refused;
        if (!count->refused_whom.insert(account).second) {
          ++count->refused_again;
          again = true;
        }
        ++rate_limited_by_window_[count->window];
      }
      // A window the call did not fit in has nothing left for it.
      const bool exceeded = !out.allowed && count->used + cost > count->limit;
      out.windows.push_back({count->window, count->limit,
                             exceeded ? 0 : std::max<int64_t>(0, count->limit - count->used),
                             count->end_ms, window->window_ms});
    }
    if (!out.allowed) {
      ++rate_limited_;
      // A call after a 429 of the same window, before its reset.
      if (again) ++early_requests_;
    }
    return out;
  }

  /// The rate-limit headers of a call as its network sends them, from the state of its windows
  /// (LinkedIn and webhooks send none).
  static void window_headers(httplib::Response& res, const std::string& network,
                             const Admission& admission) {
    if (admission.windows.empty()) return;
    // Mastodon and Bluesky describe the window closest to being exceeded.
    const Admission::State* closest = &admission.windows.front();
    for (const Admission::State& w : admission.windows)
      if (w.remaining < closest->remaining) closest = &w;
    // A header said again replaces what the call said before (a fault after the windows).
    auto put = [&res](const std::string& name, const std::string& value) {
      res.headers.erase(name);
      res.set_header(name, value);
    };
    if (network == "mastodon") {
      // What an earlier limiter of the same call (the API's) said stands when it is closer.
      const std::string said = res.get_header_value("X-RateLimit-Remaining");
      if (!said.empty() && std::stoll(said) < closest->remaining) return;
      put("X-RateLimit-Limit", std::to_string(closest->limit));
      put("X-RateLimit-Remaining", std::to_string(closest->remaining));
      put("X-RateLimit-Reset", herald::builtin::format_rfc3339(closest->reset_ms, 6));
    } else if (network == "bluesky") {
      put("RateLimit-Limit", std::to_string(closest->limit));
      put("RateLimit-Remaining", std::to_string(closest->remaining));
      put("RateLimit-Reset", std::to_string(epoch_seconds_up(closest->reset_ms)));
      put("RateLimit-Policy", std::to_string(closest->limit) +
                                  ";w=" + std::to_string(epoch_seconds_up(closest->window_ms)));
    } else if (network == "x") {
      for (const Admission::State& w : admission.windows) {
        const std::string family = w.window == "x.app"        ? "x-app-limit-24hour-"
                                   : w.window == "x.user_day" ? "x-user-limit-24hour-"
                                                              : "x-rate-limit-";
        put(family + "limit", std::to_string(w.limit));
        put(family + "remaining", std::to_string(w.remaining));
        put(family + "reset", std::to_string(epoch_seconds_up(w.reset_ms)));
      }
    }
  }

  /// The windows a network's create calls count in.
  static const std::vector<const char*>& create_windows(const std::string& network) {
    static const std::vector<const char*> x = {"x.user", "x.user_day", "x.app"},
                                          bluesky = {"bluesky.hour", "bluesky.day"},
                                          linkedin = {"linkedin.member", "linkedin.app"},
                                          mastodon = {"mastodon.statuses"}, none = {};
    return network == "x"          ? x
           : network == "bluesky"  ? bluesky
           : network == "linkedin" ? linkedin
           : network == "mastodon" ? mastodon
                                   : none;
  }

  /// Rate-limit headers of a 429 injected as a fault: each family at 0 until `reset_ms`.
  void limit_headers(httplib::Response& res, const std::string& network, int64_t reset_ms) {
    Admission spent;
    {
      std::lock_guard lock(mutex_);
      for (const char* name : create_windows(network)) {
        const Window& w = windows_.at(name);
        if (w.limit > 0) spent.windows.push_back({name, w.limit, 0, reset_ms, w.window_ms});
      }
    }
    window_headers(res, network, spent);
  }

  /// What a create call runs into, decided before the network's own handling. Returns true
  /// when the fault answered the call (the handler stops); `accept_then_drop` is set when the
  /// post must be accepted and then its response lost.
  bool inject(const std::string& network, const std::string& who, httplib::Response& res,
              bool& accept_then_drop) {
    const std::string limit_key = network + "\n" + who;
    Fault hit;
    int64_t blocked_until = 0;
    {
      std::lock_guard lock(mutex_);
      // A limit announced by an earlier 429 holds until its reset time.
      auto blocked = limited_until_.find(limit_key);
      if (blocked != limited_until_.end() && now_ms() < blocked->second) {
        ++early_requests_;
        blocked_until = blocked->second;
      }
    }
    if (blocked_until) {
      limit_headers(res, network, blocked_until);
      too_many(res, network, blocked_until, true);
      return true;
    }
    {
      std::lock_guard lock(mutex_);
      bool found = false;
      for (Fault& f : faults_) {
        if (f.network != "*" && f.network != network) continue;
        if (f.count == 0) continue;
        if (std::uniform_real_distribution<double>(0, 1)(random_) >= f.rate) continue;
        if (f.count > 0) --f.count;
        hit = f;
        found = true;
        break;
      }
      if (!found) return false;
      ++faults_injected_;
      ++faults_by_kind_[hit.kind][network];
    }
    if (hit.kind == "latency" || hit.kind == "slow_create") {
      // slow_create: the post is made after the delay, whether or not the caller still waits
      // (a delay longer than its timeout: the answer comes after the client gave up).
      std::this_thread::sleep_for(std::chrono::milliseconds(hit.latency_ms));
      return false;
    }
    if (hit.kind == "drop_response") {
      accept_then_drop = true;
      return false;
    }
    if (hit.kind == "5xx") {
      send_json(res, 503,
                network == "mastodon" ? json{{"error", "Service unavailable"}}
                                      : json{{"error", "ServiceUnavailable"}});
      return true;
    }
    if (hit.kind == "auth") {
      send_json(res, 401, json{{"error", "The access token is invalid"}});
      return true;
    }
    if (hit.kind == "429") {
      // On a whole second: the headers say it in epoch seconds, and the limit ends then.
      const int64_t reset = (now_ms() / 1000 + hit.retry_after_s + 1) * 1000;
      {
        std::lock_guard lock(mutex_);
        limited_until_[limit_key] = reset;
      }
      limit_headers(res, network, reset);
      too_many(res, network, reset, true);
      return true;
    }
    if (hit.kind == "reset") {
      drop(res);
      return true;
    }
    return false;
  }

  /// The network's answer to a call over its limit. A fault's 429 also says when to come back
  /// on LinkedIn and webhooks (Retry-After); LinkedIn's own quotas say nothing.
  void too_many(httplib::Response& res, const std::string& network, int64_t reset_ms, bool fault,
                const std::string& window = "") {
    if ((network == "linkedin" && fault) || network == "webhook")
      res.set_header("Retry-After", std::to_string((reset_ms - now_ms() + 999) / 1000));
    if (network == "x")
      send_json(res, 429, json{{"errors", {{{"code", 88}, {"message", "Rate limit exceeded"}}}}});
    else if (network == "bluesky")
      send_json(res, 429, json{{"error", "RateLimitExceeded"}, {"message", "Rate Limit Exceeded"}});
    else if (network == "linkedin")
      send_json(res, 429,
                json{{"status", 429},
                     {"message", std::string("Resource level throttle ") +
                                     (window == "linkedin.app" ? "APPLICATION" : "MEMBER") +
                                     " DAY limit for calls to this resource is reached."}});
    else
      send_json(res, 429, json{{"error", "Too many requests"}});
  }

  /// Counts a call of `account` in its windows and sets its rate-limit headers; answers 429
  /// and returns false when a window has no room for it.
  bool within_limits(const std::vector<const char*>& windows, const std::string& network,
                     const std::string& account, int64_t cost, httplib::Response& res) {
    Admission admission = admit(windows, account, cost);
    window_headers(res, network, admission);
    if (admission.allowed) return true;
    std::string exceeded;
    for (const Admission::State& w : admission.windows)
      if (w.remaining == 0 && exceeded.empty()) exceeded = w.window;
    too_many(res, network, admission.reset_ms, false, exceeded);
    return false;
  }

  /// Closes the connection without a complete response: the client cannot know what happened.
  static void drop(httplib::Response& res) {
    res.status = 200;
    res.body.clear();
    res.set_chunked_content_provider("application/json",
                                     [](size_t, httplib::DataSink&) { return false; });
  }

  void record(Accepted a) {
    std::lock_guard lock(mutex_);
    a.at_ms = now_ms();
    accepted_.push_back(std::move(a));
  }

  bool auth_ok(const httplib::Request& req, httplib::Response& res) {
    std::string token = bearer(req);
    if (token.empty() || token.rfind("invalid", 0) == 0) {
      send_json(res, 401, json{{"error", "The access token is invalid"}});
      return false;
    }
    return true;
  }

  // ---- Mastodon -------------------------------------------------------------------------
  void mastodon(httplib::Server& server) {
    server.Get("/api/v2/instance", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200,
                {{"domain", "netsim.test"},
                 {"configuration",
                  {{"statuses",
                    {{"max_characters", mastodon_max_characters_},
                     {"max_media_attachments", 4},
                     {"characters_reserved_per_url", 23}}}}}});
    });
    server.Get("/api/v1/accounts/verify_credentials",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (!auth_ok(req, res)) return;
                 send_json(res, 200, {{"id", user_id(bearer(req))}, {"username", bearer(req)}});
               });
    server.Get(R"(/api/v1/accounts/(\w+)/statuses)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (!auth_ok(req, res)) return;
                 json list = json::array();
                 std::lock_guard lock(mutex_);
                 for (auto it = accepted_.rbegin(); it != accepted_.rend(); ++it)
                   if (it->network == "mastodon" && user_id(it->account) == req.matches[1])
                     list.push_back({{"id", it->id}, {"text", it->text}, {"content", it->text}});
                 send_json(res, 200, list);
               });
    server.Post("/api/v1/statuses", [this](const httplib::Request& req, httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      bool accept_then_drop = false;
      if (inject("mastodon", bearer(req), res, accept_then_drop)) return;
      const std::string token = bearer(req);
      std::string text;
      if (req.get_header_value("Content-Type").find("json") != std::string::npos) {
        json body = json::parse(req.body, nullptr, false);
        if (body.is_object()) text = body.value("status", "");
      } else {
        text = req.get_param_value("status");
      }
      const std::string in_reply_to = req.get_param_value("in_reply_to_id");
      const std::string key = req.get_header_value("Idempotency-Key");
      std::unique_lock keyed(keyed_create_mutex_, std::defer_lock);
      if (!key.empty()) keyed.lock();
      // The headers describe the statuses family when it is closer to its limit than the API's.
      within_limits(create_windows("mastodon"), "mastodon", token, 0, res);
      {
        std::lock_guard lock(mutex_);
        auto seen = mastodon_keys_.find(token + "\n" + key);
        if (!key.empty() && seen != mastodon_keys_.end() &&
            now_ms() - seen->second.second < 3'600'000) {
          send_json(res, 200, seen->second.first);  // the status created by the first call
          if (accept_then_drop) drop(res);
          return;
        }
      }
      if (text.empty()) {
        send_json(res, 422, json{{"error", "Validation failed: Text can't be blank"}});
        return;
      }
      auto counted =
          herald::text::measure(herald::text::Network::mastodon, text, mastodon_max_characters_);
      if (!counted || !counted->valid) {
        send_json(res, 422,
                  json{{"error", "Validation failed: Text character limit of " +
                                     std::to_string(mastodon_max_characters_) + " exceeded"}});
        return;
      }
      // A status counts when it is made: after its validation, and not for a repeated key.
      if (!within_limits(create_windows("mastodon"), "mastodon", token, 1, res)) return;
      std::string id = next_id();
      json status = {{"id", id},
                     {"uri", "https://netsim.test/users/" + token + "/statuses/" + id},
                     {"url", "https://netsim.test/@" + token + "/" + id},
                     {"created_at", herald::builtin::format_rfc3339(now_ms(), 6)},
                     {"content", "<p>" + text + "</p>"},
                     {"visibility", "public"}};
      {
        std::lock_guard lock(mutex_);
        if (!key.empty()) mastodon_keys_[token + "\n" + key] = {status, now_ms()};
      }
      status["in_reply_to_id"] = in_reply_to.empty() ? json(nullptr) : json(in_reply_to);
      record({"mastodon", token, id, text, key, 0,
              json{{"in_reply_to_id", status["in_reply_to_id"]}}});
      send_json(res, 200, status);
      if (accept_then_drop) drop(res);
    });
    // A boost: the reblog status of this account; boosting again answers the same one.
    server.Post(R"(/api/v1/statuses/(\d+)/reblog)", [this](const httplib::Request& req,
                                                           httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      bool accept_then_drop = false;
      if (inject("mastodon", bearer(req), res, accept_then_drop)) return;
      const std::string token = bearer(req), original = req.matches[1];
      std::string id;
      bool known = false;
      {
        std::lock_guard lock(mutex_);
        for (const Accepted& a : accepted_) {
          if (a.network == "mastodon" && a.id == original) known = true;
          if (a.network == "mastodon" && a.account == token && a.key == "reblog:" + original)
            id = a.id;
        }
      }
      if (!known) {
        send_json(res, 404, {{"error", "Record not found"}});
        return;
      }
      // A new boost is a status of the account; the same boost again makes none.
      if (!within_limits(create_windows("mastodon"), "mastodon", token, id.empty() ? 1 : 0, res))
        return;
      if (id.empty()) {
        id = next_id();
        record({"mastodon", token, id, "", "reblog:" + original, 0});
      }
      send_json(res, 200,
                {{"id", id},
                 {"url", "https://netsim.test/@" + token + "/" + id},
                 {"reblog", {{"id", original}}}});
      if (accept_then_drop) drop(res);
    });
  }

  /// Mentions of an account: GET /api/v1/notifications?types[]=mention with min_id (the page
  /// right after it), since_id or max_id, newest first, `limit` (default 40, at most 80).
  void mastodon_notifications(httplib::Server& server) {
    server.Get(
        "/api/v1/notifications", [this](const httplib::Request& req, httplib::Response& res) {
          if (!auth_ok(req, res)) return;
          bool mentions_only = false;
          for (size_t i = 0; i < req.get_param_value_count("types[]"); ++i)
            mentions_only = mentions_only || req.get_param_value("types[]", i) == "mention";
          auto id_param = [&](const char* name) -> long long {
            std::string v = req.get_param_value(name);
            return v.empty() ? -1 : std::atoll(v.c_str());
          };
          const long long min_id = id_param("min_id"), since_id = id_param("since_id"),
                          max_id = id_param("max_id");
          long long limit =
              req.has_param("limit") ? std::atoll(req.get_param_value("limit").c_str()) : 40;
          limit = std::clamp(limit, 1LL, 80LL);
          std::vector<json> page;
          std::lock_guard lock(mutex_);
          const std::vector<json>& all = notifications_[bearer(req)];  // oldest first
          auto wanted = [&](const json& n) {
            long long id = std::atoll(n["id"].get<std::string>().c_str());
            return (!mentions_only || n["type"] == "mention") && (min_id < 0 || id > min_id) &&
                   (since_id < 0 || id > since_id) && (max_id < 0 || id < max_id);
          };
          if (min_id >= 0) {  // the page right after min_id
            for (auto it = all.begin(); it != all.end() && (long long)page.size() < limit; ++it)
              if (wanted(*it)) page.push_back(*it);
            std::reverse(page.begin(), page.end());
          } else {  // the newest page
            for (auto it = all.rbegin(); it != all.rend() && (long long)page.size() < limit; ++it)
              if (wanted(*it)) page.push_back(*it);
          }
          send_json(res, 200, page);
        });
  }

  /// What an account did about another: mute, block or report (GET /_netsim/moderation).
  void moderated(const std::string& network, const std::string& by, const std::string& action,
                 const std::string& target, json detail) {
    std::lock_guard lock(mutex_);
    moderation_.push_back({{"network", network},
                           {"by", user_id(by)},
                           {"action", action},
                           {"target", target},
                           {"detail", std::move(detail)}});
  }

  /// Muting, blocking and reporting accounts: GET /api/v1/accounts/lookup?acct=, POST
  /// /api/v1/accounts/ID/mute and /block (the relationship; again changes nothing), POST
  /// /api/v1/reports {account_id, status_ids, comment, category}.
  void mastodon_moderation(httplib::Server& server) {
    server.Get("/api/v1/accounts/lookup",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (!auth_ok(req, res)) return;
                 std::string acct = req.get_param_value("acct");
                 if (acct.empty() || acct.find("nobody") != std::string::npos) {
                   send_json(res, 404, {{"error", "Record not found"}});
                   return;
                 }
                 send_json(res, 200, {{"id", user_id(acct)}, {"acct", acct}, {"username", acct}});
               });
    server.Post(R"(/api/v1/accounts/(\d+)/(mute|block))", [this](const httplib::Request& req,
                                                                 httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      bool accept_then_drop = false;
      if (inject("mastodon", bearer(req), res, accept_then_drop)) return;
      const std::string id = req.matches[1], action = req.matches[2];
      moderated("mastodon", bearer(req), action, id, json::object());
      send_json(res, 200,
                {{"id", id}, {"muting", action == "mute"}, {"blocking", action == "block"}});
      if (accept_then_drop) drop(res);
    });
    server.Post("/api/v1/reports", [this](const httplib::Request& req, httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      bool accept_then_drop = false;
      if (inject("mastodon", bearer(req), res, accept_then_drop)) return;
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("account_id")) {
        send_json(res, 422, {{"error", "Validation failed: account_id is missing"}});
        return;
      }
      const std::string id = next_id();
      moderated("mastodon", bearer(req), "report", body.value("account_id", ""),
                {{"status_ids", body.value("status_ids", json::array())},
                 {"comment", body.value("comment", "")},
                 {"category", body.value("category", "other")}});
      send_json(res, 200, {{"id", id}, {"action_taken", false}});
      if (accept_then_drop) drop(res);
    });
  }

  /// GET /2/users/by/username/NAME, POST /2/users/ME/muting and /blocking {target_user_id}.
  void x_moderation(httplib::Server& server) {
    server.Get(R"(/2/users/by/username/([^/]+))", [this](const httplib::Request& req,
                                                         httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      const std::string name = req.matches[1];
      if (name.find("nobody") != std::string::npos) {
        send_json(res, 200,
                  {{"errors", json::array({{{"title", "Not Found Error"},
                                            {"detail", "Could not find user: " + name}}})}});
        return;
      }
      send_json(res, 200, {{"data", {{"id", user_id(name)}, {"username", name}}}});
    });
    server.Post(R"(/2/users/(\d+)/(muting|blocking))", [this](const httplib::Request& req,
                                                              httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      bool accept_then_drop = false;
      if (inject("x", bearer(req), res, accept_then_drop)) return;
      const std::string token = bearer(req);
      if (req.matches[1] != user_id(token)) {
        send_json(res, 403, {{"title", "Forbidden"}, {"status", 403}}, "application/problem+json");
        return;
      }
      json body = json::parse(req.body, nullptr, false);
      const std::string action = req.matches[2] == "muting" ? "mute" : "block";
      moderated("x", token, action, body.is_object() ? body.value("target_user_id", "") : "",
                json::object());
      send_json(res, 200, {{"data", {{action == "mute" ? "muting" : "blocking", true}}}});
      if (accept_then_drop) drop(res);
    });
  }

  std::string user_id(const std::string& token) {
    return std::to_string(std::hash<std::string>{}(token) % 1000000007);
  }

  std::string next_id() { return std::to_string(1800000000000000000LL + ++sequence_); }

  // ---- X --------------------------------------------------------------------------------
  void x(httplib::Server& server) {
    server.Get("/2/users/me", [this](const httplib::Request& req, httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      send_json(res, 200, {{"data", {{"id", user_id(bearer(req))}, {"username", bearer(req)}}}});
    });
    server.Get(
        R"(/2/users/(\d+)/tweets)", [this](const httplib::Request& req, httplib::Response& res) {
          if (!auth_ok(req, res)) return;
          json list = json::array();
          std::lock_guard lock(mutex_);
          // Newest first, 100 a page; pagination_token is where the next page starts.
          const size_t start = std::stoul("0" + req.get_param_value("pagination_token"));
          size_t index = 0;
          const bool with_time =
              req.get_param_value("tweet.fields").find("created_at") != std::string::npos;
          for (auto it = accepted_.rbegin(); it != accepted_.rend() && list.size() < 100; ++it)
            if (it->network == "x" && user_id(it->account) == req.matches[1] && index++ >= start) {
              list.push_back({{"id", it->id}, {"text", it->text}});
              if (with_time)
                list.back()["created_at"] = herald::builtin::format_rfc3339(it->at_ms, 3);
            }
          json body = {{"data", list}};
          if (list.size() == 100) body["meta"] = {{"next_token", std::to_string(start + 100)}};
          send_json(res, 200, body);
        });
    server.Post("/2/tweets", [this](const httplib::Request& req, httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      if (!within_limits(create_windows("x"), "x", bearer(req), 1, res)) return;
      bool accept_then_drop = false;
      if (inject("x", bearer(req), res, accept_then_drop)) return;
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("text") || !body["text"].is_string()) {
        send_json(res, 400,
                  {{"title", "Invalid Request"}, {"detail", "text is required"}, {"status", 400}},
                  "application/problem+json");
        return;
      }
      const std::string token = bearer(req), text = body["text"];
      auto counted = herald::text::measure(herald::text::Network::x, text);
      if (!counted || !counted->valid) {
        send_json(res, 400,
                  {{"title", "Invalid Request"},
                   {"detail", "Your Tweet text is too long."},
                   {"status", 400}},
                  "application/problem+json");
        return;
      }
      {
        std::lock_guard lock(mutex_);
        for (const Accepted& a : accepted_)
          if (a.network == "x" && a.account == token && a.text == text) {
            send_json(res, 403,
                      {{"detail", "You are not allowed to create a Tweet with duplicate content."},
                       {"type", "about:blank"},
                       {"title", "Forbidden"},
                       {"status", 403}},
                      "application/problem+json");
            return;
          }
      }
      std::string id = next_id();
      record({"x", token, id, text, "", 0,
              json{{"in_reply_to_tweet_id",
                    body.value("/reply/in_reply_to_tweet_id"_json_pointer, std::string())}}});
      send_json(res, 201, {{"data", {{"id", id}, {"text", text}}}});
      if (accept_then_drop) drop(res);
    });
  }

  /// X reposts: POST /2/users/ME/retweets {tweet_id} (a second repost of the same post is
  /// ignored) and GET /2/tweets/ID/retweeted_by.
  void x_reposts(httplib::Server& server) {
    server.Post(R"(/2/users/(\d+)/retweets)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (!auth_ok(req, res)) return;
                  if (!within_limits({"x.reposts"}, "x", bearer(req), 1, res)) return;
                  bool accept_then_drop = false;
                  if (inject("x", bearer(req), res, accept_then_drop)) return;
                  const std::string token = bearer(req);
                  if (req.matches[1] != user_id(token)) {
                    send_json(res, 403,
                              {{"title", "Forbidden"},
                               {"detail", "You are not permitted to perform this action."},
                               {"status", 403}},
                              "application/problem+json");
                    return;
                  }
                  json body = json::parse(req.body, nullptr, false);
                  const std::string original =
                      body.is_object() && body.contains("tweet_id") && body["tweet_id"].is_string()
                          ? body["tweet_id"].get<std::string>()
                          : "";
                  bool known = false, already = false;
                  {
                    std::lock_guard lock(mutex_);
                    for (const Accepted& a : accepted_) {
                      if (a.network == "x" && a.id == original && a.key.empty()) known = true;
                      if (a.network == "x" && a.account == token && a.key == "retweet:" + original)
                        already = true;
                    }
                  }
                  if (!known) {
                    send_json(res, 400,
                              {{"title", "Invalid Request"},
                               {"detail", "tweet_id must be the id of an existing post"},
                               {"status", 400}},
                              "application/problem+json");
                    return;
                  }
                  if (!already)
                    record({"x", token, "rt-" + next_id(), "", "retweet:" + original, 0});
                  send_json(res, 200, {{"data", {{"retweeted", true}}}});
                  if (accept_then_drop) drop(res);
                });
    // Mentions: newest first, 100 a page, since_id, pagination_token; authors in includes.
    server.Get(R"(/2/users/(\d+)/mentions)", [this](const httplib::Request& req,
                                                    httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      const std::string token = bearer(req);
      if (req.matches[1] != user_id(token)) {
        send_json(res, 403, {{"title", "Forbidden"}, {"status", 403}}, "application/problem+json");
        return;
      }
      const std::string since = req.get_param_value("since_id");
      const size_t start = std::stoul("0" + req.get_param_value("pagination_token"));
      json data = json::array(), users = json::array();
      std::set<std::string> seen_users;
      size_t index = 0;
      bool more = false;
      std::lock_guard lock(mutex_);
      const std::vector<json>& all = x_mentions_[token];  // oldest first
      for (auto it = all.rbegin(); it != all.rend(); ++it) {
        const std::string id = (*it)["id"];
        if (!since.empty() &&
            (id.size() < since.size() || (id.size() == since.size() && id <= since)))
          continue;
        if (index++ < start) continue;
        if (data.size() == 100) {
          more = true;
          break;
        }
        data.push_back({{"id", id},
                        {"text", (*it)["text"]},
                        {"author_id", (*it)["author_id"]},
                        {"public_metrics", (*it)["public_metrics"]}});
        if (seen_users.insert((*it)["author_id"].get<std::string>()).second)
          users.push_back((*it)["user"]);
      }
      json body = {{"data", data},
                   {"includes", {{"users", users}}},
                   {"meta", {{"result_count", data.size()}}}};
      if (more) body["meta"]["next_token"] = std::to_string(start + 100);
      send_json(res, 200, body);
    });
    server.Get(R"(/2/tweets/(\d+)/retweeted_by)",
               [this](const httplib::Request& req, httplib::Response& res) {
                 if (!auth_ok(req, res)) return;
                 json users = json::array();
                 std::lock_guard lock(mutex_);
                 for (const Accepted& a : accepted_)
                   if (a.network == "x" && a.key == "retweet:" + std::string(req.matches[1]))
                     users.push_back({{"id", user_id(a.account)}, {"username", a.account}});
                 send_json(res, 200, {{"data", users}, {"meta", {{"result_count", users.size()}}}});
               });
  }

  // ---- Bluesky --------------------------------------------------------------------------
  std::string make_jwt(const std::string& did, const std::string& scope, int64_t expires_ms) {
    json claims = {{"sub", did},
                   {"scope", scope},
                   {"exp", expires_ms / 1000},
                   {"jti", std::to_string(++sequence_)}};
    return base64url(R"({"typ":"at+jwt","alg":"HS256"})") + "." + base64url(claims.dump()) +
           ".netsim";
  }

  void bluesky(httplib::Server& server) {
    server.Post("/xrpc/com.atproto.server.createSession",
                [this](const httplib::Request& req, httplib::Response& res) {
                  json body = json::parse(req.body, nullptr, false);
                  std::string identifier = body.is_object() ? body.value("identifier", "") : "";
                  std::string password = body.is_object() ? body.value("password", "") : "";
                  if (identifier.empty() || password.empty() || password.rfind("wrong", 0) == 0) {
                    send_json(res, 401,
                              {{"error", "AuthenticationRequired"},
                               {"message", "Invalid identifier or password"}});
                    return;
                  }
                  session(res, identifier);
                });
    server.Post("/xrpc/com.atproto.server.refreshSession", [this](const httplib::Request& req,
                                                                  httplib::Response& res) {
      std::string handle;
      {
        std::lock_guard lock(mutex_);
        auto it = refresh_.find(bearer(req));
        if (it == refresh_.end()) {
          send_json(res, 400, {{"error", "ExpiredToken"}, {"message", "Token has expired"}});
          return;
        }
        handle = it->second;
        refresh_.erase(it);  // refresh tokens are single-use
      }
      session(res, handle);
    });
    server.Post("/xrpc/com.atproto.repo.createRecord", [this](const httplib::Request& req,
                                                              httplib::Response& res) {
      std::string did;
      if (!bsky_auth(req, res, did)) return;
      // Writes are counted in points per DID: a created record costs 3.
      if (!within_limits(create_windows("bluesky"), "bluesky", did, 3, res)) return;
      bool accept_then_drop = false;
      if (inject("bluesky", did, res, accept_then_drop)) return;
      json body = json::parse(req.body, nullptr, false);
      const std::string collection = body.is_object() ? body.value("collection", "") : "";
      if ((collection != "app.bsky.feed.post" && collection != "app.bsky.feed.repost") ||
          !body.contains("record") || !body["record"].is_object()) {
        send_json(res, 400,
                  {{"error", "InvalidRequest"},
                   {"message", "expected an app.bsky.feed.post or app.bsky.feed.repost record"}});
        return;
      }
      const json& record = body["record"];
      std::string text = record.value("text", "");
      if (collection == "app.bsky.feed.repost") {
        // A strong reference: the subject's uri and the cid of its current version.
        const json subject = record.value("subject", json::object());
        std::lock_guard lock(mutex_);
        auto cid = bsky_cids_.find(subject.value("uri", ""));
        if (!record.contains("createdAt") || cid == bsky_cids_.end() ||
            subject.value("cid", "") != cid->second) {
          send_json(res, 400,
                    {{"error", "InvalidRecord"},
                     {"message",
                      "Invalid app.bsky.feed.repost record: subject must be a strong "
                      "reference (uri and cid) to an existing record"}});
          return;
        }
      }
      auto counted = herald::text::measure(herald::text::Network::bluesky, text);
      if (collection == "app.bsky.feed.post" &&
          (!record.contains("createdAt") || !counted || !counted->valid)) {
        send_json(res, 400,
                  {{"error", "InvalidRecord"},
                   {"message",
                    "Invalid app.bsky.feed.post record: text must not be "
                    "longer than 300 graphemes"}});
        return;
      }
      std::string rkey = body.value("rkey", "");
      if (rkey.empty()) rkey = "3k" + std::to_string(++sequence_);
      std::string uri = "at://" + did + "/" + collection + "/" + rkey;
      std::string cid = "bafyrei" + std::to_string(++sequence_);
      {
        std::lock_guard lock(mutex_);
        if (bsky_records_.count(uri)) {
          // What the reference PDS answers for an existing record key.
          send_json(res, 500,
                    {{"error", "InternalServerError"}, {"message", "Internal Server Error"}});
          return;
        }
        bsky_records_[uri] = record;
        bsky_cids_[uri] = cid;
      }
      Accepted accepted{"bluesky", did, uri, text, rkey, 0, body["record"]};
      this->record(std::move(accepted));
      send_json(res, 200, {{"uri", uri}, {"cid", cid}, {"validationStatus", "valid"}});
      if (accept_then_drop) drop(res);
    });
    server.Get("/xrpc/com.atproto.identity.resolveHandle", [this](const httplib::Request& req,
                                                                  httplib::Response& res) {
      std::string handle = req.get_param_value("handle");
      if (handle.size() < 4 || handle.substr(handle.size() - 4) == ".bad") {
        send_json(res, 400, {{"error", "InvalidRequest"}, {"message", "Unable to resolve handle"}});
        return;
      }
      send_json(res, 200, {{"did", "did:plc:" + user_id(handle)}});
    });
    server.Get("/xrpc/com.atproto.repo.getRecord", [this](const httplib::Request& req,
                                                          httplib::Response& res) {
      std::string uri = "at://" + req.get_param_value("repo") + "/" +
                        req.get_param_value("collection") + "/" + req.get_param_value("rkey");
      std::lock_guard lock(mutex_);
      auto it = bsky_records_.find(uri);
      if (it == bsky_records_.end()) {
        send_json(res, 400,
                  {{"error", "RecordNotFound"}, {"message", "Could not locate record: " + uri}});
        return;
      }
      send_json(res, 200, {{"uri", uri}, {"cid", bsky_cids_[uri]}, {"value", it->second}});
    });
  }

  void session(httplib::Response& res, const std::string& handle) {
    const std::string did = "did:plc:" + user_id(handle);
    std::string access = make_jwt(did, "com.atproto.access", now_ms() + bsky_ttl_ms_);
    std::string refresh = make_jwt(did, "com.atproto.refresh", now_ms() + 90LL * 86'400'000);
    {
      std::lock_guard lock(mutex_);
      access_[access] = {did, now_ms() + bsky_ttl_ms_};
      refresh_[refresh] = handle;
      ++sessions_;
    }
    send_json(res, 200,
              {{"accessJwt", access},
               {"refreshJwt", refresh},
               {"handle", handle},
               {"did", did},
               {"active", true}});
  }

  bool bsky_auth(const httplib::Request& req, httplib::Response& res, std::string& did) {
    std::lock_guard lock(mutex_);
    auto it = access_.find(bearer(req));
    if (it == access_.end()) {
      send_json(res, 401, {{"error", "AuthenticationRequired"}, {"message", "Invalid token"}});
      return false;
    }
    if (now_ms() >= it->second.second) {
      send_json(res, 400, {{"error", "ExpiredToken"}, {"message", "Token has expired"}});
      return false;
    }
    did = it->second.first;
    return true;
  }

  // ---- LinkedIn -------------------------------------------------------------------------
  /// LinkedIn's "little" format: the text is cut at the first reserved character that is not
  /// escaped, and escapes are removed.
  static std::string little_text(const std::string& commentary) {
    static const std::string reserved = "\\|{}@[]()<>#*_~";
    std::string out;
    for (size_t i = 0; i < commentary.size(); ++i) {
      char c = commentary[i];
      if (c == '\\' && i + 1 < commentary.size() &&
          reserved.find(commentary[i + 1]) != std::string::npos) {
        out += commentary[++i];
        continue;
      }
      if (reserved.find(c) != std::string::npos) break;  // silently truncated
      out += c;
    }
    return out;
  }

  void linkedin(httplib::Server& server) {
    server.Post("/rest/posts", [this](const httplib::Request& req, httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      if (req.get_header_value("LinkedIn-Version").size() != 6 ||
          req.get_header_value("X-Restli-Protocol-Version") != "2.0.0") {
        send_json(res, 426,
                  {{"status", 426},
                   {"message",
                    "A valid LinkedIn-Version header (YYYYMM) and "
                    "X-Restli-Protocol-Version: 2.0.0 are required"}});
        return;
      }
      if (!within_limits(create_windows("linkedin"), "linkedin", bearer(req), 1, res)) return;
      bool accept_then_drop = false;
      if (inject("linkedin", bearer(req), res, accept_then_drop)) return;
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || body.value("author", "").rfind("urn:li:", 0) != 0 ||
          !body.contains("commentary") || body.value("lifecycleState", "") != "PUBLISHED") {
        send_json(res, 422,
                  {{"status", 422},
                   {"message",
                    "author, commentary and "
                    "lifecycleState PUBLISHED are required"}});
        return;
      }
      std::string id = "urn:li:share:" + next_id();
      record({"linkedin", body.value("author", ""), id, little_text(body.value("commentary", "")),
              "", 0});
      res.status = 201;
      res.set_header("x-restli-id", id);
      if (accept_then_drop) drop(res);
    });
    server.Get("/rest/posts", [this](const httplib::Request& req, httplib::Response& res) {
      if (!auth_ok(req, res)) return;
      std::string author = req.get_param_value("author");
      json elements = json::array();
      std::lock_guard lock(mutex_);
      // Newest first, a page at a time (start, count up to 100), as the finder pages.
      const size_t start = std::stoul("0" + req.get_param_value("start"));
      const size_t count = std::min<size_t>(100, std::stoul("0" + req.get_param_value("count")));
      size_t index = 0;
      for (auto it = accepted_.rbegin(); it != accepted_.rend() && elements.size() < count; ++it)
        if (it->network == "linkedin" && it->account == author && index++ >= start)
          elements.push_back({{"id", it->id},
                              {"author", it->account},
                              {"commentary", it->text},
                              {"createdAt", it->at_ms},
                              {"lifecycleState", "PUBLISHED"}});
      send_json(res, 200, {{"elements", elements}});
    });
  }

  // ---- Webhook --------------------------------------------------------------------------
  void webhook(httplib::Server& server) {
    server.Post(R"(/hooks/([\w-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (!webhook_secret_.empty() &&
          req.get_header_value("X-Herald-Signature") !=
              "sha256=" + herald::builtin::hmac_sha256_hex(webhook_secret_, req.body)) {
        send_json(res, 401, {{"error", "bad signature"}});
        return;
      }
      bool accept_then_drop = false;
      if (inject("webhook", req.matches[1], res, accept_then_drop)) return;
      const std::string key = req.get_header_value("X-Herald-Idempotency-Key");
      json body = json::parse(req.body, nullptr, false);
      std::string text = body.is_object() ? body.value("text", "") : "";
      std::string id;
      std::lock_guard keyed(keyed_create_mutex_);
      {
        std::lock_guard lock(mutex_);
        for (const Accepted& a : accepted_)
          if (a.network == "webhook" && !key.empty() && a.key == key) id = a.id;
      }
      if (id.empty()) {
        id = "hook-" + next_id();
        record({"webhook", req.matches[1], id, text, key, 0});
      }
      send_json(res, 200, {{"id", id}});
      if (accept_then_drop) drop(res);
    });
  }

  // ---- Ads: paid promotion of a published post --------------------------------------------
  // POST /ads/promotions {post_id, account, network, remote_id, campaign, amount, currency}
  // -> {id}. A repeated X-Herald-Idempotency-Key answers the first promotion's id.
  void ads(httplib::Server& server) {
    server.Post("/ads/promotions", [this](const httplib::Request& req, httplib::Response& res) {
      bool accept_then_drop = false;
      if (inject("ads", "", res, accept_then_drop)) return;
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("campaign") || !body.contains("amount") ||
          !body["amount"].is_number() || body["amount"].get<double>() <= 0) {
        send_json(res, 400, {{"error", "campaign and a positive amount are required"}});
        return;
      }
      const std::string key = req.get_header_value("X-Herald-Idempotency-Key");
      std::string id;
      std::lock_guard keyed(keyed_create_mutex_);
      {
        std::lock_guard lock(mutex_);
        for (const Accepted& a : accepted_)
          if (a.network == "ads" && !key.empty() && a.key == key) id = a.id;
      }
      if (id.empty()) {
        id = "promo-" + next_id();
        Accepted promotion{"ads", body.value("campaign", ""), id, body.value("remote_id", ""), key,
                           0};
        promotion.record = body;
        record(promotion);
      }
      send_json(res, 200, {{"id", id}});
      if (accept_then_drop) drop(res);
    });
  }

  // ---- Control --------------------------------------------------------------------------
  void control(httplib::Server& server) {
    server.Get("/_netsim/posts", [this](const httplib::Request& req, httplib::Response& res) {
      std::string network = req.get_param_value("network");
      json list = json::array();
      std::lock_guard lock(mutex_);
      for (const Accepted& a : accepted_)
        if (network.empty() || a.network == network)
          list.push_back({{"network", a.network},
                          {"account", a.account},
                          {"id", a.id},
                          {"text", a.text},
                          {"key", a.key},
                          {"at_ms", a.at_ms},
                          {"record", a.record}});
      send_json(res, 200, list);
    });
    server.Get("/_netsim/requests", [this](const httplib::Request&, httplib::Response& res) {
      json list = json::array();
      std::lock_guard lock(mutex_);
      for (const RequestLog& r : requests_)
        list.push_back({{"network", r.network},
                        {"method", r.method},
                        {"path", r.path},
                        {"at_ms", r.at_ms},
                        {"status", r.status}});
      send_json(res, 200, list);
    });
    server.Get("/_netsim/moderation", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      send_json(res, 200, moderation_);
    });
    server.Get("/_netsim/stats", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      send_json(res, 200,
                {{"accepted", accepted_.size()},
                 {"requests", requests_.size()},
                 {"faults_injected", faults_injected_},
                 {"faults_by_kind", faults_by_kind_},
                 {"rate_limited", rate_limited_},
                 {"rate_limited_by_window", rate_limited_by_window_},
                 {"requests_before_reset", early_requests_},
                 {"sessions", sessions_},
                 {"max_in_flight", max_in_flight_},
                 {"max_in_flight_per_client", max_in_flight_per_client_}});
    });
    limits_control(server);
    // A mention of the account whose token is `to`, by `author`: a status and a notification.
    server.Post("/_netsim/mentions", [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || !body.contains("to") || !body.contains("author") ||
          !body.contains("text")) {
        send_json(res, 400, {{"error", "a mention needs to (a token), author and text"}});
        return;
      }
      const std::string to = body["to"], author = body["author"], text = body["text"];
      if (body.value("network", "mastodon") == "x") {
        const std::string tweet_id = next_id();
        json mention = {{"id", tweet_id},
                        {"text", "@" + to + " " + text},
                        {"author_id", user_id(author)},
                        {"public_metrics",
                         {{"like_count", body.value("favourites", 0)},
                          {"retweet_count", body.value("reblogs", 0)},
                          {"reply_count", 0},
                          {"quote_count", 0}}},
                        {"user",
                         {{"id", user_id(author)},
                          {"username", author},
                          {"public_metrics", {{"followers_count", body.value("followers", 0)}}}}}};
        std::lock_guard lock(mutex_);
        x_mentions_[to].push_back(mention);
        send_json(res, 200, {{"id", tweet_id}, {"status_id", tweet_id}});
        return;
      }
      const std::string status_id = next_id(), id = std::to_string(++notification_sequence_);
      json notification = {
          {"id", id},
          {"type", "mention"},
          {"created_at", herald::builtin::format_rfc3339(now_ms(), 3)},
          {"account",
           {{"id", user_id(author)},
            {"acct", author},
            {"followers_count", body.value("followers", 0)}}},
          {"status",
           {{"id", status_id},
            {"created_at", herald::builtin::format_rfc3339(now_ms(), 3)},
            {"url", "https://netsim.test/@" + author + "/" + status_id},
            {"content", "<p><span class=\"h-card\"><a href=\"https://netsim.test/@" + to +
                            "\" class=\"u-url mention\">@<span>" + to + "</span></a></span> " +
                            html_escape(text) + "</p>"},
            {"favourites_count", body.value("favourites", 0)},
            {"reblogs_count", body.value("reblogs", 0)},
            {"replies_count", 0}}}};
      std::lock_guard lock(mutex_);
      notifications_[to].push_back(notification);
      send_json(res, 200, {{"id", id}, {"status_id", status_id}});
    });
    server.Post("/_netsim/faults", [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_array()) body = json::array({body});
      std::vector<Fault> added;
      static const std::set<std::string> kinds = {"latency", "slow_create",   "5xx", "429",
                                                  "reset",   "drop_response", "auth"};
      for (const json& f : body) {
        Fault fault;
        if (!f.is_object() || !kinds.count(f.value("kind", ""))) {
          send_json(res, 400,
                    {{"error",
                      "each fault needs kind: latency, slow_create, 5xx, 429, reset, "
                      "drop_response or auth"}});
          return;
        }
        fault.kind = f.value("kind", "");
        fault.network = f.value("network", "*");
        fault.rate = f.value("rate", 1.0);
        fault.count = f.value("count", int64_t{-1});
        fault.latency_ms = f.value("latency_ms", int64_t{fault.kind == "slow_create" ? 1500 : 0});
        fault.retry_after_s = f.value("retry_after_s", int64_t{2});
        added.push_back(fault);
      }
      std::lock_guard lock(mutex_);
      faults_.insert(faults_.end(), added.begin(), added.end());
      send_json(res, 200, {{"faults", faults_.size()}});
    });
    server.Delete("/_netsim/faults", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      faults_.clear();
      limited_until_.clear();
      send_json(res, 200, {{"faults", 0}});
    });
  }

  /// The rate-limit windows (GET and POST /_netsim/limits), what they counted (GET
  /// /_netsim/windows) and the clock they follow (GET and POST /_netsim/clock).
  void limits_control(httplib::Server& server) {
    server.Get("/_netsim/limits", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard lock(mutex_);
      json windows = json::object();
      for (const auto& [name, w] : windows_)
        windows[name] = {{"network", w.network},
                         {"limit", w.limit},
                         {"seconds", static_cast<double>(w.window_ms) / 1000.0},
                         {"per", w.per_app ? "app" : "account"},
                         {"aligned", w.aligned},
                         {"counts", w.counts}};
      send_json(res, 200, {{"enforced", enforced_}, {"windows", windows}});
    });
    // {"enforced": false} turns every window off; {"windows": {"x.user": {"limit": 3,
    // "seconds": 10}}} sets a window (limit 0: not enforced), whose counts start afresh.
    server.Post("/_netsim/limits", [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body, nullptr, false);
      if (!body.is_object() || (body.contains("enforced") && !body["enforced"].is_boolean()) ||
          (body.contains("windows") && !body["windows"].is_object())) {
        send_json(res, 400,
                  {{"error",
                    "expected {\"enforced\": true|false, \"windows\": {NAME: {\"limit\": N, "
                    "\"seconds\": S}}}"}});
        return;
      }
      const json changes = body.contains("windows") ? body["windows"] : json::object();
      for (const auto& [name, change] : changes.items()) {
        int64_t limit = 0, window_ms = 0;
        {
          std::lock_guard lock(mutex_);
          auto found = windows_.find(name);
          if (found != windows_.end()) {
            limit = found->second.limit;
            window_ms = found->second.window_ms;
          }
        }
        if (!change.is_object() || (change.contains("limit") && !change["limit"].is_number()) ||
            (change.contains("seconds") && !change["seconds"].is_number())) {
          send_json(res, 400, {{"error", "a window is {\"limit\": N, \"seconds\": S}"}});
          return;
        }
        const double new_limit = change.value("limit", static_cast<double>(limit));
        const double seconds = change.value("seconds", static_cast<double>(window_ms) / 1000.0);
        std::string problem =
            !(new_limit >= 0 && new_limit <= 1e12) || !(seconds > 0 && seconds <= 1e9)
                ? "a window needs a limit of 0 or more and a length of more than 0 seconds"
                : set_window(name, static_cast<int64_t>(new_limit),
                             static_cast<int64_t>(std::llround(seconds * 1000.0)));
        if (!problem.empty()) {
          send_json(res, 400, {{"error", problem}});
          return;
        }
      }
      if (body.contains("enforced")) set_limits_enforced(body["enforced"].get<bool>());
      std::lock_guard lock(mutex_);
      send_json(res, 200, {{"enforced", enforced_}});
    });
    // Every window that counted a call: ?window=NAME for one window's, ?account=A for one
    // account's.
    server.Get("/_netsim/windows", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string window = req.get_param_value("window"),
                        account = req.get_param_value("account");
      json list = json::array();
      std::lock_guard lock(mutex_);
      for (const WindowCount& c : window_counts_)
        if ((window.empty() || c.window == window) && (account.empty() || c.account == account))
          list.push_back({{"window", c.window},
                          {"account", c.account},
                          {"start_ms", c.start_ms},
                          {"end_ms", c.end_ms},
                          {"limit", c.limit},
                          {"used", c.used},
                          {"refused", c.refused},
                          {"refused_again", c.refused_again}});
      send_json(res, 200, list);
    });
    server.Get("/_netsim/clock", [this](const httplib::Request&, httplib::Response& res) {
      send_json(res, 200, {{"now_ms", now_ms()}, {"virtual", virtual_now_ms_.load() != 0}});
    });
    // {"now_ms": T} sets the simulator's clock to T (it then moves only when told, and never
    // back); {"advance_ms": N} moves it on.
    server.Post("/_netsim/clock", [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body, nullptr, false);
      constexpr int64_t kMost = 100'000'000'000'000;  // ms: past the year 5000
      auto in_range = [&](const char* key, int64_t least) {
        return body.is_object() && body.contains(key) && body[key].is_number_integer() &&
               body[key].get<int64_t>() >= least && body[key].get<int64_t>() <= kMost;
      };
      const bool set = in_range("now_ms", 1), advance = in_range("advance_ms", 0);
      if (!set && !advance) {
        send_json(res, 400, {{"error", "expected {\"now_ms\": T} or {\"advance_ms\": N}"}});
        return;
      }
      int64_t current = virtual_now_ms_.load();
      const int64_t wanted =
          set ? body["now_ms"].get<int64_t>()
              : (current ? current : real_now_ms()) + body["advance_ms"].get<int64_t>();
      // The first setting may go anywhere; after it, time only moves on.
      while ((current == 0 || wanted > current) &&
             !virtual_now_ms_.compare_exchange_weak(current, wanted)) {
      }
      send_json(res, 200, {{"now_ms", now_ms()}, {"virtual", true}});
    });
  }

  std::mutex mutex_;
  // Held from the look for an idempotency key to the record of what the call made (taken
  // before mutex_), so that two calls with the same key, however they overlap, make one post,
  // as Mastodon's PostStatusService does with a Redis lock on the key.
  std::mutex keyed_create_mutex_;
  std::atomic<int64_t> virtual_now_ms_{0};  // 0: the real clock
  bool enforced_ = true;
  std::map<std::string, Window> windows_;
  std::deque<WindowCount> window_counts_;  // every window that counted a call, oldest first
  std::map<std::string, size_t> current_;  // window + account -> its newest count
  int64_t rate_limited_ = 0;               // 429s the windows sent
  std::map<std::string, int64_t> rate_limited_by_window_;
  std::mt19937_64 random_;
  int64_t bsky_ttl_ms_;
  std::string webhook_secret_;
  std::atomic<int64_t> sequence_{0};
  std::vector<Accepted> accepted_;
  std::vector<RequestLog> requests_;
  std::vector<Fault> faults_;
  std::map<std::string, int64_t> limited_until_;
  std::map<std::string, std::pair<json, int64_t>> mastodon_keys_;
  std::map<std::string, std::pair<std::string, int64_t>> access_;  // token -> did, expiry
  std::map<std::string, std::string> refresh_;                     // token -> handle
  std::map<std::string, json> bsky_records_;
  std::map<std::string, std::string> bsky_cids_;            // uri -> cid of the current version
  std::map<std::string, std::vector<json>> notifications_;  // token -> oldest first
  std::map<std::string, std::vector<json>> x_mentions_;     // token -> oldest first
  json moderation_ = json::array();                         // mutes, blocks and reports
  std::atomic<int64_t> notification_sequence_{100};
  int64_t faults_injected_ = 0;
  std::map<std::string, std::map<std::string, int64_t>> faults_by_kind_;  // kind -> network -> n
  int64_t early_requests_ = 0;
  int64_t sessions_ = 0;
  int64_t mastodon_max_characters_ = 500;
  int64_t in_flight_ = 0;
  int64_t max_in_flight_ = 0;
  int64_t max_in_flight_per_client_ = 0;
  std::map<std::string, int64_t> in_flight_by_client_;
};

}  // namespace

namespace herald::netsim {

std::shared_ptr<void> install_simulator(httplib::Server& server, uint64_t seed,
                                        int64_t bsky_access_ttl_s, std::string webhook_secret) {
  auto simulator = std::make_shared<Simulator>(seed, bsky_access_ttl_s, std::move(webhook_secret));
  simulator->install(server);
  return simulator;
}

}  // namespace herald::netsim

#ifndef HERALD_NETSIM_NO_MAIN
namespace {

/// Widens the accept queue of the socket listening on `port`. The httplib build listens with a
/// backlog of 5: more clients connecting at once than that lose their SYN and wait a second to
/// send it again, which a staging target must not add to every burst of parallel calls.
void widen_backlog(int port) {
  for (int fd = 3; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t size = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening) continue;
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) continue;
    const int bound = address.ss_family == AF_INET
                          ? ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port)
                          : ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
    if (bound == port) listen(fd, SOMAXCONN);
  }
}

httplib::Server* g_server = nullptr;
extern "C" void on_signal(int) {
  if (g_server) g_server->stop();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "herald-netsim: Mastodon, Bluesky, X, LinkedIn and webhook publishing endpoints "
      "on loopback, with fault injection. See docs/netsim.md.",
      "herald-netsim"};
  std::string host = "127.0.0.1";
  int port = 0;
  uint64_t seed = 1;
  int64_t bsky_ttl = 7200;
  int threads = 64;
  int64_t mastodon_max_characters = 500;
  std::string webhook_secret_env;
  std::string rate_limits = "on";
  std::vector<std::string> limits;
  app.add_option("--host", host, "address to listen on (default 127.0.0.1: loopback only)");
  app.add_option("--port", port, "port (default 0: any free port, printed on start)");
  app.add_option("--seed", seed, "seed for fault injection (default 1)");
  app.add_option("--bsky-access-ttl", bsky_ttl, "seconds a Bluesky access token lives (7200)");
  app.add_option("--mastodon-max-characters", mastodon_max_characters,
                 "the Mastodon instance's text limit in /api/v2/instance (default 500)")
      ->check(CLI::Range(int64_t{1}, int64_t{1'000'000}));
  app.add_option("--threads", threads, "requests served at once (default 64)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--webhook-secret-env", webhook_secret_env,
                 "environment variable holding the webhook HMAC secret (checked when set)");
  app.add_option("--rate-limits", rate_limits,
                 "on: each network's rate-limit windows answer 429 past their limits (default); "
                 "off: no limits and no rate-limit headers")
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--limit", limits,
                 "WINDOW=LIMIT/SECONDS sets a window, e.g. x.user=3/10 (LIMIT 0: not enforced); "
                 "repeatable. Windows: mastodon.api, mastodon.statuses, x.user, x.user_day, "
                 "x.app, x.reposts, bluesky.hour, bluesky.day, linkedin.member, linkedin.app");
  CLI11_PARSE(app, argc, argv);
  std::string secret;
  if (!webhook_secret_env.empty()) {
    const char* value = std::getenv(webhook_secret_env.c_str());
    if (!value) {
      std::cerr << "herald-netsim: environment variable " << webhook_secret_env << " is not set\n";
      return 2;
    }
    secret = value;
  }
  httplib::Server server;
  server.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<size_t>(threads));
  };
  Simulator simulator(seed, bsky_ttl, secret);
  simulator.set_mastodon_max_characters(mastodon_max_characters);
  simulator.set_limits_enforced(rate_limits == "on");
  for (const std::string& limit : limits) {
    const size_t equals = limit.find('='), slash = limit.find('/', equals);
    std::string problem = "expected WINDOW=LIMIT/SECONDS";
    if (equals != std::string::npos && slash != std::string::npos) {
      char* end = nullptr;
      const std::string count = limit.substr(equals + 1, slash - equals - 1),
                        length = limit.substr(slash + 1);
      const long long n = std::strtoll(count.c_str(), &end, 10);
      const bool count_ok = !count.empty() && *end == '\0';
      const double seconds = std::strtod(length.c_str(), &end);
      if (count_ok && !length.empty() && *end == '\0' && seconds > 0 && seconds <= 1e9)
        problem = simulator.set_window(limit.substr(0, equals), n,
                                       static_cast<int64_t>(std::llround(seconds * 1000.0)));
    }
    if (!problem.empty()) {
      std::cerr << "herald-netsim: --limit " << limit << ": " << problem << "\n";
      return 2;
    }
  }
  simulator.install(server);
  int bound =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    std::cerr << "herald-netsim: cannot listen on " << host << ":" << port << "\n";
    return 1;
  }
  widen_backlog(bound);
  g_server = &server;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::cout << "herald-netsim listening on http://" << host << ":" << bound << std::endl;
  server.listen_after_bind();
  return 0;
}
#endif  // HERALD_NETSIM_NO_MAIN
