// Mastodon publisher: POST /api/v1/statuses with the post's idempotency key as Idempotency-Key,
// which the server honours for an hour: an unconfirmed post is looked for by making the same call
// again, which returns the status the first call created and creates nothing. (Reconciling
// later than that hour is not covered; Herald reconciles within the retry delay, minutes.)
// The instance's text limit (GET /api/v2/instance, read once a day per instance) is reported to
// the host as the account's network_char_limit, which the draft steps then count against.
// A post tagged boost-of:ID is a boost: POST /api/v1/statuses/ID/reblog, which answers the same
// reblog when it is made again, so it is reconciled the same way.
// A post tagged reply-to:ID (a reply drafted for an inbound mention) answers that status
// (in_reply_to_id). Mentions of the account are fetched for `herald inbound fetch` from
// GET /api/v1/notifications?types[]=mention, page after page from where the last fetch stopped.
// An inbound step's mute, block or report is carried out on the author's account, found by
// GET /api/v1/accounts/lookup: POST /api/v1/accounts/ID/mute or /block (doing either again
// changes nothing), or POST /api/v1/reports with the mention's status and the rule as comment.
// Credential: token.
#include "common/publisher.hpp"
#include "publish/responses.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace herald::builtin;
using nlohmann::json;

class Mastodon : public Publisher {
 public:
  static constexpr auto config_keys = with_publisher_keys(std::array<herald_config_key, 2>{{
      {"visibility", HERALD_TYPE_STRING, 0, "public", "public, unlisted, private or direct"},
      settle_key("10"),
  }});

  explicit Mastodon(herald::Config& config)
      : Publisher(config, "mastodon", "https://mastodon.social"),
        visibility_(config.string("visibility")) {
    if (visibility_ != "public" && visibility_ != "unlisted" && visibility_ != "private" &&
        visibility_ != "direct")
      config.error("visibility", "unknown visibility '" + visibility_ +
                                     "'; use public, unlisted, private or direct");
  }

