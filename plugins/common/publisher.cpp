#include "common/publisher.hpp"

#include "common/duration.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>

namespace herald::builtin {
namespace {

std::optional<int64_t> number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str()) return std::nullopt;
  return value;
}

/// Seconds as milliseconds, for a count of seconds a server sent: beyond ±10^12 s (some 31,000
/// years) it is held there, so that no sum of it with a time overflows.
int64_t seconds_ms(int64_t seconds) {
  constexpr int64_t kLimit = 1'000'000'000'000;
  return std::clamp(seconds, -kLimit, kLimit) * 1000;
}

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

/// "Wed, 21 Oct 2015 07:28:00 GMT" -> Unix ms; 0 when unreadable.
int64_t parse_http_date(const std::string& text) {
  std::tm tm{};
  if (!strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) return 0;
  if (tm.tm_year < 0 || tm.tm_year > 9999 - 1900) return 0;
  return (days_from_civil(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1),
                          static_cast<unsigned>(tm.tm_mday)) *
              86'400 +
          tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec) *
         1000;
}

}  // namespace

int64_t parse_iso8601_ms(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s) != 6) return 0;
  // Fields out of their ranges are not a time (and would overflow below).
  if (y < 0 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 24 || mi < 0 ||
      mi > 59 || s < 0 || s > 60)
    return 0;
  int64_t ms = (days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86'400 +
                h * 3600 + mi * 60 + s) *
               1000;
  size_t dot = text.find('.', 19);
  size_t zone = text.find_first_of("Z+-", 19);
  if (dot != std::string::npos && (zone == std::string::npos || dot < zone)) {
    std::string fraction =
        text.substr(dot + 1, (zone == std::string::npos ? text.size() : zone) - dot - 1);
    fraction = (fraction + "000").substr(0, 3);
    ms += std::strtol(fraction.c_str(), nullptr, 10);
  }
  if (zone != std::string::npos && text[zone] != 'Z') {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + zone + 1, "%d:%d", &oh, &om) >= 1) {
      if (oh < 0 || oh > 99 || om < 0 || om > 99) return 0;
      int64_t offset = (oh * 60 + om) * 60'000;
      ms -= text[zone] == '+' ? offset : -offset;
    }
  }
  return ms;
}

RateLimit parse_rate_limit(const HttpResponse& r, int64_t now_ms) {
  RateLimit out;
  auto consider = [&](const std::string& remaining_header, const std::string& reset_header,
                      bool iso) {
    std::optional<int64_t> remaining = number(r.header(remaining_header));
    std::string reset_text = r.header(reset_header);
    if (!remaining && reset_text.empty()) return;
    int64_t reset = 0;
    if (!reset_text.empty()) {
      if (iso || reset_text.find('T') != std::string::npos)
        reset = parse_iso8601_ms(reset_text);
      else if (auto seconds = number(reset_text))
        // Epoch seconds; a small number is a delay in seconds (some gateways send that).
        reset = *seconds > 1'000'000'000 ? seconds_ms(*seconds) : now_ms + seconds_ms(*seconds);
    }
    // The family closest to its limit decides.
    if (remaining && (!out.remaining || *remaining < *out.remaining)) {
      out.remaining = remaining;
      if (reset) out.reset_ms = reset;
    } else if (remaining && *remaining == *out.remaining) {
      out.reset_ms = std::max(out.reset_ms, reset);
    } else if (!out.remaining && reset) {
      out.reset_ms = std::max(out.reset_ms, reset);
    }
  };
  consider("x-rate-limit-remaining", "x-rate-limit-reset", false);              // X, per 15 minutes
  consider("x-app-limit-24hour-remaining", "x-app-limit-24hour-reset", false);  // X, app/day
  consider("x-user-limit-24hour-remaining", "x-user-limit-24hour-reset", false);  // X, user/day
  consider("x-ratelimit-remaining", "x-ratelimit-reset", true);  // Mastodon: ISO 8601 resets
  consider("ratelimit-remaining", "ratelimit-reset", false);     // Bluesky PDS: epoch seconds
  if (out.reset_ms == 0) {
    if (!r.header("ratelimit-policy").empty() && out.remaining && *out.remaining == 0) {
      // "5000;w=3600": without a reset, wait out the window.
      std::string policy = r.header("ratelimit-policy");
      size_t w = policy.find("w=");
      if (auto window = number(w == std::string::npos ? "" : policy.substr(w + 2)))
        out.reset_ms = now_ms + seconds_ms(*window);
    }
  }
  std::string retry_after = r.header("retry-after");
  if (!retry_after.empty()) {
    int64_t at = 0;
    if (auto seconds = number(retry_after); seconds && retry_after.find(',') == std::string::npos)
      at = now_ms + seconds_ms(*seconds);
    else
      at = parse_http_date(retry_after);
    out.reset_ms = std::max(out.reset_ms, at);
  }
  return out;
}

