// An inbound step a company writes itself: its customers' mentions get a bonus on top of the
// influence score, so the inbox puts them first. It runs in the inbound workflow (see
// docs/inbound.md) after inbound/influence:
//
//   inbound:
//     steps:
//       - plugin: inbound/influence
//       - plugin: crm/customers
//         config: { handles: ["@bigco"], bonus: 40 }
#include <herald/plugin.hpp>

#include <algorithm>
#include <cctype>

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

class Customers : public herald::Step {
 public:
  static constexpr std::array<herald_config_key, 2> config_keys{{
      {"handles", HERALD_TYPE_STRING_LIST, 1, nullptr, "our customers' handles (any case)"},
      {"bonus", HERALD_TYPE_DOUBLE, 0, "40", "added to a customer's score"},
  }};
  explicit Customers(herald::Config& config) : bonus_(config.number("bonus", 40)) {
    for (const std::string& handle : config.strings("handles")) handles_.push_back(lower(handle));
  }

  void run(herald::Context& context) override {
    herald::InboundMention m = context.mention();
    if (std::find(handles_.begin(), handles_.end(), lower(m.author)) == handles_.end()) return;
    context.set_score(m.score + bonus_, context.field("score_detail") + " + " +
                                            std::to_string(static_cast<int>(bonus_)) +
                                            " (customer)");
  }

 private:
  std::vector<std::string> handles_;
  double bonus_;
};

}  // namespace

HERALD_PLUGIN("crm", "1.0.0", "MIT",
              HERALD_COMPONENT(Customers, HERALD_KIND_INBOUND, "customers",
                               "puts the company's customers first in the inbox"))
