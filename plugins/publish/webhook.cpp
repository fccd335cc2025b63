// Webhook publisher: POSTs the post as JSON to the account's endpoint, signed with HMAC-SHA256
// (X-Herald-Signature: sha256=HEX over the body) and carrying the post's idempotency key
// (X-Herald-Idempotency-Key), by which the receiver must recognise a repeat. An unconfirmed post
// is sent again with the same key. Credential: signing_key.
#include "common/hmac.hpp"
#include "common/publisher.hpp"
#include "publish/responses.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace herald::builtin;
using nlohmann::json;

class Webhook : public Publisher {
 public:
  static constexpr auto config_keys =
      with_publisher_keys(std::array<herald_config_key, 1>{{settle_key("10")}});

  explicit Webhook(herald::Config& config) : Publisher(config, "webhook", "") {}

 protected:
  Attempt create(herald::Context& post, const std::string& base) override {
    if (base.empty())
      throw std::invalid_argument("account " + post.account() +
                                  " has no endpoint: give it `endpoint: https://...`");
    const std::string body = json{{"id", post.id()},
                                  {"account", post.account()},
                                  {"handle", post.field("handle")},
                                  {"author", post.author()},
                                  {"text", post.text()},
                                  {"tags", post.tags()},
                                  {"idempotency_key", post.field("idempotency_key")}}
                                 .dump();
    HttpRequest r = request("POST", base);
    r.headers = {
        {"Content-Type", "application/json"},
        {"X-Herald-Idempotency-Key", post.field("idempotency_key")},
        {"X-Herald-Signature", "sha256=" + hmac_sha256_hex(credential(post, "signing_key"), body)}};
    r.body = body;
    return webhook_api::created(http(r), post.now_ms(), post.field("idempotency_key"));
  }

  Earlier find_earlier(herald::Context& post, const std::string& base) override {
    // The receiver recognises the key: sending again is how to ask.
    Attempt again = create(post, base);
    if (again.failure == Failure::none) return {Earlier::State::found, again.remote_id, "", ""};
    if (again.failure == Failure::auth) throw AuthError(again.reason);
    return {Earlier::State::unknown, "", "", again.reason,
            again.failure == Failure::rate_limited ? again.retry_at_ms : 0};
  }
};

}  // namespace

HERALD_PLUGIN("webhook", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Webhook, HERALD_KIND_PUBLISH, "post",
                               "POSTs each post as signed JSON to the account's endpoint"))
