// The scheduling commands: urgent, pause, resume, pauses, engagement import, slots and
// calendar (a terminal week view, or one self-contained HTML page).
#include "cli/common.hpp"
#include "cli/render.hpp"
#include "text/html.hpp"
#include "time/time.hpp"
#include "time/zoned.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace herald {
namespace {

using nlohmann::json;
constexpr int64_t kDay = zoned::kDay;
constexpr const char* kDayNames[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

std::string scope(const std::string& account) {
  return account.empty() ? std::string("every account") : "account " + account;
}

/// "✓" published, "·" planned, "!" held, "?" requested but not planned yet, "⏸" paused,
/// "✗" rejected or failed.
std::string mark(const PostView& p) {
  if (p.state == "done") return "✓";
  if (p.state == "rejected" || p.state == "failed" || p.state == "cancelled") return "✗";
  if (!p.paused.empty()) return "⏸";
  if (p.state == "held") return "!";
  if (p.planned_ms == 0) return "?";
  return "·";
}

std::string state_class(const PostView& p) {
  if (p.state == "done") return "done";
  if (p.state == "rejected" || p.state == "failed" || p.state == "cancelled") return "failed";
  if (!p.paused.empty()) return "paused";
  if (p.state == "held") return "held";
  if (p.planned_ms == 0) return "requested";
  return "planned";
}

/// Columns of one account's calendar: the posts of each local day, in time order.
struct AccountWeek {
  AccountDescription account;
  const date::time_zone* zone = nullptr;
  std::vector<std::vector<const PostView*>> days;
};

int64_t when(const PostView& p) {
  return p.planned_ms ? p.planned_ms : p.publish_at_ms;
}

std::string clock_in(int64_t utc_ms, const date::time_zone& zone) {
  return zoned::format_local(zoned::to_local_ms(utc_ms, zone)).substr(11, 5);
}

std::string day_label(int64_t day) {
  const zoned::LocalParts p = zoned::local_parts(day * kDay);
  return std::string(kDayNames[p.weekday]) + " " + zoned::format_local(day * kDay).substr(5, 5);
}

std::string calendar_text(const std::vector<AccountWeek>& weeks, int64_t first_day, int days,
                          const std::vector<PauseView>& pauses) {
  std::ostringstream out;
  constexpr size_t kWidth = 14;
  auto pad = [&](const std::string& cell) {
    size_t shown = 0;
    for (unsigned char c : cell) shown += (c & 0xC0) != 0x80;
    return cell + std::string(shown < kWidth ? kWidth - shown : 1, ' ');
  };
  // A week a row, or fewer days on a terminal too narrow for seven.
  const size_t width = output_style().width;
  const int per_row = width == 0 ? 7
                                 : static_cast<int>(std::clamp<size_t>(
                                       (width - std::min<size_t>(width, 2)) / kWidth, 1, 7));
  for (const PauseView& p : pauses)
    out << "PAUSED: " << scope(p.account) << " since " << format_utc(p.paused_ms) << " by "
        << p.paused_by << ": " << p.reason << "\n";
  if (!pauses.empty()) out << "\n";
  for (const AccountWeek& w : weeks) {
    out << w.account.name << " (" << w.account.network << ", "
        << (w.account.timezone.empty() ? "UTC" : w.account.timezone) << ")\n";
    for (int start = 0; start < days; start += per_row) {
      const int end = std::min(days, start + per_row);
      std::string header;
      for (int d = start; d < end; ++d) header += pad(day_label(first_day + d));
      while (!header.empty() && header.back() == ' ') header.pop_back();
      out << "  " << header << "\n";
      size_t rows = 0;
      for (int d = start; d < end; ++d)
        rows = std::max(rows, w.days[static_cast<size_t>(d)].size());
      if (rows == 0) out << "  (nothing planned)\n";
      for (size_t r = 0; r < rows; ++r) {
        std::string line;
        for (int d = start; d < end; ++d) {
          const auto& posts = w.days[static_cast<size_t>(d)];
          line += pad(r < posts.size() ? clock_in(when(*posts[r]), *w.zone) + " #" +
                                             std::to_string(posts[r]->id) + " " + mark(*posts[r])
                                       : "");
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << "  " << line << "\n";
      }
    }
    out << "\n";
  }
  out << "✓ published  · planned  ! held  ? requested, not yet planned  ⏸ paused  ✗ "
         "rejected "
         "or "
         "failed\n";
  return out.str();
}

std::string calendar_html(const std::vector<AccountWeek>& weeks, int64_t first_day, int days,
                          const std::vector<PauseView>& pauses, int64_t now_ms) {
  std::ostringstream out;
  out << R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald calendar</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;color:#1d2330;background:#f6f7f9}
h1{font-size:1.4rem;margin:0 0 .25rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.meta{color:#5b6475;font-size:.85rem}
.pause{background:#fde8e8;border:1px solid #e0a3a3;padding:.5rem .75rem;border-radius:6px;margin:.75rem 0}
table{border-collapse:collapse;width:100%;table-layout:fixed;background:#fff;margin-bottom:.75rem}
th,td{border:1px solid #d9dde5;vertical-align:top;padding:.35rem}
th{background:#eef1f6;font-weight:600;font-size:.85rem}
.post{border-radius:5px;padding:.3rem .4rem;margin:.2rem 0;font-size:.8rem;border-left:4px solid}
.post .t{font-weight:600}.post .x{display:block;color:#39414f;overflow-wrap:anywhere}
.planned{background:#e8f0fe;border-color:#3b6fd8}.done{background:#e6f4ea;border-color:#2e8b57}
.held{background:#fff4e0;border-color:#d98e04}.requested{background:#f1f1f1;border-color:#999}
.paused{background:#fde8e8;border-color:#c0392b}.failed{background:#f4e6f4;border-color:#8e44ad}
.legend span{display:inline-block;margin-right:.75rem;padding:0 .4rem;border-left:4px solid}
</style></head><body>
<h1>Herald calendar</h1>
)";
  out << "<p class=\"meta\">" << day_label(first_day) << " to " << day_label(first_day + days - 1)
      << " &middot; generated at " << html_escape(format_utc(now_ms)) << "</p>\n";
  for (const PauseView& p : pauses)
    out << "<div class=\"pause\"><strong>Paused</strong>: " << html_escape(scope(p.account))
        << " since " << html_escape(format_utc(p.paused_ms)) << " by " << html_escape(p.paused_by)
        << " &mdash; " << html_escape(p.reason) << "</div>\n";
  out << "<p class=\"legend\"><span class=\"planned\">planned</span><span "
         "class=\"done\">published</span><span class=\"held\">held</span><span "
         "class=\"requested\">requested</span><span class=\"paused\">paused</span><span "
         "class=\"failed\">rejected or failed</span></p>\n";
  for (const AccountWeek& w : weeks) {
    out << "<h2>" << html_escape(w.account.name) << " <span class=\"meta\">"
        << html_escape(w.account.network) << " &middot; "
        << html_escape(w.account.timezone.empty() ? "UTC" : w.account.timezone) << "</span></h2>\n";
    for (int start = 0; start < days; start += 7) {
      const int end = std::min(days, start + 7);
      out << "<table><tr>";
      for (int d = start; d < end; ++d) out << "<th>" << day_label(first_day + d) << "</th>";
      out << "</tr><tr>";
      for (int d = start; d < end; ++d) {
        out << "<td>";
        for (const PostView* p : w.days[static_cast<size_t>(d)]) {
          std::string title = p->state + (p->plan_note.empty() ? "" : ": " + p->plan_note) +
                              (p->paused.empty() ? "" : " (paused: " + p->paused + ")");
          out << "<div class=\"post " << state_class(*p) << "\" title=\"" << html_escape(title)
              << "\"><span class=\"t\">" << clock_in(when(*p), *w.zone) << "</span> #" << p->id
              << " " << html_escape(p->state) << "<span class=\"x\">"
              << html_escape(shorten(p->text, 90)) << "</span></div>";
        }
        out << "</td>";
      }
      out << "</tr></table>\n";
    }
  }
  out << "</body></html>\n";
  return out.str();
}

json pause_json(const PauseView& p) {
  return json{{"id", p.id},
              {"account", p.account},
              {"reason", p.reason},
              {"paused_by", p.paused_by},
              {"paused_at", format_utc(p.paused_ms)}};
}

json calendar_json(const std::vector<AccountWeek>& weeks, int64_t first_day, int days,
                   const std::vector<PauseView>& pauses) {
  json accounts = json::array();
  for (const AccountWeek& w : weeks) {
    json out_days = json::array();
    for (int d = 0; d < days; ++d) {
      std::vector<PostView> posts;
      for (const PostView* p : w.days[static_cast<size_t>(d)]) posts.push_back(*p);
      out_days.push_back({{"day", zoned::format_local((first_day + d) * kDay).substr(0, 10)},
                          {"posts", posts_json(posts)}});
    }
    accounts.push_back({{"account", w.account.name},
                        {"network", w.account.network},
                        {"timezone", w.account.timezone.empty() ? "UTC" : w.account.timezone},
                        {"days", out_days}});
  }
  json paused = json::array();
  for (const PauseView& p : pauses) paused.push_back(pause_json(p));
  return json{{"from", zoned::format_local(first_day * kDay).substr(0, 10)},
              {"days", days},
              {"pauses", paused},
              {"accounts", accounts}};
}

/// Writes a file whole or not at all: a temporary file beside it, renamed into place.
Status write_whole(const std::string& path, const std::string& content) {
  std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) return Status(ErrorCode::invalid_argument, path + ": cannot write the file");
    out << content;
    out.flush();
    if (!out) {
      std::filesystem::remove(temporary);
      return Status(ErrorCode::store, path + ": writing failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) {
    std::filesystem::remove(temporary);
    return Status(ErrorCode::store, path + ": " + ec.message());
  }
  return Status::ok();
}

}  // namespace

void add_schedule_commands(CLI::App& app, int& exit_code) {
  struct Options {
    std::string config, person, reason, account, file, from, html;
    int64_t post_id = 0;
    int days = 7;
    size_t count = 5;
    bool as_json = false;
  };
  auto o = std::make_shared<Options>();

  // urgent
  auto* urgent = app.add_subcommand(
      "urgent", "Send a held post at its requested time although it breaks the cadence.");
  urgent->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  urgent->add_option("ID", o->post_id, "post id")->required();
  urgent->add_option("--as", o->person, "who decides (the schedule step's urgent_role)")
      ->required();
  urgent->add_option("--reason", o->reason, "why it cannot wait (audited)")->required();
  urgent->add_flag("--json", o->as_json, "print the post as it is now, as JSON");
  urgent->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    if (failed(host->mark_urgent(o->post_id, o->person, o->reason), exit_code)) return;
    print_post_result(*host, o->post_id, o->as_json,
                      "post " + std::to_string(o->post_id) + " marked urgent by " + o->person,
                      exit_code);
  });

  // retry
  auto* retry = app.add_subcommand(
      "retry", "Try a held post again (its account's credentials were refused and are fixed).");
  retry->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  retry->add_option("ID", o->post_id, "post id")->required();
  retry->add_option("--as", o->person, "who asks (a person from `people`)")->required();
  retry->add_option("--reason", o->reason, "what was fixed (audited)");
  retry->add_flag("--json", o->as_json, "print the post as it is now, as JSON");
  retry->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    if (failed(host->retry(o->post_id, o->person, o->reason), exit_code)) return;
    print_post_result(*host, o->post_id, o->as_json,
                      "post " + std::to_string(o->post_id) + " will be tried again", exit_code);
  });

  // pause / resume / pauses
  auto* pause = app.add_subcommand(
      "pause", "Stop everything not yet published, at once (crisis pause); audited.");
  pause->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  pause->add_option("--account", o->account, "pause one account (default: every account)");
  pause->add_option("--reason", o->reason, "why (shown on every paused post)")->required();
  pause->add_option("--as", o->person, "who pauses (a person from `people`)")->required();
  pause->add_flag("--json", o->as_json, "print JSON");
  pause->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto paused = host->pause(o->account, o->person, o->reason);
    if (failed(paused, exit_code)) return;
    if (o->as_json) {
      std::cout << json_text(pause_json(*paused));
      return;
    }
    std::cout << scope(o->account) << " paused by " << o->person << " at "
              << format_utc(paused->paused_ms)
              << "; nothing of it is published until `herald resume`\n";
  });
  auto* resume = app.add_subcommand(
      "resume",
      "End a pause: posts whose time is ahead keep it, posts whose slot passed take the next.");
  resume->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  resume->add_option("--account", o->account,
                     "the paused account (default: the pause of every "
                     "account)");
  resume->add_option("--as", o->person, "who resumes (a person from `people`)")->required();
  resume->add_option("--reason", o->reason, "why it is safe again (audited)");
  resume->add_flag("--json", o->as_json, "print JSON");
  resume->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto resumed = host->resume(o->account, o->person, o->reason);
    if (failed(resumed, exit_code)) return;
    if (o->as_json) {
      json still = json::array();
      for (const PauseView& p : resumed->still_paused) still.push_back(pause_json(p));
      std::cout << json_text(json{{"pause", pause_json(resumed->pause)},
                                  {"due", resumed->due},
                                  {"replanned", resumed->replanned},
                                  {"still_paused", still}});
      return;
    }
    std::cout << scope(o->account) << " resumed by " << o->person << " (paused by "
              << resumed->pause.paused_by << " since " << format_utc(resumed->pause.paused_ms)
              << "); " << resumed->due << " post(s) became due during the pause, "
              << resumed->replanned << " of them take the next free slot\n";
    for (const PauseView& p : resumed->still_paused)
      std::cout << "still paused: " << scope(p.account) << " (by " << p.paused_by << ": "
                << p.reason << ")\n";
  });
  auto* pauses = app.add_subcommand("pauses", "The pauses in effect.");
  pauses->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  pauses->add_flag("--json", o->as_json, "print JSON");
  pauses->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
    if (!host) return;
    auto active = host->pauses();
    if (failed(active, exit_code)) return;
    if (o->as_json) {
      json out = json::array();
      for (const PauseView& p : *active) out.push_back(pause_json(p));
      std::cout << json_text(out);
      return;
    }
    if (active->empty()) std::cout << "nothing is paused\n";
    for (const PauseView& p : *active)
      std::cout << scope(p.account) << ": paused by " << p.paused_by << " since "
                << format_utc(p.paused_ms) << ": " << p.reason << "\n";
  });

  // engagement import
  auto* engagement = app.add_subcommand("engagement", "An account's engagement history.");
  engagement->require_subcommand(1);
  auto* import = engagement->add_subcommand(
      "import", "Import CSV rows: timestamp,impressions,engagements (all rows or none).");
  import->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
  import->add_option("--account", o->account, "the account the history belongs to")->required();
  import
      ->add_option("FILE", o->file,
                   "CSV file; timestamps without a zone are read in the "
                   "account's")
      ->required();
  import->add_flag("--json", o->as_json, "print JSON");
  import->callback([o, &exit_code] {
    auto host = open_or_report(o->config, exit_code);
  if (!host) return;
  auto imported = host->import_engagement(o->account, o->file);
  if (failed(imported, exit_code)) return;
  if (o->as_json) {
    std::cout << json_text(json{{"account", o->account},
                                {"rows", imported->rows},
                                {"added", imported->added},
                                {"replaced", imported->replaced},
                                {"first_at", format_utc(imported->first_ms)},
                                {"last_at", format_utc(imported->last_ms)}});
    return;
  }
  std::cout << "imported " << imported->rows << " row(s) for " << o->account << " ("
            << imported->added << " new, " << imported->replaced << " replaced), "
            << format_utc(imported->first_ms) << " to " << format_utc(imported->last_ms) << "\n";
});

// slots
auto* slots = app.add_subcommand(
    "slots", "Suggest the best weekly slots from an account's engagement history.");
slots->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
slots->add_option("--account", o->account, "the account")->required();
slots->add_option("--count", o->count, "how many slots (default 5)");
slots->add_flag("--json", o->as_json, "print JSON");
slots->callback([o, &exit_code] {
  auto host = open_or_report(o->config, exit_code);
  if (!host) return;
  auto best = host->best_slots(o->account, o->count);
  if (failed(best, exit_code)) return;
  std::string zone;
  for (const AccountDescription& a : host->accounts())
    if (a.name == o->account) zone = a.timezone.empty() ? "UTC" : a.timezone;
  if (o->as_json) {
    json out = json::array();
    for (const SlotSuggestion& s : *best)
      out.push_back({{"day", kDayNames[s.weekday]},
                     {"time", zoned::format_local(s.minute * zoned::kMinute).substr(11, 5)},
                     {"zone", zone},
                     {"rate", s.rate},
                     {"raw_rate", s.raw_rate},
                     {"lift", s.lift},
                     {"posts", s.posts},
                     {"impressions", s.impressions},
                     {"engagements", s.engagements}});
    std::cout << json_text(out);
    return;
  }
  if (best->empty()) {
    std::cout << "no suggestion for " << o->account
              << ": import its history first (herald engagement import); an hour needs 3 "
                 "posts to count\n";
    return;
  }
  std::cout << "best slots for " << o->account << " (" << zone
            << "), from its engagement history:\n";
  char line[200];
  std::snprintf(line, sizeof line, "  %-4s %-6s %9s %9s %6s %6s %12s\n", "DAY", "TIME", "RATE",
                "OWN RATE", "LIFT", "POSTS", "IMPRESSIONS");
  std::cout << line;
  for (const SlotSuggestion& s : *best) {
    std::snprintf(line, sizeof line, "  %-4s %-6s %8.2f%% %8.2f%% %5.2fx %6lld %12lld\n",
                  kDayNames[s.weekday],
                  zoned::format_local(s.minute * zoned::kMinute).substr(11, 5).c_str(),
                  s.rate * 100, s.raw_rate * 100, s.lift, static_cast<long long>(s.posts),
                  static_cast<long long>(s.impressions));
    std::cout << line;
  }
  std::cout << "RATE is engagements per impression, shrunk towards the account's overall rate "
               "and averaged with the neighbouring hours; see docs/scheduling.md\n";
});

// calendar
auto* calendar =
    app.add_subcommand("calendar", "The plan, as a week view per account (or an HTML page).");
calendar->add_option("CONFIG", o->config, "workflow configuration (YAML)")->required();
calendar->add_option("--from", o->from, "first day, 2026-11-30 (default: today)");
calendar->add_option("--days", o->days, "how many days (default 7)")->check(CLI::Range(1, 366));
calendar->add_option("--account", o->account, "one account (default: all)");
calendar->add_option("--html", o->html, "write one self-contained HTML page to this file");
calendar->add_flag("--json", o->as_json, "print JSON: each account's days and their posts");
calendar->callback([o, &exit_code] {
  auto host = open_or_report(o->config, exit_code);
  if (!host) return;
  const int64_t now = host->clock().now_ms();
  int64_t first_day = zoned::local_parts(now).day;  // a day number, read in each zone below
  if (!o->from.empty()) {
    Result<ZonedInstant> day = parse_time(o->from + " 00:00", "UTC");
    if (!day) {
      exit_code = fail(Status(ErrorCode::invalid_argument, "--from: write a day as 2026-11-30 (" +
                                                               day.status().message() + ")"));
      return;
    }
    first_day = day->utc_ms / kDay;
  }
  // Read a day or two around the range: each account's days are its own local days.
  auto posts = host->calendar((first_day - 1) * kDay, (first_day + o->days + 1) * kDay, o->account);
  if (failed(posts, exit_code)) return;
  auto active = host->pauses();
  if (failed(active, exit_code)) return;
  std::vector<AccountWeek> weeks;
  for (const AccountDescription& a : host->accounts()) {
    if (!o->account.empty() && a.name != o->account) continue;
    AccountWeek w;
    w.account = a;
    w.zone = zoned::find_zone(a.timezone.empty() ? "UTC" : a.timezone);
    w.days.resize(static_cast<size_t>(o->days));
    for (const PostView& p : *posts) {
      if (p.account != a.name) continue;
      int64_t day = zoned::local_parts(zoned::to_local_ms(when(p), *w.zone)).day - first_day;
      if (day >= 0 && day < o->days) w.days[static_cast<size_t>(day)].push_back(&p);
    }
    weeks.push_back(std::move(w));
  }
  if (o->as_json) {
    std::cout << json_text(calendar_json(weeks, first_day, o->days, *active));
    return;
  }
  if (o->html.empty()) {
    std::cout << calendar_text(weeks, first_day, o->days, *active);
    return;
  }
  if (failed(write_whole(o->html, calendar_html(weeks, first_day, o->days, *active, now)),
             exit_code))
    return;
  std::cout << "wrote " << o->html << "\n";
});
}  // namespace herald

}  // namespace herald