TokenBucket::TokenBucket(double per_minute, double burst)
    : per_ms_(per_minute / 60'000.0), burst_(std::max(1.0, burst)), tokens_(burst_) {}

int64_t TokenBucket::take(int64_t now_ms) {
  if (last_ms_ == 0) last_ms_ = now_ms;
  tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * per_ms_);
  last_ms_ = now_ms;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return 0;
  }
  return now_ms + static_cast<int64_t>(std::ceil((1.0 - tokens_) / per_ms_));
}

Publisher::Publisher(herald::Config& config, std::string network, std::string default_base_url)
    : network_(std::move(network)),
      default_base_url_(std::move(default_base_url)),
      configured_base_url_(config.string("base_url")),
      per_account_per_minute_(config.number("per_account_per_minute", 0)) {
  // Each mistake is recorded (config.error) and the rest still checked. Numbers are compared
  // before they are converted: a double out of int64_t's range has no conversion.
  const int64_t timeout_s = config.integer("timeout_seconds", 30);
  if (timeout_s < 1 || timeout_s > 86400)
    config.error("timeout_seconds", "timeout_seconds must be from 1 to 86400");
  else
    timeout_ms_ = timeout_s * 1000;
  const double settle_s = config.number("settle_seconds", 30);
  if (!(settle_s >= 0 && settle_s <= 86400))
    config.error("settle_seconds", "settle_seconds must be from 0 to 86400");
  else
    settle_ms_ = static_cast<int64_t>(settle_s * 1000);
  const double skew_s = config.number("clock_skew_seconds", 60);
  if (!(skew_s >= 0 && skew_s <= 86400))
    config.error("clock_skew_seconds", "clock_skew_seconds must be from 0 to 86400");
  else
    clock_skew_ms_ = static_cast<int64_t>(skew_s * 1000);
  if (per_account_per_minute_ < 0) config.error("per_account_per_minute", "cannot be negative");
  double per_app = config.number("per_app_per_minute", 0);
  if (per_app < 0) config.error("per_app_per_minute", "cannot be negative");
  if (per_app > 0) app_bucket_.emplace(per_app, per_app);
  while (!configured_base_url_.empty() && configured_base_url_.back() == '/')
    configured_base_url_.pop_back();
}

std::string Publisher::base_url(herald::Context& post) const {
  std::string endpoint = post.field("endpoint");
  if (!endpoint.empty()) return endpoint;
  return configured_base_url_.empty() ? default_base_url_ : configured_base_url_;
}

HttpRequest Publisher::request(const std::string& method, const std::string& url) const {
  HttpRequest r;
  r.method = method;
  r.url = url;
  r.timeout_ms = timeout_ms_;
  return r;
}

std::string Publisher::credential(herald::Context& post, const std::string& name) const {
  std::optional<std::string> value = post.secret(name);
  if (!value || value->empty())
    throw AuthError("account " + post.account() + " has no credential '" + name +
                    "' (add it under the account's credentials as ${env:..} or ${file:..})");
  return *value;
}

void Publisher::require_success(const HttpResponse& response, const std::string& what) const {
  if (response.complete() && response.status >= 200 && response.status < 300) return;
  const std::string answer =
      response.error.empty() ? "HTTP " + std::to_string(response.status) : response.error;
  if (!response.complete() || response.status == 429 || response.status >= 500)
    throw herald::TransientError(network_ + " did not answer " + what + " (" + answer + ")");
  if (response.status == 401 || response.status == 403)
    throw herald::TransientError(network_ + " refused the token " + what + " (" + answer + ")");
  std::string message = error_message(response);
  throw std::runtime_error(network_ + " refused " + what + " (" + answer +
                           (message.empty() ? "" : ": " + message) + ")");
}

