// The commands people use to govern posts: inbox, legal decisions, edits, delegation, and the
// audit trail (list, verify, export).
#include "cli/common.hpp"
#include "cli/render.hpp"
#include "time/time.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace herald {
namespace {

using nlohmann::json;

/// Reads --text or --file (- for stdin); trailing newlines are dropped.
Result<std::string> read_text(const std::string& text, const std::string& file, bool has_text) {
  if (has_text) return text;
  if (file.empty())
    return Status(ErrorCode::invalid_argument, "give the new text with --text or --file");
  std::stringstream content;
  if (file == "-") {
    content << std::cin.rdbuf();
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) return Status(ErrorCode::invalid_argument, file + ": cannot read the text file");
    content << in.rdbuf();
  }
  std::string out = content.str();
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string age(int64_t since_ms, int64_t now_ms) {
  int64_t minutes = std::max<int64_t>(0, (now_ms - since_ms) / 60'000);
  if (minutes < 60) return std::to_string(minutes) + "m";
  if (minutes < 48 * 60)
    return std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m";
  return std::to_string(minutes / (24 * 60)) + "d";
}

json finding_json(const std::string& text) {
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_discarded() ? json{{"message", text}} : parsed;
}

std::string inbox_text(const std::vector<InboxItem>& items, const std::string& person,
                       int64_t now_ms) {
  if (items.empty()) return "nothing waits for " + person + "\n";
  std::ostringstream out;
  for (const InboxItem& item : items) {
    const PostView& p = item.post;
    out << "post " << p.id << "  " << p.workflow << " on " << p.account << "  by "
        << (p.author.empty() ? "-" : p.author) << "  waiting " << age(p.step_since_ms, now_ms)
        << " (since " << format_utc(p.step_since_ms) << ")\n";
    out << "  step:     " << p.step << " (" << p.step_kind << ")"
        << (p.stage.empty() ? "" : ", stage " + p.stage) << ", revision " << p.revision << "\n";
    out << "  why:      " << (p.reason.empty() ? "-" : p.reason) << "\n";
    std::string actions;
    for (const auto& a : item.actions) actions += (actions.empty() ? "" : ", ") + a;
    out << "  you may:  " << actions
        << (item.on_behalf.empty() ? "" : " (for " + item.on_behalf + ", delegated)") << "\n";
    out << "  text:     " << p.text << "\n";
    for (const std::string& f : item.findings) {
      json finding = finding_json(f);
      out << "  finding:  [" << finding.value("severity", "info") << "] "
          << finding.value("rule", "") << ": " << finding.value("message", "");
      if (finding.contains("excerpt"))
        out << " — \"" << finding.value("excerpt", "") << "\" at bytes "
            << finding.value("start", 0) << ".." << finding.value("end", 0);
      out << "\n";
    }
  }
  return out.str();
}

json inbox_json(const std::vector<InboxItem>& items) {
  json out = json::array();
  for (const InboxItem& item : items) {
    json findings = json::array();
    for (const std::string& f : item.findings) findings.push_back(finding_json(f));
    json post = posts_json({item.post})[0];
    out.push_back({{"post", post},
                   {"actions", item.actions},
                   {"on_behalf", item.on_behalf},
                   {"findings", findings}});
  }
  return out;
}

json delegation_json(const DelegationView& d) {
  return {{"id", d.id},
          {"from", d.from},
          {"to", d.to},
          {"since", format_utc(d.since_ms)},
          {"until", format_utc(d.until_ms)},
          {"state", d.state},
          {"created_by", d.created_by},
          {"revoked", d.revoked_ms ? format_utc(d.revoked_ms) : ""},
          {"revoked_by", d.revoked_by},
          {"revoke_reason", d.revoke_reason}};
}

std::string delegations_listing(const std::vector<DelegationView>& delegations, bool as_json,
                                bool all) {
  if (as_json) {
    json out = json::array();
    for (const DelegationView& d : delegations) out.push_back(delegation_json(d));
    return json_text(out);
  }
  if (delegations.empty())
    return all ? "no delegations\n" : "no delegations in effect (--all shows those that ended)\n";
  std::ostringstream out;
  for (const DelegationView& d : delegations) {
    out << "delegation " << d.id << "  " << d.to << " acts for " << d.from << "  "
        << format_utc(d.since_ms) << " .. " << format_utc(d.until_ms) << "  " << d.state;
    if (d.state == "revoked") {
      out << " by " << d.revoked_by << " at " << format_utc(d.revoked_ms);
      if (!d.revoke_reason.empty()) out << ": " << d.revoke_reason;
    }
    out << "\n";
  }
  return out.str();
}

}  // namespace

void add_governance_commands(CLI::App& app, int& exit_code) {
  // Options outlive parsing: the callbacks run inside app.parse().
  struct Options {
    std::string config, person, reason, comment, text, file, from, to, until, format = "jsonl",
                                                                              since, output;
    int64_t post_id = 0;
    std::optional<int64_t> audit_id;
    bool as_json = false;
    ClockOptions clock;
    std::vector<std::string> checkpoints;
    std::string public_key;
  };
  auto o = std::make_shared<Options>();

  // inbox
  auto* inbox = app.add_subcommand(
      "inbox", "What waits for a person (approvals, legal decisions, edits), oldest first.");
  inbox->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  inbox->add_option("--as", o->person, "whose inbox (a person from `people`)")->required();
  inbox->add_flag("--json", o->as_json, "print JSON");
  inbox->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto items = host->inbox(o->person);
    if (failed(items, exit_code)) return;
    std::cout << (o->as_json ? json_text(inbox_json(*items))
                             : inbox_text(*items, o->person, host->clock().now_ms()));
  });

  // legal clear | reject | require-edit
  auto* legal = app.add_subcommand("legal", "Legal's decisions on a post held by legal review.");
  legal->require_subcommand(1);
  struct Decision {
    const char* name;
    const char* decision;
    const char* help;
    bool needs_reason;
  };
  for (const Decision& d :
       {Decision{"clear", "clear", "Clear a held post: it moves on.", false},
        Decision{"reject", "reject", "Reject a held post with a reason.", true},
        Decision{"require-edit", "require_edit",
                 "Send a held post back to its author with what to change.", true}}) {
    auto* command = legal->add_subcommand(d.name, d.help);
    command->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
    command->add_option("ID", o->post_id, "post id")->required();
    command->add_option("--as", o->person, "who decides (a person with the legal role)")
        ->required();
    auto* reason = command->add_option("--reason", o->reason, "why (shown to the author)");
    if (d.needs_reason) reason->required();
    command->add_flag("--json", o->as_json, "print the post as it is now, as JSON");
    std::string decision = d.decision;
    std::string verb = d.name;
    command->callback([o, &exit_code, decision, verb] {
      auto host = open_or_report(o->config, exit_code);
      if (!host) return;
      if (failed(host->legal_decision(o->post_id, o->person, decision, o->reason), exit_code))
        return;
      print_post_result(
          *host, o->post_id, o->as_json,
          "post " + std::to_string(o->post_id) + ": legal " + verb + " by " + o->person, exit_code);
    });
  }

  // edit
  auto* edit = app.add_subcommand(
      "edit", "Replace a post's text (its author or an editor); it goes through every step again.");
  edit->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  edit->add_option("ID", o->post_id, "post id")->required();
  edit->add_option("--as", o->person, "who edits (the author, or a person with role editor)")
      ->required();
  auto* text_option = edit->add_option("--text,-t", o->text, "the new text");
  auto* file_option = edit->add_option("--file,-f", o->file, "read the new text from a file");
  text_option->excludes(file_option);
  edit->add_option("--reason", o->reason, "what changed and why (kept with the revision)");
  edit->add_flag("--json", o->as_json, "print the post as it is now, as JSON");
  edit->callback([o, &exit_code, text_option] {
    Result<std::string> text = read_text(o->text, o->file, text_option->count() > 0);
    if (failed(text, exit_code)) return;
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    if (failed(host->edit(o->post_id, o->person, *text, o->reason), exit_code)) return;
    auto post = host->post(o->post_id);
    if (failed(post, exit_code)) return;
    if (o->as_json) {
      std::cout << json_text(posts_json({*post})[0]);
      return;
    }
    std::cout << "post " << o->post_id << " is now revision " << post->revision
              << "; it goes through the workflow again from step " << post->step << "\n";
  });

  // delegate, delegate list, delegate revoke
  auto* delegate = app.add_subcommand(
      "delegate",
      "Let another person act for you (approvals, legal decisions) until a time; list and "
      "revoke delegations.");
  delegate->add_option("CONFIG", o->config, "workflow configuration (YAML)");
  delegate->add_option("--from", o->from, "who delegates");
  delegate->add_option("--to", o->to, "who acts for them");
  delegate->add_option("--until", o->until,
                       "end of the delegation: 2026-12-24T18:00:00Z or '2026-12-24 18:00 "
                       "Europe/Oslo'");
  add_clock_options(delegate, o->clock);
  delegate->add_flag("--json", o->as_json, "print JSON");
  delegate->callback([o, &exit_code, delegate] {
    if (!delegate->get_subcommands().empty()) return;
    std::string missing;
    for (const auto& [name, value] :
         {std::pair<const char*, const std::string*>{"CONFIG", &o->config},
          {"--from", &o->from},
          {"--to", &o->to},
          {"--until", &o->until}})
      if (value->empty()) missing += (missing.empty() ? "" : ", ") + std::string(name);
    if (!missing.empty()) {
      exit_code = fail(Status(ErrorCode::invalid_argument,
                              "delegate needs " + missing +
                                  ": herald delegate CONFIG --from P --to Q --until TIME (or: "
                                  "herald delegate list|revoke CONFIG)"));
      return;
    }
    Result<int64_t> until = parse_cli_instant(o->until);
    if (failed(until, exit_code)) return;
    auto host = open_or_report(o->config, exit_code, o->clock);
    if (!host) return;
    auto id = host->delegate(o->from, o->to, *until);
    if (failed(id, exit_code)) return;
    if (o->as_json) {
      std::cout << json_text(
          json{{"id", *id}, {"from", o->from}, {"to", o->to}, {"until", format_utc(*until)}});
      return;
    }
    std::cout << "delegation " << *id << ": " << o->to << " acts for " << o->from << " until "
              << format_utc(*until) << "\n";
  });
  struct DelegateOptions {
    bool all = false;
    std::string person;
    int64_t id = 0;
  };
  auto list_options = std::make_shared<DelegateOptions>();
  auto* delegate_list = delegate->add_subcommand(
      "list", "The delegations in effect (with --all also those that expired or were revoked).");
  delegate_list->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  delegate_list->add_flag("--all", list_options->all, "also the delegations that ended");
  delegate_list->add_option("--as", list_options->person,
                            "only the delegations this person gave or received");
  delegate_list->add_flag("--json", o->as_json, "print JSON");
  delegate_list->callback([o, list_options, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto all = host->delegations(list_options->all);
    if (failed(all, exit_code)) return;
    std::vector<DelegationView> shown;
    for (const DelegationView& d : *all)
      if (list_options->person.empty() || d.from == list_options->person ||
          d.to == list_options->person)
        shown.push_back(d);
    std::cout << delegations_listing(shown, o->as_json, list_options->all);
  });
  auto* delegate_revoke = delegate->add_subcommand(
      "revoke", "End a delegation now (the person who delegated, or the delegate).");
  delegate_revoke->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  delegate_revoke->add_option("ID", list_options->id, "delegation id (see `delegate list`)")
      ->required();
  delegate_revoke->add_option("--as", o->person, "who revokes it (the delegator or the delegate)")
      ->required();
  delegate_revoke->add_option("--reason", o->reason, "why (kept in the audit trail)");
  add_clock_options(delegate_revoke, o->clock);
  delegate_revoke->add_flag("--json", o->as_json, "print JSON");
  delegate_revoke->callback([o, list_options, &exit_code] {
    auto host = open_or_report(o->config, exit_code, o->clock);
    if (!host) return;
    auto revoked = host->revoke_delegation(list_options->id, o->person, o->reason);
    if (failed(revoked, exit_code)) return;
    if (o->as_json) {
      std::cout << json_text(delegation_json(*revoked));
      return;
    }
    std::cout << "delegation " << revoked->id << " revoked: " << revoked->to
              << " no longer acts for " << revoked->from << " (from "
              << format_utc(revoked->revoked_ms) << ")\n";
  });

  // audit, audit verify, audit export
  auto* audit = app.add_subcommand(
      "audit", "The audit trail: who did what to which post, when; verify it; export it.");
  audit->add_option("CONFIG", o->config, "workflow configuration (YAML)");
  audit->add_option("ID", o->audit_id, "one post");
  audit->add_flag("--json", o->as_json, "print JSON");
  auto* verify = audit->add_subcommand(
      "verify",
      "Check the hash chain and the signed checkpoints; name the first entry that was changed "
      "or removed.");
  verify->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  verify
      ->add_option("--checkpoint", o->checkpoints,
                   "a checkpoint file, or a folder of them (repeatable; default: the configured "
                   "audit.checkpoints.directory, when it exists)")
      ->check(CLI::ExistingPath);
  verify->add_option("--public-key", o->public_key,
                     "check checkpoint signatures with this PEM public key (default: the "
                     "configured signing key)");
  verify->add_flag("--json", o->as_json, "print JSON");
  verify->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    std::string public_key;
    if (!o->public_key.empty()) {
      Result<std::string> pem = read_text("", o->public_key, false);
      if (failed(pem, exit_code)) return;
      public_key = *pem + "\n";
    }
    std::vector<std::string> checkpoints = o->checkpoints;
    std::string configured = host->audit_checkpoint_directory();
    std::error_code ec;
    if (checkpoints.empty() && !configured.empty() && std::filesystem::is_directory(configured, ec))
      checkpoints.push_back(configured);
    auto result = host->verify_audit(checkpoints, public_key);
    if (failed(result, exit_code)) return;
    if (o->as_json) {
      json checks = json::array();
      for (const CheckpointCheck& c : result->checkpoints)
        checks.push_back({{"file", c.source},
                          {"size", c.size},
                          {"holds", c.holds},
                          {"first_missing_id", c.first_missing_id},
                          {"problem", c.problem}});
      std::cout << json{{"intact", result->intact},       {"entries", result->entries},
                        {"broken_id", result->broken_id}, {"problem", result->problem},
                        {"head_id", result->head_id},     {"head_hash", result->head_hash},
                        {"checkpoints", checks}}
                       .dump()
                << "\n";
    } else {
      if (result->broken_id == 0)
        std::cout << "audit trail chain intact: " << result->entries << " entries; head entry "
                  << result->head_id << " hash " << result->head_hash << "\n";
      else
        std::cout << "audit trail BROKEN at entry " << result->broken_id << ": " << result->problem
                  << "\n(" << result->entries << " entries before it are intact; the last of them, "
                  << result->head_id << ", has hash " << result->head_hash << ")\n";
      size_t held = 0;
      for (const CheckpointCheck& c : result->checkpoints) {
        if (c.holds)
          ++held;
        else
          std::cout << "checkpoint FAILS: " << c.problem << "\n";
      }
      if (!result->checkpoints.empty())
        std::cout << held << " of " << result->checkpoints.size() << " signed checkpoint(s) hold\n";
    }
    if (!result->intact) exit_code = 8;
  });
  auto* checkpoint = audit->add_subcommand(
      "checkpoint",
      "Verify the trail, then sign its size and head hash into the configured checkpoint "
      "folder (outside the database).");
  checkpoint->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  checkpoint->add_flag("--json", o->as_json, "print JSON");
  checkpoint->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto result = host->checkpoint_audit();
    if (failed(result, exit_code)) return;
    const AuditVerification& v = result->verified;
    std::string problem = v.problem;
    for (const CheckpointCheck& c : v.checkpoints)
      if (!c.holds && problem.empty()) problem = c.problem;
    if (o->as_json) {
      std::cout << json{{"written", result->written}, {"file", result->file},
                        {"size", result->size},       {"head_hash", result->head_hash},
                        {"intact", v.intact},         {"problem", problem}}
                       .dump()
                << "\n";
    } else if (!v.intact) {
      std::cerr << "herald: the audit trail does not verify; no checkpoint written: " << problem
                << "\n";
    } else if (result->size == 0) {
      std::cout << "the audit trail is empty; no checkpoint written\n";
    } else {
      std::cout << (result->written ? "wrote " : "already there: ") << result->file << " ("
                << result->size << " entries, head " << result->head_hash << ")\n"
                << result->text;
    }
    if (!v.intact) exit_code = 8;
  });
  auto* public_key = audit->add_subcommand(
      "public-key",
      "Print the checkpoint key's public half (PEM, then the signed-note verifier key) for "
      "auditors: `audit verify --public-key FILE`.");
  public_key->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  public_key->add_flag("--json", o->as_json, "print JSON");
  public_key->callback([o, &exit_code] {
    herald::HostOptions options;
    options.open_store = false;
    auto host = open_or_report(o->config, exit_code, options);
    if (!host) return;
    auto pem = host->audit_public_key();
    if (failed(pem, exit_code)) return;
    if (o->as_json)
      std::cout << json_text(json{{"public_key", *pem}});
    else
      std::cout << *pem;
  });
  auto* exporter = audit->add_subcommand(
      "export", "Write the audit trail for records retention: JSON lines or CSV, with hashes.");
  exporter->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  exporter->add_option("--format", o->format, "jsonl or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}))
      ->capture_default_str();
  exporter->add_option(
      "--since", o->since,
      "only entries at or after this time (RFC 3339, or a local time with a zone)");
  exporter->add_option("--output,-o", o->output, "write to this file (default: standard output)");
  exporter->callback([o, &exit_code] {
    int64_t since = 0;
    if (!o->since.empty()) {
      Result<int64_t> parsed = parse_cli_instant(o->since);
      if (failed(parsed, exit_code)) return;
      since = *parsed;
    }
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    std::ofstream file;
    std::string partial = o->output + ".partial";
    if (!o->output.empty()) {
      file.open(partial, std::ios::binary | std::ios::trunc);
      if (!file) {
        exit_code = fail(Status(ErrorCode::invalid_argument, partial + ": cannot write"));
        return;
      }
    }
    std::ostream& out = o->output.empty() ? std::cout : file;
    bool csv = o->format == "csv";
    if (csv) out << audit_export_header();
    int64_t count = 0;
    Status scanned = host->scan_audit(since, [&](const AuditRecord& r) {
      ++count;
      out << audit_export_line(r, csv);
    });
    if (failed(scanned, exit_code)) {
      if (!o->output.empty()) std::remove(partial.c_str());
      return;
    }
    if (!o->output.empty()) {
      file.close();
      if (!file || std::rename(partial.c_str(), o->output.c_str()) != 0) {
        std::remove(partial.c_str());
        exit_code = fail(Status(ErrorCode::invalid_argument, o->output + ": cannot write"));
        return;
      }
      std::cerr << "wrote " << count << " audit entries to " << o->output << "\n";
    }
  });
  audit->callback([o, &exit_code, audit] {
    if (!audit->get_subcommands().empty()) return;
    if (o->config.empty()) {
      exit_code = fail(Status(
          ErrorCode::invalid_argument,
          "audit needs CONFIG (or: herald audit verify|export|checkpoint|public-key CONFIG)"));
      return;
    }
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto records = host->audit(o->audit_id);
    if (failed(records, exit_code)) return;
    std::cout << audit_listing(*records, o->as_json);
  });
}

}  // namespace herald
