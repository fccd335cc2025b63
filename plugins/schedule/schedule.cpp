// Built-in schedule step: publish at the requested instant (stored in UTC with the zone it was
// meant in), or now.
#include <herald/plugin.hpp>

namespace {

class PublishAt : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 1> config_keys{{
      {"delay_minutes", HERALD_TYPE_INT, 0, "0",
       "minimum time between approval and publication, for posts without a time"},
  }};

  explicit PublishAt(herald::Config& config) : delay_ms_(config.integer("delay_minutes") * 60'000) {
    if (delay_ms_ < 0) throw std::invalid_argument("delay_minutes must be 0 or more");
  }

  void run(herald::Context& post) override {
    int64_t now = post.now_ms();
    int64_t requested = std::stoll("0" + post.field("publish_at"));
    if (requested > now) {
      post.wait_until(requested, "scheduled (" + post.field("zone") + ")");
      return;
    }
    // Without a requested time, wait out the delay once: a post this step woke from its wait
    // has served it.
    if (requested == 0 && delay_ms_ > 0 && post.field("claimed_from") != "waiting") {
      post.wait_until(now + delay_ms_, "publishing after the configured delay");
      return;
    }
    post.advance();
  }

 private:
  int64_t delay_ms_;
};

}  // namespace

HERALD_PLUGIN("schedule", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(PublishAt, HERALD_KIND_SCHEDULE, "at",
                               "publish at the requested time (time-zone aware), or now"))
