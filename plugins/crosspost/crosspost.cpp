// Cross-posting: after a delay, a published post is copied to the company's other accounts. Each
// copy goes through its own workflow, so the draft steps count and check it for the target
// network (a long X post becomes a thread, a Bluesky copy is held to 300 graphemes) before it is
// published there, exactly once like any post.
#include <herald/plugin.hpp>

#include "common/duration.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace {

class CrossPost : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 4> config_keys{{
      {"to", HERALD_TYPE_STRING_LIST, 1, nullptr, "the accounts that get a copy"},
      {"workflow", HERALD_TYPE_STRING, 1, nullptr,
       "the workflow each copy goes through (its draft steps check it for the target network)"},
      {"delay", HERALD_TYPE_STRING, 0, "30m", "how long after publishing the copies are made"},
      {"mode", HERALD_TYPE_STRING, 0, "copy",
       "copy (an adapted copy) or boost (a re-share of the post itself by the accounts on its "
       "network: a Mastodon boost, a Bluesky repost, an X repost)"},
  }};

  explicit CrossPost(herald::Config& config)
      : to_(config.strings("to")),
        workflow_(config.string("workflow")),
        mode_(config.string("mode")) {
    if (mode_ != "copy" && mode_ != "boost")
      config.error("mode", "copy or boost, not '" + mode_ + "'");
    std::optional<int64_t> delay = herald::builtin::parse_duration(config.string("delay"), true);
    if (!delay || *delay < 0)
      config.error("delay",
                   "expected a duration such as 30m or 2h, got '" + config.string("delay") + "'");
    else
      delay_ms_ = *delay;
    if (to_.empty()) config.error("to", "name at least one account");
    for (const herald::Account& account : config.accounts())
      networks_[account.name] = account.network;
    for (const std::string& name : to_) {
      if (!networks_.count(name)) {
        config.error("to", "unknown account '" + name + "'");
        continue;
      }
      const std::string& network = networks_[name];
      if (mode_ == "boost" && network != "mastodon" && network != "bluesky" && network != "x")
        config.error("to", name + " is on " + network +
                               "; boosts are made on Mastodon, Bluesky and X (use mode: copy)");
    }
  }

  void run(herald::Context& post) override {
    std::vector<std::string> tags = post.tags();
    // A copy is not copied again (its workflow may have this step too).
    if (std::find(tags.begin(), tags.end(), "crosspost") != tags.end()) {
      post.advance("a copy is not cross-posted again");
      return;
    }
    const int64_t due = std::stoll(post.field("step_since")) + delay_ms_;
    if (post.now_ms() < due) {
      post.wait_until(due,
                      "cross-posting in " + herald::builtin::format_duration(due - post.now_ms()));
      return;
    }
    tags.push_back("crosspost");
    tags.push_back("copy-of-" + post.id());
    std::string source_network = post.field("network");
    const bool boost = mode_ == "boost";
    if (boost) {
      if (post.field("remote_id").empty()) {
        post.fail("the post has no id on " + source_network + " to boost (was it published?)");
        return;
      }
      tags = {"crosspost", "boost", "boost-of:" + post.field("remote_id")};
    }
    std::string made, skipped;
    for (const std::string& account : to_) {
      if (account == post.account()) continue;
      // A post is re-shared on its own network only.
      if (boost && networks_[account] != source_network) {
        skipped += (skipped.empty() ? "" : ", ") + account + " (" + networks_[account] + ")";
        continue;
      }
      std::string text = boost ? "boost of post " + post.id() : adapt(post, source_network);
      post.spawn_post(workflow_, account, text, tags);
      made += (made.empty() ? "" : ", ") + account;
    }
    std::string note = made.empty() ? "no other account to " + mode_ + " to"
                                    : (boost ? "boosts made for " : "copies made for ") + made;
    if (!skipped.empty()) note += "; not boosted from " + source_network + ": " + skipped;
    post.advance(note);
  }

 private:
  /// The text for another network: mentions of people on the source network are written
  /// without their @, so the copy does not ping someone else with the same name there. On
  /// Mastodon a mention is @user@domain; elsewhere the network's own mentions are used.
  static std::string adapt(herald::Context& post, const std::string& network) {
    std::string text = post.text();
    std::vector<size_t> ats;
    if (network == "mastodon") {
      auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
      for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '@' || (i > 0 && (word(text[i - 1]) || text[i - 1] == '@'))) continue;
        size_t j = i + 1;
        while (j < text.size() && word(text[j])) ++j;
        if (j > i + 1 && j + 1 < text.size() && text[j] == '@' && word(text[j + 1]))
          ats.push_back(i);
      }
    } else {
      for (const herald::TextEntity& e : post.text_entities(network, text)) {
        if (e.type != "mention" || e.start >= text.size()) continue;
        size_t at = text.rfind('@', e.start);  // the entity may start at the @ or after it
        if (at != std::string::npos && e.start - at <= 1) ats.push_back(at);
      }
    }
    for (auto it = ats.rbegin(); it != ats.rend(); ++it) text.erase(*it, 1);
    return text;
  }

  std::vector<std::string> to_;
  std::map<std::string, std::string> networks_;  // account -> network
  std::string workflow_;
  std::string mode_;
  int64_t delay_ms_ = 0;
};

}  // namespace

HERALD_PLUGIN("crosspost", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(CrossPost, HERALD_KIND_AMPLIFY, "copy",
                               "copies the published post to other accounts, re-checked there"))
