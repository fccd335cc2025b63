// `herald inbound import|fetch|moderate|list`: mentions of the company's accounts through the
// inbound workflow;
// `herald advocacy optin|optout|list|report` and `herald amplify status`: employee advocacy.
#include "cli/common.hpp"
#include "cli/render.hpp"
#include "time/time.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace herald {

using nlohmann::json;

namespace {

json moderation_json(const ModerationSent& sent) {
  return json{{"sent", sent.sent},
              {"later", sent.later},
              {"not_offered", sent.not_offered},
              {"refused", sent.refused},
              {"unknown", sent.unknown}};
}

std::string moderation_text(const ModerationSent& sent) {
  return "mutes, blocks and reports on the networks: " + std::to_string(sent.sent) + " sent, " +
         std::to_string(sent.later) + " to send later, " + std::to_string(sent.not_offered) +
         " not offered, " + std::to_string(sent.refused) + " refused" +
         (sent.unknown ? ", " + std::to_string(sent.unknown) + " unknown (not sent again)" : "");
}

json import_json(const InboundImport& done) {
  return json{{"rows", done.rows},
              {"added", done.added},
              {"duplicates", done.duplicates},
              {"answered", done.answered},
              {"moderated", done.moderated},
              {"inbox", done.inbox},
              {"moderation", moderation_json(done.moderation)}};
}

std::string import_text(const InboundImport& done) {
  std::string out =
      "imported " + std::to_string(done.added) + " of " + std::to_string(done.rows) + " mention(s)";
  if (done.duplicates) out += " (" + std::to_string(done.duplicates) + " seen before)";
  out += ": " + std::to_string(done.answered) + " reply draft(s), " +
         std::to_string(done.moderated) + " stopped by moderation, " + std::to_string(done.inbox) +
         " left in the inbox";
  const ModerationSent& sent = done.moderation;
  if (sent.sent + sent.later + sent.not_offered + sent.refused + sent.unknown > 0)
    out += "; " + moderation_text(sent);
  return out;
}

}  // namespace

void add_inbound_commands(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config;
    std::string file;
    std::string person;
    std::string account;
    bool as_json = false;
  };
  auto o = std::make_shared<Options>();
  auto* inbound = app.add_subcommand(
      "inbound",
      "Mentions of the company's accounts: import or fetch them through the inbound workflow, "
      "send the mutes, blocks and reports it decided, and list them by influence.");
  inbound->require_subcommand(1);

  auto* import = inbound->add_subcommand(
      "import",
      "Read mentions (JSON lines: author, text, network, followers, engagement, account, id, "
      "at) and run each through the inbound steps (score, moderation, routes to reply drafts, "
      "and the company's own); all lines or none.");
  import->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  import->add_option("FILE", o->file, "mentions, one JSON object per line")->required();
  import->add_flag("--json", o->as_json, "print JSON");
  import->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
  if (!host) return;
  auto done = host->import_mentions(o->file);
  if (failed(done, exit_code)) return;
  std::cout << (o->as_json ? import_json(*done).dump() : import_text(*done)) << "\n";
});

auto* fetch = inbound->add_subcommand(
    "fetch",
    "Fetch the inbound accounts' new mentions from their networks (through their publishers; "
    "Mastodon and X) and import them as `inbound import` does.");
fetch->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
fetch->add_option("--account", o->account, "only this account (default: inbound.accounts)");
fetch->add_flag("--json", o->as_json, "print JSON");
fetch->callback([o, &exit_code] {
  HostOptions options;
  options.resolve_secrets = true;
  auto host = open_or_report(o->config, exit_code, options);
  if (!host) return;
  auto done = host->fetch_mentions(o->account);
  if (failed(done, exit_code)) return;
  json out = json::array();
  for (const InboundFetch::Account& a : done->accounts) {
    if (o->as_json) {
      json item = import_json(a.imported);
      item["account"] = a.account;
      item["cursor"] = a.cursor;
      if (!a.note.empty()) item["note"] = a.note;
      out.push_back(item);
    } else {
      std::cout << a.account << ": " << (a.note.empty() ? import_text(a.imported) : a.note) << "\n";
    }
  }
  if (o->as_json) std::cout << out.dump() << "\n";
});

auto* moderate = inbound->add_subcommand(
    "moderate",
    "Send the mutes, blocks and reports still pending to the networks (import and fetch send "
    "them too; what a network did not answer waits for the next time).");
