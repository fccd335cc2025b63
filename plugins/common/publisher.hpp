// What every network publisher shares: the publish protocol of docs/publishing.md. A post that
// a worker may already have sent (`unconfirmed`) is looked for on the network before anything is
// created; each outcome is classified (transient, unknown, rate-limited, auth, permanent,
// policy); rate limits from any of the networks' header families, and token buckets per account
// and per app, postpone work instead of failing it; an account whose credentials are refused
// stops there instead of retrying.
#pragma once

#include "common/http.hpp"

#include <herald/plugin.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace herald::builtin {

/// When a network lets the next call through, read from whichever header family it sends
/// (x-rate-limit-*, x-app-limit-24hour-*, x-user-limit-24hour-*, X-RateLimit-* with ISO 8601
/// resets, RateLimit-* with RateLimit-Policy, Retry-After in seconds or as an HTTP date).
/// `reset_ms` is 0 when the response says nothing about it.
struct RateLimit {
  std::optional<int64_t> remaining;
  int64_t reset_ms = 0;
};
RateLimit parse_rate_limit(const HttpResponse& response, int64_t now_ms);

/// "2019-12-05T12:35:00.000000Z" (or with an offset) -> Unix ms; 0 when unreadable.
int64_t parse_iso8601_ms(const std::string& text);

/// A token bucket: `per_minute` tokens a minute, up to `burst`.
class TokenBucket {
 public:
  TokenBucket(double per_minute, double burst);
  /// Takes a token and returns 0, or returns when the next one will be there.
  int64_t take(int64_t now_ms);

 private:
  double per_ms_;
  double burst_;
  double tokens_;
  int64_t last_ms_ = 0;
};

enum class Failure { none, transient, unknown, rate_limited, auth, permanent, policy };

/// What one create call came to.
struct Attempt {
  Failure failure = Failure::none;
  std::string remote_id;
  std::string url;
  int64_t retry_at_ms = 0;  // rate_limited and transient: not before then
  std::string reason;
  // A call that went through but left the network's rate-limit window without room for another
  // (its headers said so): the account's next call waits until then.
  int64_t window_spent_until_ms = 0;
};

/// What looking for an earlier attempt found.
struct Earlier {
  // ambiguous: more than one post could be it, or the one found is another post's; a person
  // must decide.
  enum class State { found, absent, unknown, ambiguous } state = State::unknown;
  std::string remote_id;
  std::string url;
  std::string reason;       // why it could not tell
  int64_t retry_at_ms = 0;  // unknown because of a rate limit: not before then
};

/// A post found on the network by its text (X, LinkedIn: networks without an idempotency key).
struct Candidate {
  std::string remote_id;
  std::string url;
  int64_t created_ms = 0;  // when the network says it was made; 0 when it does not say
};

/// The usual reading of a create call's response on `network`: 2xx is for the caller to read
/// (failure none), the rest is classified.
Attempt classify_response(const std::string& network, const HttpResponse& response, int64_t now_ms);
/// The network's error message in a response body ("error", "message", "detail", ...), else the
/// body's first 200 bytes.
std::string response_error_message(const HttpResponse& response);

/// The settings every publisher has.
inline constexpr std::array<herald_config_key, 4> kPublisherKeys{{
    {"base_url", HERALD_TYPE_STRING, 0, "",
     "the network's API (default: the public service; an account's `endpoint` wins)"},
    {"timeout_seconds", HERALD_TYPE_INT, 0, "30", "how long one call may take"},
    {"per_account_per_minute", HERALD_TYPE_DOUBLE, 0, "0",
     "most create calls per account per minute (0: only the network's own limits)"},
    {"per_app_per_minute", HERALD_TYPE_DOUBLE, 0, "0",
     "most create calls per minute for the whole app (0: only the network's own limits)"},
}};

