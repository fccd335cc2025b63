// Built-in approve step: N approvals from people with a role; any rejection from that role
// rejects the post. The author never counts (four eyes).
#include <herald/plugin.hpp>

#include <set>

namespace {

class Approval : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"role", HERALD_TYPE_STRING, 1, nullptr, "role whose members may approve"},
      {"count", HERALD_TYPE_INT, 0, "1", "how many different people must approve"},
  }};

  explicit Approval(herald::Config& config)
      : role_(config.string("role")), count_(config.integer("count", 1)) {
    if (role_.empty()) throw std::invalid_argument("role must not be empty");
    if (count_ < 1) throw std::invalid_argument("count must be at least 1");
  }

  void run(herald::Context& post) override {
    std::set<std::string> approvers;
    std::string author = post.author();
    for (const herald::Event& event : post.events()) {
      if (!post.has_role(event.actor, role_)) continue;
      if (event.type == "reject") {
        post.reject("rejected by " + event.actor +
                    (event.comment.empty() ? "" : ": " + event.comment));
        return;
      }
      if (event.type == "approve" && event.actor != author) approvers.insert(event.actor);
    }
    if (static_cast<int64_t>(approvers.size()) >= count_) {
      std::string names;
      for (const auto& name : approvers) names += (names.empty() ? "" : ", ") + name;
      post.advance();
      post.set_field("note", "approved by " + names);
      return;
    }
    post.expect("approve", role_);
    post.expect("reject", role_);
    int64_t missing = count_ - static_cast<int64_t>(approvers.size());
    post.wait_for_event("needs " + std::to_string(missing) + " more approval" +
                        (missing == 1 ? "" : "s") + " from role " + role_);
  }

 private:
  std::string role_;
  int64_t count_;
};

}  // namespace

HERALD_PLUGIN("approve", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Approval, HERALD_KIND_APPROVE, "quorum",
                               "N approvals from people with a role; the author never counts"))