 protected:
  Attempt create(herald::Context& post, const std::string& base) override {
    // A boost (made by the crosspost step's boost mode): reblog the status instead of posting.
    for (const std::string& tag : post.tags())
      if (tag.rfind("boost-of:", 0) == 0) {
        HttpRequest r = request("POST", base + "/api/v1/statuses/" + tag.substr(9) + "/reblog");
        r.headers = {{"Authorization", "Bearer " + credential(post, "token")}};
        HttpResponse response = http(r);
        Attempt a = classify(response, post.now_ms());
        if (a.failure != Failure::none) return a;
        Attempt made = mastodon_api::status(response);
        made.window_spent_until_ms = a.window_spent_until_ms;
        return made;
      }
    report_limit(post, base);
    HttpRequest r = request("POST", base + "/api/v1/statuses");
    r.headers = {{"Authorization", "Bearer " + credential(post, "token")},
                 {"Idempotency-Key", post.field("idempotency_key")},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
    r.body = "status=" + form_encode(post.text()) + "&visibility=" + visibility_;
    for (const std::string& tag : post.tags())
      if (tag.rfind("reply-to:", 0) == 0) r.body += "&in_reply_to_id=" + form_encode(tag.substr(9));
    HttpResponse response = http(r);
    Attempt a = classify(response, post.now_ms());
    if (a.failure != Failure::none) return a;
    Attempt made = mastodon_api::status(response);
    made.window_spent_until_ms = a.window_spent_until_ms;
    return made;
  }

  Earlier find_earlier(herald::Context& post, const std::string& base) override {
    // Within the hour the server keeps the key, the same call returns the status it created
    // and creates nothing.
    Attempt again = create(post, base);
    if (again.failure == Failure::none)
      return {Earlier::State::found, again.remote_id, again.url, ""};
    if (again.failure == Failure::unknown || again.failure == Failure::transient)
      return {Earlier::State::unknown, "", "", again.reason};
    if (again.failure == Failure::rate_limited)
      return {Earlier::State::unknown, "", "", again.reason, again.retry_at_ms};
    if (again.failure == Failure::auth) throw AuthError(again.reason);
    return {Earlier::State::unknown, "", "", again.reason};
  }

 public:
  void moderate(herald::Context& account) override {
    const herald::ModerationRequest order = account.moderation();
    const std::string base = base_url(account);
    std::string token;
    try {
      token = credential(account, "token");
    } catch (const AuthError& missing) {
      throw herald::TransientError(missing.what());  // the token may come: try again later
    }
    std::string acct = order.author;
    if (!acct.empty() && acct.front() == '@') acct.erase(0, 1);
    HttpRequest lookup = request("GET", base + "/api/v1/accounts/lookup?acct=" + form_encode(acct));
    lookup.headers = {{"Authorization", "Bearer " + token}};
    HttpResponse found = http(lookup);
    require_success(found, "the lookup of " + order.author);
    const std::string id = mastodon_api::looked_up_id(found);
    if (id.empty()) throw std::runtime_error("mastodon answered the lookup without an id");
    HttpRequest r = request("POST", base + "/api/v1/accounts/" + id + "/" + order.action);
    r.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
    if (order.action == "report") {
      r.url = base + "/api/v1/reports";
      json report = {{"account_id", id}, {"comment", order.rule}, {"category", "other"}};
      if (!order.mention_id.empty()) report["status_ids"] = json::array({order.mention_id});
      r.body = report.dump();
    } else if (order.action != "mute" && order.action != "block") {
      throw herald::NotOffered("mastodon has no action '" + order.action + "'");
    }
    require_success(http(r), "the " + order.action + " of " + order.author);
  }

  void fetch_mentions(herald::Context& account) override {
    const std::string base = base_url(account);
    std::string cursor = account.field("mentions_cursor");
    // Forward from the cursor, 40 a page (the oldest first), at most 1,000 a fetch; the rest
    // come with the next fetch.
    for (int pages = 0; pages < 25; ++pages) {
      HttpRequest r =
          request("GET", base + "/api/v1/notifications?types[]=mention&limit=40&min_id=" +
                             form_encode(cursor.empty() ? "0" : cursor));
      r.headers = {{"Authorization", "Bearer " + credential(account, "token")}};
      bool end = false;
      for (const json& mention :
           mastodon_api::notifications_page(http(r), account.account(), cursor, end))
        account.emit("mention", mention.dump());
      if (end) break;
    }
    account.set_field("mentions_cursor", cursor);
  }

 private:
  struct Instance {
    int64_t max_characters = 0;  // 0: could not be read
    int64_t read_ms = 0;
  };

  /// Reports the instance's max_characters as the account's network_char_limit.
  void report_limit(herald::Context& post, const std::string& base) {
    const int64_t now = post.now_ms();
    Instance known;
    {
      std::lock_guard lock(instances_mutex_);
      known = instances_[base];
    }
    // Read again after a day, or after an hour when the last read failed.
    const int64_t max_age = known.max_characters > 0 ? 86'400'000 : 3'600'000;
    if (known.read_ms == 0 || now - known.read_ms >= max_age) {
      known = {mastodon_api::instance_limit(http(request("GET", base + "/api/v2/instance"))), now};
      if (known.max_characters == 0)
        post.info("could not read the text limit of " + base + " (/api/v2/instance); " +
                  "the draft steps keep the account's char_limit or Mastodon's 500");
      std::lock_guard lock(instances_mutex_);
      instances_[base] = known;
    }
    if (known.max_characters > 0 &&
        post.field("network_char_limit") != std::to_string(known.max_characters))
      post.set_field("network_char_limit", std::to_string(known.max_characters));
  }

  std::string visibility_;
  std::mutex instances_mutex_;
  std::map<std::string, Instance> instances_;  // base URL -> its limit
};

}  // namespace

HERALD_PLUGIN("mastodon", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Mastodon, HERALD_KIND_PUBLISH, "statuses",
                               "posts to a Mastodon instance, once (Idempotency-Key)"))
