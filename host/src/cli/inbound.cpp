// `herald inbound import|list`: mentions of the company's accounts, scored, moderated and routed.
#include "cli/common.hpp"
#include "time/time.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace herald {

using nlohmann::json;

void add_inbound_commands(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config;
    std::string file;
    std::string person;
    bool as_json = false;
  };
  auto o = std::make_shared<Options>();
  auto* inbound = app.add_subcommand(
      "inbound", "Mentions of the company's accounts: import them, and list them by influence.");
  inbound->require_subcommand(1);

  auto* import = inbound->add_subcommand(
      "import",
      "Read mentions (JSON lines: author, text, network, followers, engagement, account, id, "
      "at), score them, apply the moderation rules and route support questions to reply drafts.");
  import->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  import->add_option("FILE", o->file, "mentions, one JSON object per line")->required();
  import->add_flag("--json", o->as_json, "print JSON");
  import->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
  if (!host) return;
  auto done = host->import_mentions(o->file);
  if (failed(done, exit_code)) return;
  if (o->as_json) {
    std::cout << json{{"rows", done->rows},
                      {"added", done->added},
                      {"duplicates", done->duplicates},
                      {"answered", done->answered},
                      {"moderated", done->moderated},
                      {"inbox", done->inbox}}
                     .dump()
              << "\n";
    return;
  }
  std::cout << "imported " << done->added << " of " << done->rows << " mention(s)";
  if (done->duplicates) std::cout << " (" << done->duplicates << " seen before)";
  std::cout << ": " << done->answered << " reply draft(s), " << done->moderated
            << " stopped by moderation, " << done->inbox << " left in the inbox\n";
});

auto* list = inbound->add_subcommand(
    "list", "Mentions, the most influential first, with what was decided and why.");
list->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
list->add_option("--as", o->person,
                 "only what waits for this person: the inbox, and reply drafts they may act on");
list->add_flag("--json", o->as_json, "print JSON");
list->callback([o, &exit_code] {
  auto host = open_or_report(o->config, exit_code);
  if (!host) return;
  auto mentions = host->mentions(o->person);
  if (failed(mentions, exit_code)) return;
  if (o->as_json) {
    json out = json::array();
    for (const MentionView& m : *mentions)
      out.push_back({{"id", m.id},
                     {"network", m.network},
                     {"account", m.account},
                     {"author", m.author},
                     {"text", m.text},
                     {"source_id", m.source_id},
                     {"followers", m.followers},
                     {"engagement", m.engagement},
                     {"at", format_utc(m.at_ms)},
                     {"score", m.score},
                     {"score_formula", m.score_detail},
                     {"action", m.action},
                     {"rule", m.rule},
                     {"reply_post", m.reply_post_id},
                     {"reply_state", m.reply_state}});
    std::cout << out.dump(2) << "\n";
    return;
  }
  if (mentions->empty()) {
    std::cout << "no mentions\n";
    return;
  }
  for (const MentionView& m : *mentions) {
    char score[32];
    std::snprintf(score, sizeof score, "%7.1f", m.score);
    std::string action = m.action.empty() ? "inbox" : m.action;
    std::cout << score << "  #" << m.id << "  " << m.author << " on " << m.network << " ("
              << m.account << "): " << m.text << "\n"
              << "         " << action;
    if (!m.rule.empty()) std::cout << " by " << m.rule;
    if (m.reply_post_id)
      std::cout << "; reply draft post " << m.reply_post_id << " (" << m.reply_state << ")";
    std::cout << "\n         score: " << m.score_detail << "\n";
  }
});
}  // namespace herald

}  // namespace herald
