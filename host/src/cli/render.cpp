#include "cli/render.hpp"

#include "config/config.hpp"
#include "text/csv.hpp"
#include "time/time.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>

namespace herald {
namespace {

std::string g_color = "auto";
bool g_wide = false;

/// Characters shown: UTF-8 continuation bytes and colour escapes take no room.
size_t width_of(const std::string& s) {
  size_t n = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    n += (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
  }
  return n;
}

/// `text` cut into lines of at most `width` characters, at spaces where it can be.
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::string rest = text;
  while (width_of(rest) > width) {
    // The byte where the width-th character ends.
    size_t end = 0;
    for (size_t shown = 0; end < rest.size() && shown < width; ++shown) {
      ++end;
      while (end < rest.size() && (static_cast<unsigned char>(rest[end]) & 0xC0) == 0x80) ++end;
    }
    size_t cut = end;
    if (end < rest.size() && rest[end] != ' ') {
      const size_t space = rest.rfind(' ', end - 1);
      if (space != std::string::npos && space > 0) cut = space;
    }
    lines.push_back(rest.substr(0, cut));
    rest = rest.substr(cut);
    while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
  }
  lines.push_back(rest);
  for (std::string& line : lines)
    while (!line.empty() && line.back() == ' ') line.pop_back();
  return lines;
}

/// A plain text table with columns sized to their widest cell. When the style has a width,
/// the last column is wrapped to fit it (other columns stay whole).
std::string table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  const OutputStyle style = output_style();
  std::vector<size_t> widths(header.size());
  for (size_t c = 0; c < header.size(); ++c) widths[c] = width_of(header[c]);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], width_of(row[c]));
  size_t last_start = 0;
  for (size_t c = 0; c + 1 < widths.size(); ++c) last_start += widths[c] + 2;
  constexpr size_t kNarrowest = 20;  // the last column never gets narrower than this
  const size_t last_width =
      style.width == 0
          ? 0
          : std::max(kNarrowest, style.width > last_start ? style.width - last_start : 0);
  std::ostringstream out;
  auto line = [&](const std::vector<std::string>& cells, bool is_header) {
    for (size_t c = 0; c < cells.size(); ++c) {
      const bool last = c + 1 == cells.size();
      if (last && last_width > 0 && !is_header && width_of(cells[c]) > last_width) {
        std::vector<std::string> parts = wrap(cells[c], last_width);
        for (size_t k = 0; k < parts.size(); ++k)
          out << (k ? "\n" + std::string(last_start, ' ') : "") << parts[k];
        continue;
      }
      out << (is_header ? paint(cells[c], "1") : cells[c]);
      if (!last) out << std::string(widths[c] - width_of(cells[c]) + 2, ' ');
    }
    out << "\n";
  };
  line(header, true);
  for (const auto& row : rows) line(row, false);
  return out.str();
}

/// The text on one line (line breaks become spaces).
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

/// A post's state, coloured by what it means: green done, red rejected or failed, yellow held
/// or paused.
std::string state_cell(const PostView& p) {
  std::string text = p.paused.empty() ? p.state : p.state + " (paused)";
  if (p.state == "done") return paint(text, "32");
  if (p.state == "rejected" || p.state == "failed" || p.state == "cancelled")
    return paint(text, "31");
  if (p.state == "held" || !p.paused.empty()) return paint(text, "33");
  return text;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

}  // namespace

void set_output_choices(const std::string& color, bool wide) {
  g_color = color;
  g_wide = wide;
}

OutputStyle output_style() {
  OutputStyle style;
  const bool terminal = isatty(STDOUT_FILENO) != 0;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  style.color = g_color == "always" || (g_color == "auto" && terminal && !(no_color && *no_color) &&
                                        !(term && std::string(term) == "dumb"));
  if (terminal && !g_wide) {
    style.width = 80;
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) style.width = size.ws_col;
    if (const char* columns = std::getenv("COLUMNS"); columns && *columns) {
      char* end = nullptr;
      long value = std::strtol(columns, &end, 10);
      if (*end == '\0' && value > 0 && value < 10000) style.width = static_cast<size_t>(value);
    }
  }
  return style;
}

std::string paint(const std::string& text, const char* sgr) {
  if (!output_style().color) return text;
  return "\x1b[" + std::string(sgr) + "m" + text + "\x1b[0m";
}

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
  // An unconfirmed post waits too (a settle time, a rate limit) before it is looked for.
  if ((post.state == "waiting" || post.state == "unconfirmed") && post.wake_ms > 0)
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
    rows.push_back({std::to_string(p.id), p.workflow, p.account, state_cell(p),
                    p.step.empty() ? "-" : p.step,
                    describe_wait(p).empty() ? "-" : describe_wait(p),
                    p.reason.empty() ? "-" : one_line(p.reason)});
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
    rows.push_back({std::to_string(p.id), p.account, state_cell(p), when.empty() ? "-" : when,
                    join(parts, " → ")});
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
                    r.detail.empty() ? "-" : one_line(r.detail)});
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
