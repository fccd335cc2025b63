// Built-in legal review: keyword rules. A match holds the post until a person with the legal
// role clears (approves) or rejects it.
#include <herald/plugin.hpp>

#include <algorithm>
#include <cctype>

namespace {

std::string lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

class KeywordReview : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"keywords", HERALD_TYPE_STRING_LIST, 1, nullptr,
       "words or phrases (any case) that send a post to legal"},
      {"role", HERALD_TYPE_STRING, 0, "legal", "role that clears or rejects held posts"},
  }};

  explicit KeywordReview(herald::Config& config)
      : keywords_(config.strings("keywords")), role_(config.string("role")) {
    if (keywords_.empty()) throw std::invalid_argument("keywords must list at least one word");
  }

  void run(herald::Context& post) override {
    std::string lowered = lower_ascii(post.text());
    std::string matches;
    for (const std::string& keyword : keywords_) {
      size_t at = lowered.find(lower_ascii(keyword));
      if (at == std::string::npos) continue;
      matches += (matches.empty() ? "" : ", ") + std::string("'") + keyword + "' at " +
                 std::to_string(at) + ".." + std::to_string(at + keyword.size());
    }
    if (matches.empty()) {
      post.advance();
      return;
    }
    for (const herald::Event& event : post.events()) {
      if (!post.has_role(event.actor, role_)) continue;
      if (event.type == "reject") {
        post.reject("legal: rejected by " + event.actor +
                    (event.comment.empty() ? "" : ": " + event.comment));
        return;
      }
      if (event.type == "approve") {
        post.set_field("note", "cleared by legal (" + event.actor + ")");
        post.advance();
        return;
      }
    }
    post.expect("approve", role_);
    post.expect("reject", role_);
    post.hold("legal review: matched " + matches);
  }

 private:
  std::vector<std::string> keywords_;
  std::string role_;
};

}  // namespace

HERALD_PLUGIN("legal_review", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(KeywordReview, HERALD_KIND_LEGAL_REVIEW, "keywords",
                               "holds posts that match legal's keywords for a lawyer"))
