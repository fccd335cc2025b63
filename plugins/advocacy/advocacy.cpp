// Employee advocacy: people who opted in to an account (`herald advocacy optin`) are asked to
// share its published posts, with a suggested text for each network counted by that network's
// rules. Requests are spread over a window after publishing, at most N per person per day, and
// go out through a notifier named in the configuration's `notifiers:` (the built-in `outbox`
// writes JSON lines; notify/webhook POSTs them; a company may plug in its own).
#include <herald/plugin.hpp>

#include "common/duration.hpp"
#include "common/json_ledger.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

namespace {

using nlohmann::json;
constexpr int64_t kDayMs = 86'400'000;

/// Who was asked (or skipped) for which post, and how many requests each person got each day.
class Ledger {
 public:
  explicit Ledger(std::string path)
      : file_(std::move(path), "share_key", [this](const json& record) {
          if (record.value("status", "") == "sent")
            ++sent_[{record.value("person", ""), record.value("day", int64_t{0})}];
        }) {}

  /// Whether `key` ("post:person") was decided already.
  bool has(const std::string& key) { return file_.find(key).has_value(); }
  int64_t sent_on(const std::string& person, int64_t day) {
    return file_.read([&] { return sent_[{person, day}]; });
  }
  /// `status`: sent, over_daily_cap or refused (by the notifier).
  void record(const std::string& key, const std::string& person, int64_t day,
              const std::string& status) {
    file_.add(key, {{"person", person}, {"day", day}, {"status", status}});
  }

 private:
  std::map<std::pair<std::string, int64_t>, int64_t> sent_;  // under file_'s lock
  herald::builtin::JsonLedger file_;
};

class Advocacy : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 7> config_keys{{
      {"notifier", HERALD_TYPE_STRING, 0, "outbox",
       "the notifier (under notifiers:) that delivers the requests; outbox is built in"},
      {"directory", HERALD_TYPE_PATH, 0, "outbox", "where the ledger of requests is kept"},
      {"max_per_day", HERALD_TYPE_INT, 0, "2", "at most this many requests per person per day"},
      {"window", HERALD_TYPE_STRING, 0, "2h",
       "requests are spread evenly over this long after the post is published"},
      {"networks", HERALD_TYPE_STRING_LIST, 0, "[x, mastodon, bluesky, linkedin]",
       "the networks a suggested text is made and counted for"},
      {"message", HERALD_TYPE_STRING, 0, "Would you share our new post?", "the request's text"},
      {"role", HERALD_TYPE_STRING, 0, "", "only people with this role (empty: all who opted in)"},
  }};

  explicit Advocacy(herald::Config& config)
      : notifier_(config.string("notifier")),
        directory_(config.string("directory")),
        max_per_day_(config.integer("max_per_day", 2)),
        networks_(config.strings("networks")),
        message_(config.string("message")),
        role_(config.string("role")),
        ledger_(directory_ + "/advocacy-ledger.jsonl") {
    std::optional<int64_t> window = herald::builtin::parse_duration(config.string("window"), true);
    if (!window || *window < 0)
      config.error("window",
                   "expected a duration such as 30m or 2h, got '" + config.string("window") + "'");
    else
      window_ms_ = *window;
    if (!config.has_notifier(notifier_))
      config.error("notifier", "no notifier '" + notifier_ +
                                   "' in the configuration; declare it under notifiers: with a "
                                   "plugin such as notify/webhook (outbox is built in)");
    if (max_per_day_ < 1) config.error("max_per_day", "max_per_day must be 1 or more");
  }