std::string response_error_message(const HttpResponse& response) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
  std::string message;
  if (body.is_object()) {
    for (const char* key : {"detail", "message", "error_description", "error", "title"})
      if (body.contains(key) && body[key].is_string()) {
        message = body[key];
        break;
      }
    if (message.empty() && body.contains("errors") && body["errors"].is_array() &&
        !body["errors"].empty() && body["errors"][0].is_object())
      message = body["errors"][0].value("message", "");
  }
  if (message.empty()) message = response.body.substr(0, 200);
  return message;
}

Attempt classify_response(const std::string& network, const HttpResponse& r, int64_t now_ms) {
  Attempt a;
  const std::string status = "HTTP " + std::to_string(r.status);
  if (!r.complete()) {
    a.failure = r.maybe_sent ? Failure::unknown : Failure::transient;
    a.reason = network + (r.maybe_sent ? " may have received the post (" : " was not reached (") +
               r.error + ")";
    return a;
  }
  if (r.status >= 200 && r.status < 300) {
    // The window has no room left for another create (a Bluesky record costs 3 of its points):
    // the next one waits for the reset instead of meeting a 429.
    RateLimit limit = parse_rate_limit(r, now_ms);
    const int64_t cost = network == "bluesky" ? 3 : 1;
    if (limit.remaining && *limit.remaining < cost && limit.reset_ms > now_ms)
      a.window_spent_until_ms = limit.reset_ms;
    return a;
  }
  const std::string message = response_error_message(r);
  if (r.status == 429) {
    RateLimit limit = parse_rate_limit(r, now_ms);
    a.failure = Failure::rate_limited;
    // A reset already past (the headers count in whole seconds) means: try again shortly.
    a.retry_at_ms = limit.reset_ms > now_ms ? limit.reset_ms
                    : limit.reset_ms > 0    ? now_ms + 1'000
                                            : now_ms + 60'000;
    if (limit.reset_ms == 0 && network == "linkedin") {
      // LinkedIn's daily quotas reset at midnight UTC and it sends no headers.
      a.retry_at_ms = (now_ms / 86'400'000 + 1) * 86'400'000;
    }
    a.reason = network + " rate limit reached (" + status + ")";
    return a;
  }
  if (r.status == 401 || (r.status == 403 && network != "x")) {
    a.failure = Failure::auth;
    a.reason = network + " refused the credentials (" + status + ": " + message + ")";
    return a;
  }
  if (r.status >= 500) {
    // The server may have created the post before it failed.
    a.failure = Failure::unknown;
    a.reason = network + " answered " + status + " (" + message + ")";
    return a;
  }
  a.failure = r.status == 403 ? Failure::policy : Failure::permanent;
  a.reason = network + " refused the post (" + status + ": " + message + ")";
  return a;
}

std::string Publisher::error_message(const HttpResponse& response) {
  return response_error_message(response);
}

Attempt Publisher::classify(const HttpResponse& r, int64_t now_ms) const {
  return classify_response(network_, r, now_ms);
}

void Publisher::postpone(herald::Context& post, int64_t until_ms, const std::string& why) {
  // To the second: a person reads when the network lets the post through.
  post.wait_until(until_ms, why + "; postponed to " + format_rfc3339(until_ms, 0));
}

int64_t Publisher::attempts_began_ms(herald::Context& post) const {
  return std::stoll("0" + post.field("step_since")) - clock_skew_ms_;
}

