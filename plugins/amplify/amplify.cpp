// Built-in amplify step: invites the people who opted in (people.NAME.amplify: true) to share
// a published post, by writing one share request per person to the outbox. The author is not
// asked; each request is written once.
#include <herald/plugin.hpp>

#include "../common/jsonl_file.hpp"

#include <mutex>
#include <optional>

namespace {

class ShareRequests : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 4> config_keys{{
      {"directory", HERALD_TYPE_PATH, 0, "outbox", "folder of shares.jsonl"},
      {"max_people", HERALD_TYPE_INT, 0, "25", "at most this many requests per post"},
      {"role", HERALD_TYPE_STRING, 0, "",
       "only ask people with this role (empty: everyone opted in)"},
      {"message", HERALD_TYPE_STRING, 0, "Please share our new post", "the invitation's text"},
  }};

  explicit ShareRequests(herald::Config& config)
      : directory_(config.string("directory")),
        max_people_(config.integer("max_people", 25)),
        role_(config.string("role")),
        message_(config.string("message")) {
    if (max_people_ < 0) config.error("max_people", "max_people must be 0 or more");
  }

  void run(herald::Context& post) override {
    std::string path = directory_ + "/shares.jsonl";
    std::string author = post.author();
    int64_t asked = 0;
    for (const std::string& person : candidates(post)) {
      if (asked >= max_people_) break;
      if (person == author) continue;
      std::string key = post.field("idempotency_key") + ":" + person;
      const std::string record = herald::json_line({{"share_key", key},
                                                    {"post", std::stoll(post.id())},
                                                    {"person", person},
                                                    {"published_as", post.field("remote_id")},
                                                    {"message", message_},
                                                    {"text", post.text()}});
      files_.append_once(path, key, record, true);
      ++asked;
    }
    if (asked > 0) post.emit("share_requests", std::to_string(asked));
    post.advance();
  }

 private:
  /// The people who opted in (and have the role, if one is set). The host's people do not
  /// change while a step instance lives, so they are read once.
  const std::vector<std::string>& candidates(herald::Context& post) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (!candidates_) {
      candidates_.emplace();
      for (const herald::Person& person : post.people())
        if (person.amplify && (role_.empty() || post.has_role(person.id, role_)))
          candidates_->push_back(person.id);
    }
    return *candidates_;
  }

  std::mutex mutex_;
  std::optional<std::vector<std::string>> candidates_;
  std::string directory_;
  int64_t max_people_;
  std::string role_;
  std::string message_;
  herald::builtin::JsonlFiles files_{"share_key"};
};

}  // namespace

HERALD_PLUGIN("amplify", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(ShareRequests, HERALD_KIND_AMPLIFY, "share_requests",
                               "asks opted-in colleagues to share the published post"))
