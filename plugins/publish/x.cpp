// X publisher: POST /2/tweets with an OAuth 2.0 user token. X has no idempotency key, so an
// unconfirmed post is looked for among the account's recent posts by its exact text, made since
// the post reached its publish step (less clock_skew_seconds) and not already another post's;
// two such posts, or one that is another post's, leave it unconfirmed for a person. Credential:
// token.
// A post tagged boost-of:ID (made by the crosspost step's boost mode) is a repost: POST
// /2/users/ME/retweets {tweet_id}. X ignores a second repost of the same post, and an unconfirmed
// one is looked for in GET /2/tweets/ID/retweeted_by.
// A post tagged reply-to:ID (a reply drafted for an inbound mention) answers that post
// (reply.in_reply_to_tweet_id). Mentions of the account are fetched for `herald inbound fetch`
// from GET /2/users/ME/mentions, everything after the last fetch (since_id).
// An inbound step's mute or block is carried out with POST /2/users/ME/muting or /blocking
// {target_user_id} (the author found by GET /2/users/by/username/NAME); X's API cannot report.
#include "common/publisher.hpp"
#include "publish/responses.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace {

using namespace herald::builtin;
using nlohmann::json;

class X : public Publisher {
 public:
  static constexpr auto config_keys =
      with_publisher_keys(std::array<herald_config_key, 2>{{settle_key("30"), kClockSkewKey}});

  explicit X(herald::Config& config) : Publisher(config, "x", "https://api.x.com") {}

 protected:
  Attempt create(herald::Context& post, const std::string& base) override {
    if (std::string original = repost_of(post); !original.empty())
      return repost(post, base, original);
    HttpRequest r = request("POST", base + "/2/tweets");
    r.headers = {{"Authorization", "Bearer " + credential(post, "token")},
                 {"Content-Type", "application/json"}};
    json payload = {{"text", post.text()}};
    for (const std::string& tag : post.tags())
      if (tag.rfind("reply-to:", 0) == 0)
        payload["reply"] = {{"in_reply_to_tweet_id", tag.substr(9)}};
    r.body = payload.dump();
    return x_api::created(http(r), post.now_ms());
  }

  Earlier find_earlier(herald::Context& post, const std::string& base) override {
    const std::string token = credential(post, "token");
    std::string id;
    if (std::string problem = user_id(post, base, id); !problem.empty())
      return {Earlier::State::unknown, "", "", problem};
    if (std::string original = repost_of(post); !original.empty())
      return find_repost(post, base, original, id);
    // Recent posts, newest first, 100 a page, back to those older than any of this post's
    // attempts (at most 1,000): every post with exactly this text made since then is a match.
    const int64_t since = attempts_began_ms(post);
    std::vector<Candidate> matches;
    std::string page;
    for (int pages = 0; pages < 10; ++pages) {
      HttpRequest recent = request("GET", base + "/2/users/" + id +
                                              "/tweets?max_results=100&tweet.fields=created_at" +
                                              (page.empty() ? "" : "&pagination_token=" + page));
      recent.headers = {{"Authorization", "Bearer " + token}};
      HttpResponse answer = http(recent);
      if (answer.status == 429) {
        Attempt limited = classify(answer, post.now_ms());
        return {Earlier::State::unknown, "", "", limited.reason, limited.retry_at_ms};
      }
      int64_t oldest = 0;
      std::string next;
      if (std::string problem = x_api::matches_page(answer, post.text(), matches, oldest, next);
          !problem.empty())
        return {Earlier::State::unknown, "", "", problem, 0};
      if (next.empty() || (oldest > 0 && oldest < since)) return pick(post, matches);
      page = next;
    }
    return {Earlier::State::unknown, "", "", "not among the account's 1,000 newest posts", 0};
  }

