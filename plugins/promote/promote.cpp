// Paid promotion within a budget. Each published post of the workflow is promoted for `amount`
// in `campaign`, through an ad API (the contract in docs/amplify.md; herald-netsim serves it for
// tests). A promotion that would take the day's or the campaign's spending past its budget is
// held until a person with `approver_role` approves it.
#include <herald/plugin.hpp>

#include "common/http.hpp"
#include "common/json_ledger.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

namespace {

using nlohmann::json;
constexpr int64_t kDayMs = 86'400'000;

/// What was spent, per campaign and per day.
class Spending {
 public:
  explicit Spending(std::string path)
      : file_(std::move(path), "promotion_key", [this](const json& record) {
          double amount = record.value("amount", 0.0);
          std::string campaign = record.value("campaign", "");
          by_day_[{campaign, record.value("day", int64_t{0})}] += amount;
          by_campaign_[campaign] += amount;
        }) {}

  struct Totals {
    double today = 0;
    double campaign = 0;
  };
  /// The ad API's id of the promotion with `key`, if it was made.
  std::optional<std::string> promoted(const std::string& key) {
    std::optional<json> found = file_.find(key);
    if (!found) return std::nullopt;
    return found->value("id", "");
  }
  Totals totals(const std::string& campaign, int64_t day) {
    return file_.read([&] { return Totals{by_day_[{campaign, day}], by_campaign_[campaign]}; });
  }
  void record(const std::string& key, const std::string& campaign, int64_t day, double amount,
              const std::string& id) {
    file_.add(key, {{"campaign", campaign}, {"day", day}, {"amount", amount}, {"id", id}});
  }

 private:
  std::map<std::pair<std::string, int64_t>, double> by_day_;  // under file_'s lock
  std::map<std::string, double> by_campaign_;
  herald::builtin::JsonLedger file_;
};

std::string money(double amount, const std::string& currency) {
  char text[48];
  std::snprintf(text, sizeof text, "%.2f %s", amount, currency.c_str());
  return text;
}

class Promote : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 8> config_keys{{
      {"campaign", HERALD_TYPE_STRING, 1, nullptr, "the campaign the promotions belong to"},
      {"amount", HERALD_TYPE_DOUBLE, 1, nullptr, "what one post's promotion costs"},
      {"currency", HERALD_TYPE_STRING, 0, "USD", "the currency of amounts and budgets"},
      {"daily_budget", HERALD_TYPE_DOUBLE, 1, nullptr,
       "the most the campaign spends in a day (UTC)"},
      {"campaign_budget", HERALD_TYPE_DOUBLE, 1, nullptr, "the most the campaign spends in all"},
      {"approver_role", HERALD_TYPE_STRING, 0, "marketing",
       "who may approve a promotion above a budget"},
      {"endpoint", HERALD_TYPE_STRING, 1, nullptr,
       "the ad API: POST {endpoint}/promotions (see docs/amplify.md)"},
      {"directory", HERALD_TYPE_PATH, 0, "outbox", "where the spending ledger is kept"},
  }};

  explicit Promote(herald::Config& config)
      : campaign_(config.string("campaign")),
        currency_(config.string("currency")),
        approver_role_(config.string("approver_role")),
        endpoint_(config.string("endpoint")),
        amount_(config.number("amount")),
        daily_budget_(config.number("daily_budget")),
        campaign_budget_(config.number("campaign_budget")),
        spending_(config.string("directory") + "/promote-ledger.jsonl") {
    if (!(amount_ > 0)) config.error("amount", "amount must be more than 0");
    if (!(daily_budget_ > 0)) config.error("daily_budget", "daily_budget must be more than 0");
    if (!(campaign_budget_ > 0))
      config.error("campaign_budget", "campaign_budget must be more than 0");
    if (endpoint_.rfind("http://", 0) != 0 && endpoint_.rfind("https://", 0) != 0)
      config.error("endpoint", "endpoint must be an http(s) URL, not '" + endpoint_ + "'");
  }

  void run(herald::Context& post) override {
    const std::string key = campaign_ + ":" + post.id();
    if (auto id = spending_.promoted(key)) {
      post.advance("promoted already (" + *id + ")");
      return;
    }
    const int64_t day = post.now_ms() / kDayMs;
    Spending::Totals spent = spending_.totals(campaign_, day);
    std::string over;
    if (spent.today + amount_ > daily_budget_ + 1e-9)
      over = "today's spending would be " + money(spent.today + amount_, currency_) + " of " +
             money(daily_budget_, currency_);
    else if (spent.campaign + amount_ > campaign_budget_ + 1e-9)
      over = "the campaign's spending would be " + money(spent.campaign + amount_, currency_) +
             " of " + money(campaign_budget_, currency_);
    std::string approved_by;
    if (!over.empty()) {
      for (const herald::Event& e : post.events())
        if (e.type == "approve" && post.has_role(e.person(), approver_role_))
          approved_by = e.person();
      if (approved_by.empty()) {
        post.expect("approve", approver_role_);
        post.hold("promoting for " + money(amount_, currency_) + " in '" + campaign_ +
                  "': " + over + "; needs approval by role " + approver_role_);
        return;
      }
    }
    herald::builtin::HttpRequest call;
    call.method = "POST";
    call.url = endpoint_ + "/promotions";
    call.headers = {{"Content-Type", "application/json"}, {"X-Herald-Idempotency-Key", key}};
    call.body = json{
        {"post_id", std::stoll(post.id())},
        {"account", post.account()},
        {"network", post.field("network")},
        {"remote_id", post.field("remote_id")},
        {"campaign", campaign_},
        {"amount", amount_},
        {"currency",
         currency_}}.dump();
    herald::builtin::HttpResponse response = herald::builtin::http(call);
    json answer = json::parse(response.body, nullptr, false);
    if (!response.complete() || response.status >= 500 || response.status == 429) {
      post.retry(0, "the ad API did not take the promotion: " +
                        (response.error.empty() ? "HTTP " + std::to_string(response.status)
                                                : response.error));
      return;
    }
    if (response.status < 200 || response.status >= 300 || !answer.is_object() ||
        !answer.contains("id")) {
      post.fail("the ad API refused the promotion: HTTP " + std::to_string(response.status) + " " +
                response.body.substr(0, 200));
      return;
    }
    std::string id = answer["id"].get<std::string>();
    spending_.record(key, campaign_, day, amount_, id);
    post.emit("promoted", money(amount_, currency_));
    post.advance("promoted for " + money(amount_, currency_) + " in '" + campaign_ + "' (" + id +
                 "); today " + money(spent.today + amount_, currency_) + " of " +
                 money(daily_budget_, currency_) + ", campaign " +
                 money(spent.campaign + amount_, currency_) + " of " +
                 money(campaign_budget_, currency_) +
                 (approved_by.empty() ? "" : "; over budget, approved by " + approved_by));
  }

 private:
  std::string campaign_, currency_, approver_role_, endpoint_;
  double amount_, daily_budget_, campaign_budget_;
  Spending spending_;
};

}  // namespace

HERALD_PLUGIN("promote", "0.1.0", "Apache-2.0",
              HERALD_COMPONENT(Promote, HERALD_KIND_AMPLIFY, "budget",
                               "promotes the published post through an ad API, within budgets"))