  void run(herald::Context& post) override {
    const std::string account = post.account(), author = post.author(), id = post.id();
    std::vector<std::string> people;
    for (const herald::Person& person : post.people()) {
      bool opted_in = std::find(person.advocate_for.begin(), person.advocate_for.end(), account) !=
                      person.advocate_for.end();
      if (opted_in && person.id != author && (role_.empty() || post.has_role(person.id, role_)))
        people.push_back(person.id);
    }
    std::sort(people.begin(), people.end());
    const int64_t now = post.now_ms();
    const int64_t since = std::stoll(post.field("step_since"));
    const int64_t count = static_cast<int64_t>(people.size());
    int64_t sent = 0, capped = 0, refused = 0, to_go = 0, next = INT64_MAX;
    for (int64_t i = 0; i < count; ++i) {
      const std::string& person = people[static_cast<size_t>(i)];
      const std::string key = id + ":" + person;
      if (ledger_.has(key)) continue;
      // Evenly spread: the middle of each person's slice of the window.
      const int64_t due = since + window_ms_ * (2 * i + 1) / (2 * count);
      if (due > now) {
        ++to_go;
        next = std::min(next, due);
        continue;
      }
      const int64_t day = due / kDayMs;
      if (ledger_.sent_on(person, day) >= max_per_day_) {
        ledger_.record(key, person, day, "over_daily_cap");
        ++capped;
        continue;
      }
      json request = {{"share_key", key},
                      {"post", std::stoll(id)},
                      {"person", person},
                      {"account", account},
                      {"network", post.field("network")},
                      {"published_as", post.field("remote_id")},
                      {"due", due},
                      {"message", message_},
                      {"suggestions", suggestions(post)}};
      herald::Delivery delivery = post.notify(
          notifier_, person, key, request.dump(-1, ' ', false, json::error_handler_t::replace));
      if (delivery.state == herald::Delivery::State::later) {
        post.retry(0, "share request to " + person + ": " + delivery.reason);
        return;
      }
      if (delivery.state == herald::Delivery::State::refused) {
        post.warn("share request to " + person + " refused: " + delivery.reason);
        ledger_.record(key, person, day, "refused");
        ++refused;
        continue;
      }
      ledger_.record(key, person, day, "sent");
      ++sent;
    }
    if (sent) post.emit("share_requests", std::to_string(sent));
    if (capped) post.emit("share_requests_over_cap", std::to_string(capped));
    if (refused) post.emit("share_requests_refused", std::to_string(refused));
    if (to_go) {
      post.wait_until(next, std::to_string(to_go) + " share request(s) still to send over " +
                                herald::builtin::format_duration(window_ms_));
      return;
    }
    post.advance("share requests sent to the people who opted in" +
                 std::string(capped ? "; some were over their daily cap" : "") +
                 std::string(refused ? "; the notifier refused some" : ""));
  }

 private:
  /// The post's text for each network, shortened at a word (with "…") when it is too long
  /// there, as that network counts.
  json suggestions(herald::Context& post) const {
    json out = json::object();
    std::vector<std::string> words;
    const std::string text = post.text();
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find(' ', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) words.push_back(text.substr(start, end - start));
      start = end + 1;
    }
    for (const std::string& network : networks_) {
      std::string suggestion;
      herald::TextCount counted{};
      for (size_t keep = words.size(); keep > 0; --keep) {
        std::string candidate;
        for (size_t w = 0; w < keep; ++w) candidate += (w ? " " : "") + words[w];
        if (keep < words.size()) candidate += "…";
        counted = post.count_text(network, candidate);
        if (counted.valid) {
          suggestion = std::move(candidate);
          break;
        }
      }
      out[network] = {{"text", suggestion},
                      {"length", suggestion.empty() ? 0 : counted.length},
                      {"limit", counted.limit}};
    }
    return out;
  }

  std::string notifier_, directory_;
  int64_t max_per_day_;
  int64_t window_ms_ = 0;
  std::vector<std::string> networks_;
  std::string message_, role_;
  Ledger ledger_;
};

}  // namespace

HERALD_PLUGIN("advocacy", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Advocacy, HERALD_KIND_AMPLIFY, "share",
                               "asks the people who opted in to share the post, throttled"))
