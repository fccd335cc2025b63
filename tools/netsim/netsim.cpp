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
#include <csignal>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

namespace {

using herald::html_escape;
using nlohmann::json;
using Clock = std::chrono::system_clock;

int64_t now_ms() {
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
      : random_(seed),
        bsky_ttl_ms_(bsky_access_ttl_s * 1000),
        webhook_secret_(std::move(webhook_secret)) {}

  /// What /api/v2/instance gives as the instance's text limit.
  void set_mastodon_max_characters(int64_t n) { mastodon_max_characters_ = n; }

  void install(httplib::Server& server) {
    server.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      if (req.path.rfind("/_netsim", 0) == 0) return;
      std::lock_guard lock(mutex_);
      requests_.push_back({network_of(req.path), req.method, req.path, now_ms(), res.status});
    });
    // Calls in progress, overall and per client (token, or hook), for the stats.
    server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      if (req.path.rfind("/_netsim", 0) != 0) {
        std::lock_guard lock(mutex_);
        max_in_flight_ = std::max(max_in_flight_, ++in_flight_);
        if (std::string client = client_of(req); !client.empty())
          max_in_flight_per_client_ =
              std::max(max_in_flight_per_client_, ++in_flight_by_client_[client]);
      }
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

  /// Rate-limit headers as each network sends them.
  void limit_headers(httplib::Response& res, const std::string& network, int64_t remaining,
                     int64_t reset_ms) {
    const std::string reset_s = std::to_string(reset_ms / 1000);
    if (network == "mastodon") {
      res.set_header("X-RateLimit-Limit", "300");
      res.set_header("X-RateLimit-Remaining", std::to_string(remaining));
      res.set_header("X-RateLimit-Reset", herald::builtin::format_rfc3339(reset_ms, 6));
    } else if (network == "x") {
      res.set_header("x-rate-limit-limit", "100");
      res.set_header("x-rate-limit-remaining", std::to_string(remaining));
      res.set_header("x-rate-limit-reset", reset_s);
      res.set_header("x-app-limit-24hour-limit", "10000");
      res.set_header("x-app-limit-24hour-remaining", std::to_string(remaining ? 9000 : 0));
      res.set_header("x-app-limit-24hour-reset", reset_s);
    } else if (network == "bluesky") {
      res.set_header("RateLimit-Limit", "5000");
      res.set_header("RateLimit-Remaining", std::to_string(remaining));
      res.set_header("RateLimit-Reset", reset_s);
      res.set_header("RateLimit-Policy", "5000;w=3600");
    }
  }

  /// What a create call runs into, decided before the network's own handling. Returns true
  /// when the fault answered the call (the handler stops); `accept_then_drop` is set when the
  /// post must be accepted and then its response lost.
  bool inject(const std::string& network, const std::string& who, httplib::Response& res,
              bool& accept_then_drop) {
    const std::string limit_key = network + "\n" + who;
    Fault hit;
    {
      std::lock_guard lock(mutex_);
      // A limit announced by an earlier 429 holds until its reset time.
      auto blocked = limited_until_.find(limit_key);
      if (blocked != limited_until_.end() && now_ms() < blocked->second) {
        ++early_requests_;
        limit_headers(res, network, 0, blocked->second);
        too_many(res, network, blocked->second);
        return true;
      }
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
      limit_headers(res, network, 0, reset);
      too_many(res, network, reset);
      return true;
    }
    if (hit.kind == "reset") {
      drop(res);
      return true;
    }
    return false;
  }

  void too_many(httplib::Response& res, const std::string& network, int64_t reset_ms) {
    if (network == "linkedin" || network == "webhook")
      res.set_header("Retry-After", std::to_string((reset_ms - now_ms() + 999) / 1000));
    if (network == "x")
      send_json(res, 429, json{{"errors", {{{"code", 88}, {"message", "Rate limit exceeded"}}}}});
    else if (network == "bluesky")
      send_json(res, 429, json{{"error", "RateLimitExceeded"}, {"message", "Rate Limit Exceeded"}});
    else
      send_json(res, 429, json{{"error", "Too many requests"}});
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
      limit_headers(res, "mastodon", 299, now_ms() + 300'000);
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
      limit_headers(res, "x", 99, now_ms() + 900'000);
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
                  limit_headers(res, "x", 49, now_ms() + 900'000);
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
      bool accept_then_drop = false;
      if (inject("bluesky", did, res, accept_then_drop)) return;
      limit_headers(res, "bluesky", 4997, now_ms() + 3'600'000);
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
                 {"requests_before_reset", early_requests_},
                 {"sessions", sessions_},
                 {"max_in_flight", max_in_flight_},
                 {"max_in_flight_per_client", max_in_flight_per_client_}});
    });
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

  std::mutex mutex_;
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
