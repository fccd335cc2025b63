// The built-in notifiers: how a step such as `advocacy` reaches a person. A company replaces
// them with its own notify plugin (chat, e-mail, an HR system) and names it under `notifiers:`.
//   notify/outbox   one JSON line per message in a file, at most once per key
//   notify/webhook  one POST per message, with the key in X-Herald-Idempotency-Key
#include <herald/plugin.hpp>

#include "common/http.hpp"
#include "common/jsonl_file.hpp"

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

/// The message as JSON with `key` and `to` added; a message that is not a JSON object is kept as
/// text under "message".
std::string record_of(const herald::Notification& note) {
  json body = json::parse(note.message, nullptr, false);
  if (!body.is_object()) body = json{{"message", note.message}};
  body["notify_key"] = note.key;
  body["to"] = note.to;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

class Outbox : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"directory", HERALD_TYPE_PATH, 0, "outbox", "the folder of the file"},
      {"file", HERALD_TYPE_STRING, 0, "share-requests.jsonl", "the file, one message a line"},
  }};

  explicit Outbox(herald::Config& config)
      : path_(config.string("directory") + "/" + config.string("file")) {
    if (config.string("file").find('/') != std::string::npos)
      config.error("file", "a file name, not a path (use directory for the folder)");
  }

  void run(herald::Context& post) override {
    herald::Notification note = post.notification();
    files_.append_once(path_, note.key, record_of(note), true);
    post.advance();
  }

 private:
  std::string path_;
  herald::builtin::JsonlFiles files_{"notify_key"};
};

class Webhook : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"url", HERALD_TYPE_STRING, 1, nullptr, "where each message is POSTed as JSON"},
      {"timeout_seconds", HERALD_TYPE_INT, 0, "10", "how long to wait for an answer"},
  }};

  explicit Webhook(herald::Config& config) : url_(config.string("url")) {
    if (url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
      config.error("url", "expected an http:// or https:// address, got '" + url_ + "'");
    const int64_t seconds = config.integer("timeout_seconds", 10);
    if (seconds < 1 || seconds > 86400)
      config.error("timeout_seconds",
                   "timeout_seconds must be from 1 to 86400, got " + std::to_string(seconds));
    else
      timeout_ms_ = seconds * 1000;
  }

  void run(herald::Context& post) override {
    herald::Notification note = post.notification();
    herald::builtin::HttpRequest call;
    call.method = "POST";
    call.url = url_;
    call.timeout_ms = timeout_ms_;
    call.headers = {{"Content-Type", "application/json"}, {"X-Herald-Idempotency-Key", note.key}};
    call.body = record_of(note);
    herald::builtin::HttpResponse response = herald::builtin::http(call);
    if (!response.complete())
      post.retry(0, "the webhook did not answer: " + response.error);
    else if (response.status == 429 || response.status >= 500)
      post.retry(0, "the webhook answered " + std::to_string(response.status));
    else if (response.status < 200 || response.status >= 300)
      post.fail("the webhook refused the message with " + std::to_string(response.status));
    else
      post.advance();
  }

 private:
  std::string url_;
  int64_t timeout_ms_ = 10'000;
};

}  // namespace

HERALD_PLUGIN("notify", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Outbox, HERALD_KIND_NOTIFY, "outbox",
                               "writes each message as a JSON line, once per key"),
              HERALD_COMPONENT(Webhook, HERALD_KIND_NOTIFY, "webhook",
                               "POSTs each message as JSON with its idempotency key"))
