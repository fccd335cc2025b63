// X publisher: POST /2/tweets with an OAuth 2.0 user token. X has no idempotency key, so an
// unconfirmed post is looked for among the account's recent posts by its exact text (X refuses
// duplicate text anyway). Credential: token.
#include "common/publisher.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace herald::builtin;
using nlohmann::json;

class X : public Publisher {
 public:
  static constexpr auto config_keys = with_publisher_keys(std::array<herald_config_key, 0>{});

  explicit X(herald::Config& config) : Publisher(config, "x", "https://api.x.com") {}

 protected:
  Attempt create(herald::Context& post, const std::string& base) override {
    HttpRequest r = request("POST", base + "/2/tweets");
    r.headers = {{"Authorization", "Bearer " + credential(post, "token")},
                 {"Content-Type", "application/json"}};
    r.body = json{{"text", post.text()}}.dump();
    HttpResponse response = http(r);
    Attempt a = classify(response, post.now_ms());
    if (a.failure != Failure::none) return a;
    json body = json::parse(response.body, nullptr, false);
    if (!body.is_object() || !body.contains("data") || !body["data"].contains("id")) {
      a.failure = Failure::unknown;
      a.reason = "x answered without a post id";
      return a;
    }
    a.remote_id = body["data"]["id"].get<std::string>();  // ids are strings: never parse them
    a.url = "https://x.com/i/status/" + a.remote_id;
    return a;
  }

  Earlier find_earlier(herald::Context& post, const std::string& base) override {
    const std::string token = credential(post, "token");
    HttpRequest me = request("GET", base + "/2/users/me");
    me.headers = {{"Authorization", "Bearer " + token}};
    HttpResponse who = http(me);
    if (who.status == 401) throw AuthError("x refused the credentials (HTTP 401)");
    json user = json::parse(who.body, nullptr, false);
    if (!who.complete() || who.status != 200 || !user.contains("data"))
      return {Earlier::State::unknown, "", "", "cannot read the account (" + who.error + ")"};
    const std::string id = user["data"].value("id", "");
    // Recent posts, newest first, 100 a page, back to 1,000.
    std::string page;
    for (int pages = 0; pages < 10; ++pages) {
      HttpRequest recent = request("GET", base + "/2/users/" + id + "/tweets?max_results=100" +
                                              (page.empty() ? "" : "&pagination_token=" + page));
      recent.headers = {{"Authorization", "Bearer " + token}};
      HttpResponse list = http(recent);
      json posts = json::parse(list.body, nullptr, false);
      if (!list.complete() || list.status != 200 || !posts.is_object())
        return {Earlier::State::unknown, "", "", "cannot read recent posts (" + list.error + ")"};
      for (const json& p : posts.value("data", json::array()))
        if (p.value("text", "") == post.text()) {
          std::string remote = p.value("id", "");
          return {Earlier::State::found, remote, "https://x.com/i/status/" + remote, ""};
        }
      if (!posts.contains("meta") || !posts["meta"].contains("next_token"))
        return {Earlier::State::absent, "", "", ""};
      page = posts["meta"]["next_token"].get<std::string>();
    }
    return {Earlier::State::unknown, "", "", "not among the account's 1,000 newest posts"};
  }
};

}  // namespace

HERALD_PLUGIN("x", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(X, HERALD_KIND_PUBLISH, "tweets",
                               "posts to X (POST /2/tweets), once: looks before it posts again"))
