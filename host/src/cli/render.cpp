#include "cli/render.hpp"

#include "config/config.hpp"
#include "text/csv.hpp"
#include "time/time.hpp"

#include <algorithm>
#include <map>
#include <sstream>

namespace herald {
namespace {

/// A plain text table with columns sized to their widest cell.
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  auto width_of = [](const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  for (size_t c = 0; c < header.size(); ++c) widths[c] = width_of(header[c]);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], width_of(row[c]));
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells) {
    for (size_t c = 0; c < cells.size(); ++c) {
      out << cells[c];
      if (c + 1 < cells.size()) out << std::string(widths[c] - width_of(cells[c]) + 2, ' ');
    }
    out << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out.str();
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

}  // namespace

std::string shorten(const std::string& text, size_t limit) {
  std::string flat = text;
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  size_t count = 0, i = 0;
  for (; i < flat.size(); ++i) {
    if ((static_cast<unsigned char>(flat[i]) & 0xC0) != 0x80 && ++count > limit) break;
  }
  return i < flat.size() ? flat.substr(0, i) + "…" : flat;
}

std::string describe_wait(const PostView& post) {
  std::vector<std::string> parts;
  for (const auto& e : post.expects) parts.push_back(e.type + " by " + describe_who(e.role));
  if (post.state == "waiting" && post.wake_ms > 0)
    parts.push_back("time " + format_time(post.wake_ms, post.zone));
  return join(parts, ", ");
}

std::string workflows_text(const std::string& config,
                           const std::vector<WorkflowDescription>& workflows, size_t plugin_count,
                           const std::string& store, const std::vector<StepDescription>& notifiers,
                           const std::vector<StepDescription>& inbound) {
  std::ostringstream out;
  out << config << ": valid; " << workflows.size() << " workflow(s), " << plugin_count
      << " plugin(s); store " << store << "\n";
  for (const auto& w : workflows) {
    out << "\nworkflow " << w.name << (w.description.empty() ? "" : " — " + w.description) << "\n";
    int n = 1;
    for (const auto& s : w.steps)
      out << "  " << n++ << ". " << s.name << " (" << s.kind << ") by " << s.plugin
          << (s.condition.empty() ? "" : "  when " + s.condition) << "\n";
  }
  if (!inbound.empty()) {
    out << "\ninbound — every mention, until a step stops or answers it\n";
    int n = 1;
    for (const auto& s : inbound)
      out << "  " << n++ << ". " << s.name << " by " << s.plugin << "\n";
  }
  if (!notifiers.empty()) {
    out << "\nnotifiers\n";
    for (const auto& n : notifiers) out << "  " << n.name << " by " << n.plugin << "\n";
  }
  return out.str();
}

nlohmann::json workflows_json(const std::vector<WorkflowDescription>& workflows,
                              const std::string& store,
                              const std::vector<StepDescription>& notifiers,
                              const std::vector<StepDescription>& inbound) {
  nlohmann::json out = {{"store", store},
                        {"inbound", nlohmann::json::array()},
                        {"workflows", nlohmann::json::array()},
                        {"notifiers", nlohmann::json::object()}};
  for (const auto& n : notifiers) out["notifiers"][n.name] = {{"plugin", n.plugin}};
  for (const auto& s : inbound) out["inbound"].push_back({{"name", s.name}, {"plugin", s.plugin}});
  for (const auto& w : workflows) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : w.steps)
      steps.push_back(
          {{"name", s.name}, {"kind", s.kind}, {"plugin", s.plugin}, {"when", s.condition}});
    out["workflows"].push_back(
        {{"name", w.name}, {"description", w.description}, {"steps", steps}});
  }
  return out;
}

std::string plugins_text(const std::vector<PluginDescription>& plugins) {
  std::ostringstream out;
  for (const auto& p : plugins) {
    out << p.name << " " << p.version << "  (" << p.license << ", ABI " << p.abi
        << ")\n  file: " << p.file << "\n";
    for (const auto& c : p.components) {
      out << "  " << c.kind << ": " << p.name << "/" << c.name
          << (c.description.empty() ? "" : " — " + c.description) << "\n";
      for (const auto& k : c.config_keys)
        out << "      " << k.name << " (" << k.type << (k.required ? ", required" : "")
            << (k.default_value.empty() ? "" : ", default " + k.default_value) << ")  "
            << k.description << "\n";
    }
  }
  if (plugins.empty()) out << "no plugins found\n";
  return out.str();
}

