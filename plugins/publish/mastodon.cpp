// Mastodon publisher: POST /api/v1/statuses with the post's idempotency key as Idempotency-Key,
// which the server honours for an hour: an unconfirmed post is looked for by making the same call
// again, which returns the status the first call created and creates nothing. (Reconciling
// later than that hour is not covered; Herald reconciles within the retry delay, minutes.)
// Credential: token.
#include "common/publisher.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace herald::builtin;
using nlohmann::json;

class Mastodon : public Publisher {
 public:
  static constexpr auto config_keys = with_publisher_keys(std::array<herald_config_key, 1>{{
      {"visibility", HERALD_TYPE_STRING, 0, "public", "public, unlisted, private or direct"},
  }});

  explicit Mastodon(herald::Config& config)
      : Publisher(config, "mastodon", "https://mastodon.social"),
        visibility_(config.string("visibility")) {
    if (visibility_ != "public" && visibility_ != "unlisted" && visibility_ != "private" &&
        visibility_ != "direct")
      throw std::invalid_argument(config.where("visibility") + ": unknown visibility '" +
                                  visibility_ + "'; use public, unlisted, private or direct");
  }

 protected:
  Attempt create(herald::Context& post, const std::string& base) override {
    HttpRequest r = request("POST", base + "/api/v1/statuses");
    r.headers = {{"Authorization", "Bearer " + credential(post, "token")},
                 {"Idempotency-Key", post.field("idempotency_key")},
                 {"Content-Type", "application/x-www-form-urlencoded"}};
    r.body = "status=" + form_encode(post.text()) + "&visibility=" + visibility_;
    HttpResponse response = http(r);
    Attempt a = classify(response, post.now_ms());
    if (a.failure != Failure::none) return a;
    return read_status(response);
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
      return {Earlier::State::unknown, "", "", again.reason};
    if (again.failure == Failure::auth) throw AuthError(again.reason);
    return {Earlier::State::unknown, "", "", again.reason};
  }

 private:
  static Attempt read_status(const HttpResponse& response) {
    json status = json::parse(response.body, nullptr, false);
    Attempt a;
    if (!status.is_object() || !status.contains("id")) {
      a.failure = Failure::unknown;
      a.reason = "mastodon answered without a status id";
      return a;
    }
    a.remote_id = status["id"].is_string() ? status["id"].get<std::string>() : status["id"].dump();
    a.url = status.value("url", status.value("uri", ""));
    return a;
  }

  std::string visibility_;
};

}  // namespace

HERALD_PLUGIN("mastodon", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Mastodon, HERALD_KIND_PUBLISH, "statuses",
                               "posts to a Mastodon instance, once (Idempotency-Key)"))