Earlier Publisher::pick(herald::Context& post, const std::vector<Candidate>& matches) const {
  const int64_t since = attempts_began_ms(post);
  std::vector<const Candidate*> free;
  std::string claimed;
  for (const Candidate& c : matches) {
    if (c.created_ms > 0 && c.created_ms < since) continue;  // older than any of our attempts
    int64_t owner = 0;
    try {
      owner = post.remote_id_owner(c.remote_id);
    } catch (const std::runtime_error& e) {
      return {Earlier::State::unknown, "", "", e.what(), 0};
    }
    if (owner) {
      claimed += (claimed.empty() ? "" : ", ") + c.remote_id + " is post " + std::to_string(owner);
      continue;
    }
    free.push_back(&c);
  }
  if (free.size() == 1 && claimed.empty())
    return {Earlier::State::found, free[0]->remote_id, free[0]->url, "", 0};
  if (free.empty() && claimed.empty()) return {Earlier::State::absent, "", "", "", 0};
  std::string why = network_ + " has ";
  if (free.size() > 1) {
    why += std::to_string(free.size()) + " posts with this text made since " +
           format_instant(since) + " (";
    for (size_t i = 0; i < free.size(); ++i) why += (i ? ", " : "") + free[i]->remote_id;
    why += ")";
  }
  if (!claimed.empty())
    why += std::string(free.size() > 1 ? "; " : "") + "a post with this text that is already " +
           "another post's (" + claimed + ")" +
           (free.size() == 1 ? " besides " + free[0]->remote_id : "");
  return {Earlier::State::ambiguous, "", "", why, 0};
}

namespace {
// Kept in the post's note while an earlier attempt may have reached the network, so that the
// post is looked for first however it comes back (after a wait for a rate limit, or a hold).
constexpr const char* kMayExist = "an earlier attempt may have reached the network";
// The note after a look-up that did not find the post: it is looked for once more, a settle
// time later, before anything is sent again (a slow create may still be under way).
constexpr const char* kNotFoundAt = "not found on the network at ";
}  // namespace