nlohmann::json plugins_json(const std::vector<PluginDescription>& plugins) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : plugins) {
    nlohmann::json components = nlohmann::json::array();
    for (const auto& c : p.components) {
      nlohmann::json keys = nlohmann::json::array();
      for (const auto& k : c.config_keys)
        keys.push_back({{"name", k.name},
                        {"type", k.type},
                        {"required", k.required},
                        {"default", k.default_value},
                        {"description", k.description}});
      components.push_back(
          {{"kind", c.kind}, {"name", c.name}, {"description", c.description}, {"config", keys}});
    }
    out.push_back({{"name", p.name},
                   {"version", p.version},
                   {"license", p.license},
                   {"abi", p.abi},
                   {"file", p.file},
                   {"components", components}});
  }
  return out;
}

std::string posts_text(const std::vector<PostView>& posts, bool detailed) {
  if (posts.empty()) return "no posts\n";
  if (detailed && posts.size() == 1) {
    const PostView& p = posts.front();
    std::ostringstream out;
    out << "post " << p.id << "\n"
        << "  workflow:  " << p.workflow << "\n"
        << "  account:   " << p.account << "\n"
        << "  author:    " << (p.author.empty() ? "-" : p.author) << "\n"
        << "  tags:      " << (p.tags.empty() ? "-" : join(p.tags, ", ")) << "\n"
        << "  state:     " << p.state << "\n"
        << "  step:      " << (p.step.empty() ? "-" : p.step + " (" + p.step_kind + ")")
        << (p.stage.empty() ? "" : ", stage " + p.stage) << "\n"
        << "  revision:  " << p.revision << "\n"
        << "  why:       " << (p.reason.empty() ? "-" : p.reason) << "\n"
        << "  waits for: " << (describe_wait(p).empty() ? "-" : describe_wait(p)) << "\n"
        << "  publish:   "
        << (p.publish_at_ms
                ? format_time(p.publish_at_ms, p.zone) + " (" + format_utc(p.publish_at_ms) + ")"
                : "as soon as approved")
        << "\n"
        << (p.time_note.empty() ? "" : "  dst:       " + p.time_note + "\n") << "  planned:   "
        << (p.planned_ms ? format_time(p.planned_ms, p.zone) + " (" + format_utc(p.planned_ms) +
                               ")" + (p.plan_note.empty() ? "" : ": " + p.plan_note)
                         : "-")
        << "\n"
        << (p.paused.empty() ? "" : "  paused:    " + p.paused + "\n")
        << "  remote id: " << (p.remote_id.empty() ? "-" : p.remote_id) << "\n"
        << "  text:      " << p.text << "\n";
    return out.str();
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : posts)
    rows.push_back({std::to_string(p.id), p.workflow, p.account,
                    p.paused.empty() ? p.state : p.state + " (paused)",
                    p.step.empty() ? "-" : p.step,
                    describe_wait(p).empty() ? "-" : describe_wait(p),
                    shorten(p.reason.empty() ? "-" : p.reason, 60)});
  return table({"ID", "WORKFLOW", "ACCOUNT", "STATE", "STEP", "WAITS FOR", "WHY"}, rows);
}

nlohmann::json posts_json(const std::vector<PostView>& posts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : posts) {
    nlohmann::json expects = nlohmann::json::array();
    for (const auto& e : p.expects) expects.push_back({{"type", e.type}, {"role", e.role}});
    out.push_back({{"id", p.id},
                   {"workflow", p.workflow},
                   {"account", p.account},
                   {"author", p.author},
                   {"text", p.text},
                   {"tags", p.tags},
                   {"state", p.state},
                   {"step", p.step},
                   {"step_kind", p.step_kind},
                   {"step_index", p.step_index},
                   {"reason", p.reason},
                   {"expects", expects},
                   {"wake_at", p.wake_ms ? format_utc(p.wake_ms) : ""},
                   {"publish_at", p.publish_at_ms ? format_utc(p.publish_at_ms) : ""},
                   {"zone", p.zone},
                   {"remote_id", p.remote_id},
                   {"attempt", p.attempt},
                   {"created_at", format_utc(p.created_ms)},
                   {"updated_at", format_utc(p.updated_ms)},
                   {"revision", p.revision},
                   {"stage", p.stage},
                   {"step_since", p.step_since_ms ? format_utc(p.step_since_ms) : ""},
                   {"time_note", p.time_note},
                   {"planned_at", p.planned_ms ? format_utc(p.planned_ms) : ""},
                   {"plan_note", p.plan_note},
                   {"paused", p.paused}});
  }
  return out;
}