moderate->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
moderate->add_flag("--json", o->as_json, "print JSON");
moderate->callback([o, &exit_code] {
  auto host = open_or_report(o->config, exit_code);
  if (!host) return;
  auto sent = host->send_moderation();
  if (failed(sent, exit_code)) return;
  std::cout << (o->as_json ? moderation_json(*sent).dump() : moderation_text(*sent)) << "\n";
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
                     {"reply_state", m.reply_state},
                     {"moderation", m.moderation},
                     {"moderation_note", m.moderation_note}});
    std::cout << json_text(out);
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
    if (!m.moderation.empty())
      std::cout << "; on " << m.network << ": " << m.moderation
                << (m.moderation_note.empty() ? "" : " (" + m.moderation_note + ")");
    if (m.reply_post_id)
      std::cout << "; reply draft post " << m.reply_post_id << " (" << m.reply_state << ")";
    std::cout << "\n         score: " << m.score_detail << "\n";
  }
});
}  // namespace herald

void add_amplify_commands(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config, person, account, url;
    int64_t post_id = 0;
    bool as_json = false;
  };
  auto o = std::make_shared<Options>();
  auto* advocacy = app.add_subcommand(
      "advocacy", "Employee advocacy: who is asked to share which account's posts.");
  advocacy->require_subcommand(1);
  for (bool opt_in : {true, false}) {
    auto* cmd = advocacy->add_subcommand(
        opt_in ? "optin" : "optout",
        opt_in ? "Ask this person to share the account's published posts (the advocacy step)."
               : "Stop asking this person to share the account's posts.");
    cmd->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
    cmd->add_option("--person", o->person, "a person from `people`")->required();
    cmd->add_option("--account", o->account, "an account")->required();
    cmd->add_flag("--json", o->as_json, "print JSON");
    cmd->callback([o, opt_in, &exit_code] {
      auto host = open_or_report(o->config, exit_code);
      if (!host) return;
      auto changed = host->advocacy(o->person, o->account, opt_in);
      if (failed(changed, exit_code)) return;
      if (o->as_json) {
        std::cout << json_text(json{{"person", o->person},
                                    {"account", o->account},
                                    {"opted_in", opt_in},
                                    {"changed", *changed}});
        return;
      }
      std::cout << o->person << (opt_in ? " shares " : " no longer shares ") << o->account
                << "'s posts" << (*changed ? "" : " (already so)") << "\n";
    });
  }
  auto* list = advocacy->add_subcommand("list", "Who opted in to which accounts.");
  list->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  list->add_flag("--json", o->as_json, "print JSON");
  list->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto advocates = host->advocates();
    if (failed(advocates, exit_code)) return;
    if (o->as_json) {
      std::cout << json_text(json(*advocates));
      return;
    }
    if (advocates->empty()) std::cout << "nobody opted in\n";
    for (const auto& [person, accounts] : *advocates) {
      std::cout << person << ":";
      for (const std::string& account : accounts) std::cout << " " << account;
      std::cout << "\n";
    }
  });
  auto* report = advocacy->add_subcommand("report", "Record that a person shared a post.");
  report->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  report->add_option("ID", o->post_id, "the published post")->required();
  report->add_option("--person", o->person, "who shared it")->required();
  report->add_option("--url", o->url, "where their share is")->required();
  report->add_flag("--json", o->as_json, "print JSON");
  report->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    if (failed(host->report_share(o->post_id, o->person, o->url), exit_code)) return;
    if (o->as_json) {
      std::cout << json_text(json{{"post", o->post_id}, {"person", o->person}, {"url", o->url}});
      return;
    }
    std::cout << "post " << o->post_id << ": share by " << o->person << " recorded\n";
  });

  auto* amplify = app.add_subcommand("amplify", "What amplified a published post.");
  amplify->require_subcommand(1);
  auto* status = amplify->add_subcommand(
      "status", "A post's amplification: share requests sent, over the daily cap, and shares.");
  status->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  status->add_option("ID", o->post_id, "post id")->required();
  status->add_flag("--json", o->as_json, "print JSON");
  status->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto done = host->amplify_status(o->post_id);
    if (failed(done, exit_code)) return;
    if (o->as_json) {
      json shares = json::array();
      for (const auto& share : done->shares)
        shares.push_back(
            {{"person", share.person}, {"url", share.url}, {"at", format_utc(share.at_ms)}});
      std::cout << json_text(json{{"post", done->post.id},
                                  {"state", done->post.state},
                                  {"step", done->post.step},
                                  {"reason", done->post.reason},
                                  {"requests_sent", done->requests_sent},
                                  {"requests_over_cap", done->requests_over_cap},
                                  {"requests_refused", done->requests_refused},
                                  {"shares", shares}});
      return;
    }
    std::cout << "post " << done->post.id << ": " << done->post.state
              << (done->post.step.empty() ? "" : " at " + done->post.step) << "\n"
              << "  " << done->post.reason << "\n"
              << "  share requests sent: " << done->requests_sent
              << ", over the daily cap: " << done->requests_over_cap
              << ", refused by the notifier: " << done->requests_refused << "\n";
    for (const auto& share : done->shares)
      std::cout << "  shared by " << share.person << " at " << format_utc(share.at_ms) << ": "
                << share.url << "\n";
  });
}

}  // namespace herald