void Publisher::run(herald::Context& post) {
  const int64_t now = post.now_ms();
  const std::string account = post.account();
  const std::string note = post.field("note");
  const bool looked_once = note.rfind(kNotFoundAt, 0) == 0;
  const bool may_exist =
      post.field("claimed_from") == "unconfirmed" || note == kMayExist || looked_once;
  if (may_exist) {
    // Whatever happens in this call, the post stays unconfirmed until it is settled.
    post.set_field("outcome_unknown", "1");
    if (!looked_once) post.set_field("note", kMayExist);
  }
  std::string retried_by;
  for (const herald::Event& e : post.events())
    if (e.type == "retry") retried_by = e.actor;
  {
    std::lock_guard lock(mutex_);
    auto refused = refused_.find(account);
    if (refused != refused_.end()) {
      if (retried_by.empty()) {
        post.expect("retry", "");
        post.hold(refused->second +
                  "; this account's posts wait until the credentials are fixed "
                  "and someone runs `herald retry`");
        return;
      }
      refused_.erase(refused);
    }
    int64_t until = std::stoll("0" + post.field("account_limited_until"));
    auto limited = limited_until_.find(account);
    if (limited != limited_until_.end()) until = std::max(until, limited->second);
    if (until > now) {
      postpone(post, until, network_ + " rate limit of account " + account);
      return;
    }
  }
  const std::string base = base_url(post);
  try {
    if (may_exist) {
      // An earlier attempt may have reached the network: look before creating anything.
      // Looking counts no attempt and honours rate limits; until it is settled the post stays
      // unconfirmed, never failed.
      Earlier earlier;
      try {
        earlier = find_earlier(post, base);
      } catch (const herald::TransientError& e) {
        earlier = {Earlier::State::unknown, "", "", e.what(), 0};
      }
      switch (earlier.state) {
        case Earlier::State::found:
          post.set_field("remote_id", earlier.remote_id);
          post.set_field("note", earlier.url);
          post.set_field("outcome_unknown", "0");
          post.advance("found on " + network_ + " from an earlier attempt (" + earlier.remote_id +
                       "); not posted again");
          return;
        case Earlier::State::ambiguous:
          post.expect("retry", "");
          post.hold("cannot tell which post on " + network_ + " is this one: " + earlier.reason +
                    "; it stays unconfirmed: check the account, then `herald retry` to look "
                    "again (nothing is posted while a match is ambiguous)");
          return;
        case Earlier::State::unknown: {
          if (earlier.retry_at_ms > now) {
            std::lock_guard lock(mutex_);
            limited_until_[account] = earlier.retry_at_ms;
            post.set_field("account_limited_until", std::to_string(earlier.retry_at_ms));
            postpone(post, earlier.retry_at_ms,
                     "cannot tell yet whether " + network_ + " has the post: " + earlier.reason);
            return;
          }
          const int64_t at = post.now_ms() + std::max<int64_t>(settle_ms_, 1'000);
          post.wait_until(
              at, "cannot tell yet whether " + network_ + " has the post: " + earlier.reason +
                      "; it stays unconfirmed and is looked for again at " + format_instant(at));
          return;
        }
        case Earlier::State::absent: {
          const int64_t first_look =
              looked_once ? std::stoll("0" + note.substr(std::strlen(kNotFoundAt))) : 0;
          if (!looked_once || now - first_look < settle_ms_) {
            // A create the network finishes late shows up later: look once more before
            // posting again.
            const int64_t at = (looked_once ? first_look : now) + settle_ms_;
            if (!looked_once) post.set_field("note", kNotFoundAt + std::to_string(now));
            post.wait_until(at, "not found on " + network_ + " yet; looked for once more at " +
                                    format_instant(at) + " before posting it again");
            return;
          }
          // Looked twice, a settle time apart: it is not there. Settled.
          post.set_field("note", "");
          post.set_field("outcome_unknown", "0");
          const int64_t attempts = std::stoll("0" + post.field("attempt"));
          const int64_t most = std::stoll("0" + post.field("max_attempts"));
          if (most > 0 && attempts >= most) {
            post.fail("gave up after " + std::to_string(attempts) + " attempts; " + network_ +
                      " does not have the post (looked twice, " + std::to_string(settle_ms_) +
                      " ms apart)");
            return;
          }
          // Posted in a call of its own, after this is stored: a worker that dies during that
          // call leaves the post to be looked for twice again, not once (the note of the first
          // look would otherwise still be there).
          post.wait_until(now, network_ + " does not have the post (looked twice, " +
                                   std::to_string(settle_ms_) + " ms apart); posting it again");
          return;
        }
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (per_account_per_minute_ > 0) {
        auto bucket =
            account_buckets_.try_emplace(account, per_account_per_minute_, per_account_per_minute_)
                .first;
        if (int64_t at = bucket->second.take(now)) {
          postpone(post, at, "account " + account + " is at its per_account_per_minute");
          return;
        }
      }
      if (app_bucket_)
        if (int64_t at = app_bucket_->take(now)) {
          postpone(post, at, "the app is at its per_app_per_minute");
          return;
        }
    }
    Attempt attempt = create(post, base);
    switch (attempt.failure) {
      case Failure::none:
        if (attempt.window_spent_until_ms > now) {
          std::lock_guard lock(mutex_);
          limited_until_[account] =
              std::max(limited_until_[account], attempt.window_spent_until_ms);
          post.set_field("account_limited_until", std::to_string(attempt.window_spent_until_ms));
        }
        post.set_field("remote_id", attempt.remote_id);
        if (!attempt.url.empty()) post.set_field("note", attempt.url);
        post.advance("published on " + network_ + " as " + attempt.remote_id);
        return;
      case Failure::rate_limited: {
        std::lock_guard lock(mutex_);
        limited_until_[account] = attempt.retry_at_ms;
        // The host keeps it for every worker and every restart.
        post.set_field("account_limited_until", std::to_string(attempt.retry_at_ms));
        postpone(post, attempt.retry_at_ms, attempt.reason);
        return;
      }
      case Failure::transient:
        post.retry(attempt.retry_at_ms, attempt.reason + "; nothing was sent, trying again");
        return;
      case Failure::unknown: {
        // Counted as an attempt; looked for a settle time later (a slow create may still be
        // under way), and never failed while it may be on the network.
        post.set_field("note", kMayExist);
        post.set_field("outcome_unknown", "1");
        const int64_t at = post.now_ms() + settle_ms_;
        post.retry(at, attempt.reason + "; looked for on " + network_ + " at " +
                           format_instant(at) + " before any new attempt");
        return;
      }
      case Failure::auth: throw AuthError(attempt.reason);
      case Failure::permanent:
      case Failure::policy: post.fail(attempt.reason); return;
    }
  } catch (const AuthError& e) {
    std::lock_guard lock(mutex_);
    refused_[account] = e.what();
    post.expect("retry", "");
    post.hold(std::string(e.what()) +
              "; this account's posts wait until the credentials are fixed and someone runs "
              "`herald retry`");
  }
}

}  // namespace herald::builtin
