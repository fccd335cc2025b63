// Built-in publisher: appends the post as one JSON line to a file per account. At most once per
// post: the line carries the post's idempotency key, and a re-run (after a crash or an
// unconfirmed attempt) finds the line instead of writing another. With `fsync` (the default)
// the lines of an engine round are made durable together, by flush(), before the round's
// outcomes are committed: one fsync per file per round instead of one per line.
#include <herald/plugin.hpp>

#include "../common/jsonl_file.hpp"

namespace {

class Outbox : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"directory", HERALD_TYPE_PATH, 0, "outbox",
       "folder of the per-account files (ACCOUNT.jsonl)"},
      {"fsync", HERALD_TYPE_BOOL, 0, "true",
       "make each line durable (fsync) before its post is recorded as published"},
  }};

  explicit Outbox(herald::Config& config)
      : directory_(config.string("directory")), sync_(config.boolean("fsync", true)) {}

  void run(herald::Context& post) override {
    std::string key = post.field("idempotency_key");
    std::string account = post.account();
    std::string path = directory_ + "/" + account + ".jsonl";
    const std::string record = herald::json_line({{"idempotency_key", key},
                                                  {"post", std::stoll(post.id())},
                                                  {"account", account},
                                                  {"network", post.network()},
                                                  {"handle", post.field("handle")},
                                                  {"author", post.author()},
                                                  {"published_at_ms", post.now_ms()},
                                                  {"text", post.text()}});
    // A post that reaches this step for the first time cannot be in the file yet: its key is
    // looked for only when an earlier attempt may have written it (a worker that died, a sync
    // that failed, an unconfirmed post, a post edited after it was written), so that the outbox
    // keeps no key in memory otherwise. (A worker whose claim has run out of lease hands the
    // post back before this step: another worker may have taken it over.)
    const bool first_time = post.field("claimed_from") == "ready" && post.field("attempt") == "0" &&
                            post.field("revision") == "1";
    auto written =
        files_.append_once(path, key, record, /*sync=*/false, /*may_be_there=*/!first_time);
    post.set_field("remote_id", path + "#" + std::to_string(written.line));
    if (written.already_there)
      post.info("found in the outbox from an earlier attempt; not written again");
    post.advance();
  }

  /// After the round's runs, before their outcomes are committed: one fsync per file written
  /// (or found in) this round. A failure leaves the round's posts unconfirmed.
  void flush() override {
    if (sync_) files_.sync();
  }

 private:
  std::string directory_;
  bool sync_;
  herald::builtin::JsonlFiles files_{"idempotency_key"};
};

}  // namespace

HERALD_PLUGIN("outbox", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Outbox, HERALD_KIND_PUBLISH, "file",
                               "appends each post as one JSON line to OUTBOX/ACCOUNT.jsonl, once"))