std::string journey_text(const std::vector<PostView>& posts,
                         const std::vector<AuditRecord>& records) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : posts) {
    // Steps in the order the post reached them, each with its latest engine action and the
    // people who acted on it.
    std::vector<std::string> order;
    std::map<std::string, std::string> action;
    std::map<std::string, std::vector<std::string>> people;
    for (const auto& r : records) {
      if (r.post_id != p.id || r.step.empty()) continue;
      if (std::find(order.begin(), order.end(), r.step) == order.end()) order.push_back(r.step);
      if (r.actor == "engine")
        action[r.step] = r.action;
      else
        people[r.step].push_back(r.actor + (r.action == "reject" ? " ✗" : ""));
    }
    std::vector<std::string> parts;
    for (const auto& step : order) {
      const std::string& a = action[step];
      std::string mark = a == "advance"                 ? "✓"
                         : a == "skip"                  ? "skipped"
                         : a == "reject" || a == "fail" ? "✗"
                         : a == "wait" || a == "hold"   ? "…"
                                                        : a;
      std::string who = people[step].empty() ? "" : " (" + join(people[step], ", ") + ")";
      parts.push_back(step + " " + mark + who);
    }
    std::string when = p.publish_at_ms ? format_time(p.publish_at_ms, p.zone) : "";
    rows.push_back(
        {std::to_string(p.id), p.account, p.state, when.empty() ? "-" : when, join(parts, " → ")});
  }
  return table({"ID", "ACCOUNT", "STATE", "MEANT FOR", "JOURNEY"}, rows);
}

std::string audit_text(const std::vector<AuditRecord>& records) {
  if (records.empty()) return "no audit entries\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : records)
    rows.push_back({format_utc(r.at_ms), std::to_string(r.post_id), r.actor, r.action,
                    r.step.empty() ? "-" : r.step,
                    (r.from_state.empty() ? "-" : r.from_state) + " → " + r.to_state,
                    r.detail.empty() ? "-" : shorten(r.detail, 70)});
  return table({"AT (UTC)", "POST", "ACTOR", "ACTION", "STEP", "STATE", "DETAIL"}, rows);
}

nlohmann::json audit_json(const std::vector<AuditRecord>& records) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : records)
    out.push_back({{"id", r.id},
                   {"post", r.post_id},
                   {"at", format_utc(r.at_ms)},
                   {"actor", r.actor},
                   {"action", r.action},
                   {"step", r.step},
                   {"from", r.from_state},
                   {"to", r.to_state},
                   {"detail", r.detail},
                   {"prev_hash", r.prev_hash},
                   {"hash", r.hash}});
  return out;
}

std::string json_text(const nlohmann::json& value) {
  return value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string audit_listing(const std::vector<AuditRecord>& records, bool as_json) {
  return as_json ? json_text(audit_json(records)) : audit_text(records);
}

std::string audit_export_header() {
  return csv::record({"id", "post_id", "at", "actor", "action", "step", "from_state", "to_state",
                      "detail", "prev_hash", "hash"});
}

std::string audit_export_line(const AuditRecord& r, bool as_csv) {
  if (as_csv)
    return csv::record({std::to_string(r.id), std::to_string(r.post_id), format_utc(r.at_ms),
                        r.actor, r.action, r.step, r.from_state, r.to_state, r.detail, r.prev_hash,
                        r.hash});
  using nlohmann::json;
  return json{{"id", r.id},         {"post_id", r.post_id},       {"at", format_utc(r.at_ms)},
              {"at_ms", r.at_ms},   {"actor", r.actor},           {"action", r.action},
              {"step", r.step},     {"from_state", r.from_state}, {"to_state", r.to_state},
              {"detail", r.detail}, {"prev_hash", r.prev_hash},   {"hash", r.hash}}
             .dump(-1, ' ', false, json::error_handler_t::replace) +
         '\n';
}

}  // namespace herald