/// The reconciling settings, with a network's own default settle time (docs/publishing.md).
constexpr herald_config_key settle_key(const char* default_seconds) {
  return {"settle_seconds", HERALD_TYPE_DOUBLE, 0, default_seconds,
          "after a call whose outcome is unknown, how long to wait before looking for the post "
          "on the network, and again before posting it anew"};
}
/// For networks whose earlier posts are found by their text (X, LinkedIn).
inline constexpr herald_config_key kClockSkewKey{
    "clock_skew_seconds", HERALD_TYPE_DOUBLE, 0, "60",
    "how far the network's clock may be from Herald's when a post found by its text is checked "
    "to be newer than the post's attempts"};

/// kPublisherKeys followed by a publisher's own keys.
template <size_t N>
constexpr std::array<herald_config_key, kPublisherKeys.size() + N> with_publisher_keys(
    const std::array<herald_config_key, N>& own) {
  std::array<herald_config_key, kPublisherKeys.size() + N> out{};
  for (size_t i = 0; i < kPublisherKeys.size(); ++i) out[i] = kPublisherKeys[i];
  for (size_t i = 0; i < N; ++i) out[kPublisherKeys.size() + i] = own[i];
  return out;
}

class Publisher : public herald::Step {
 public:
  Publisher(herald::Config& config, std::string network, std::string default_base_url);
  void run(herald::Context& post) final;

 protected:
  /// Creates the post on the network.
  virtual Attempt create(herald::Context& post, const std::string& base_url) = 0;
  /// Looks for a post an earlier attempt may have created.
  virtual Earlier find_earlier(herald::Context& post, const std::string& base_url) = 0;

  /// The usual reading of a create call's response: 2xx is for the caller to read, the rest
  /// is classified. `created` is what the caller makes of a 2xx.
  Attempt classify(const HttpResponse& response, int64_t now_ms) const;
  /// A credential of the post's account; throws (auth) when it is missing.
  std::string credential(herald::Context& post, const std::string& name) const;
  /// The network's error message in a response body ("error", "message", "detail", ...).
  static std::string error_message(const HttpResponse& response);

  HttpRequest request(const std::string& method, const std::string& url) const;
  /// For calls outside publishing (mentions, moderation): a 2xx passes; no answer, 429 and
  /// 5xx throw herald::TransientError (try again later), a refused token too; other answers
  /// throw std::runtime_error with the network's message. `what` says what was being done.
  void require_success(const HttpResponse& response, const std::string& what) const;

  const std::string network_;

  /// The account's endpoint, else the configured base_url, else the network's own.
  std::string base_url(herald::Context& post) const;

  /// The earliest time a post made by one of this post's attempts can carry: when the post
  /// reached its publish step, less the allowed clock skew between Herald and the network.
  int64_t attempts_began_ms(herald::Context& post) const;
  /// Decides a look-up by text among `matches` (same account, same text, made no earlier than
  /// attempts_began_ms): one that no other post has claimed is found; none is absent; anything
  /// else (two of them, or one another post already has) is ambiguous.
  Earlier pick(herald::Context& post, const std::vector<Candidate>& matches) const;

 private:
  void postpone(herald::Context& post, int64_t until_ms, const std::string& why);

  std::string default_base_url_;
  std::string configured_base_url_;
  int64_t timeout_ms_ = 30'000;
  int64_t settle_ms_ = 30'000;      // how long after an unknown outcome the network is looked at
  int64_t clock_skew_ms_ = 60'000;  // how far the network's clock may be behind Herald's
  double per_account_per_minute_;
  std::optional<TokenBucket> app_bucket_;
  std::map<std::string, TokenBucket> account_buckets_;
  std::map<std::string, int64_t> limited_until_;  // account -> the network's reset time
  std::map<std::string, std::string> refused_;    // account -> why its credentials failed
  std::mutex mutex_;
};

/// Thrown by a publisher's code when the account's credentials are missing or refused.
class AuthError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace herald::builtin