 public:
  void fetch_mentions(herald::Context& account) override {
    const std::string base = base_url(account);
    std::string me;
    if (std::string problem = user_id(account, base, me); !problem.empty())
      throw herald::TransientError(problem);
    const std::string since = account.field("mentions_cursor");
    std::string newest = since, page;
    std::vector<json> found;  // newest first
    // Everything after the cursor, 100 a page, newest first; the cursor moves to the newest.
    for (int pages = 0; pages < 50; ++pages) {
      HttpRequest r = request(
          "GET", base + "/2/users/" + me +
                     "/mentions?max_results=100&expansions=author_id&user.fields=public_metrics"
                     "&tweet.fields=public_metrics,created_at" +
                     (since.empty() ? "" : "&since_id=" + since) +
                     (page.empty() ? "" : "&pagination_token=" + page));
      r.headers = {{"Authorization", "Bearer " + credential(account, "token")}};
      std::string next;
      std::vector<json> mentions = x_api::mentions_page(http(r), account.account(), newest, next);
      found.insert(found.end(), mentions.begin(), mentions.end());
      if (next.empty()) break;
      page = next;
    }
    for (auto it = found.rbegin(); it != found.rend(); ++it) account.emit("mention", it->dump());
    account.set_field("mentions_cursor", newest);
  }

 private:
  /// The id of the post to repost (tag boost-of:ID), or "".
  static std::string repost_of(herald::Context& post) {
    for (const std::string& tag : post.tags())
      if (tag.rfind("boost-of:", 0) == 0) return tag.substr(9);
    return "";
  }

  void moderate(herald::Context& account) override {
    const herald::ModerationRequest order = account.moderation();
    if (order.action != "mute" && order.action != "block")
      throw herald::NotOffered("X's API has no way to " + order.action +
                               " an account; do it on x.com");
    const std::string base = base_url(account);
    std::string me;
    try {
      if (std::string problem = user_id(account, base, me); !problem.empty())
        throw herald::TransientError(problem);
    } catch (const AuthError& refused) {
      throw herald::TransientError(refused.what());  // a new token may come: try again later
    }
    std::string username = order.author;
    if (!username.empty() && username.front() == '@') username.erase(0, 1);
    HttpRequest lookup = request("GET", base + "/2/users/by/username/" + form_encode(username));
    lookup.headers = {{"Authorization", "Bearer " + credential(account, "token")}};
    HttpResponse found = http(lookup);
    require_success(found, "the lookup of " + order.author);
    const std::string id = x_api::looked_up_id(found);
    if (id.empty()) throw std::runtime_error("x has no user " + order.author);
    HttpRequest r = request(
        "POST", base + "/2/users/" + me + (order.action == "mute" ? "/muting" : "/blocking"));
    r.headers = {{"Authorization", "Bearer " + credential(account, "token")},
                 {"Content-Type", "application/json"}};
    r.body = json{{"target_user_id", id}}.dump();
    require_success(http(r), "the " + order.action + " of " + order.author);
  }

  /// The account's user id (GET /2/users/me); returns what went wrong, or "".
  std::string user_id(herald::Context& post, const std::string& base, std::string& id) {
    HttpRequest me = request("GET", base + "/2/users/me");
    me.headers = {{"Authorization", "Bearer " + credential(post, "token")}};
    return x_api::user_id(http(me), id);
  }

  Attempt repost(herald::Context& post, const std::string& base, const std::string& original) {
    std::string me;
    if (std::string problem = user_id(post, base, me); !problem.empty())
      return {Failure::transient, "", "", 0, problem};
    HttpRequest r = request("POST", base + "/2/users/" + me + "/retweets");
    r.headers = {{"Authorization", "Bearer " + credential(post, "token")},
                 {"Content-Type", "application/json"}};
    r.body = json{{"tweet_id", original}}.dump();
    return x_api::reposted(http(r), post.now_ms(), original);
  }

  Earlier find_repost(herald::Context& post, const std::string& base, const std::string& original,
                      const std::string& me) {
    // Who reposted it, 100 a page, back to 1,000.
    std::string page;
    for (int pages = 0; pages < 10; ++pages) {
      HttpRequest r =
          request("GET", base + "/2/tweets/" + original + "/retweeted_by?max_results=100" +
                             (page.empty() ? "" : "&pagination_token=" + page));
      r.headers = {{"Authorization", "Bearer " + credential(post, "token")}};
      if (std::optional<Earlier> found = x_api::reposters_page(http(r), me, original, page))
        return *found;
    }
    return {Earlier::State::unknown, "", "", "not among the post's 1,000 newest reposts"};
  }
};

}  // namespace

HERALD_PLUGIN("x", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(X, HERALD_KIND_PUBLISH, "tweets",
                               "posts to X (POST /2/tweets), once: looks before it posts again"))
