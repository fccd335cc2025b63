// The scheduling side of the Host: urgent posts, crisis pauses, engagement history, best-time
// suggestions and the calendar.
#include "host_impl.hpp"
#include "text/csv.hpp"
#include "text/input_check.hpp"

#include "schedule/best_time.hpp"
#include "time/time.hpp"

#include <fstream>
#include <sstream>

namespace herald {
namespace {

PauseView view_of(const Pause& p) {
  return {p.id,        p.account,    p.reason,     p.paused_by,
          p.paused_ms, p.resumed_by, p.resumed_ms, p.resume_reason};
}

std::string scope_of(const std::string& account) {
  return account.empty() ? std::string("every account") : "account " + account;
}

/// Checks that `account` ("" allowed when `allow_all`) names a configured account.
Status check_account(const Configuration& config, const std::string& account, bool allow_all) {
  if ((account.empty() && allow_all) || config.account(account)) return Status::ok();
  return unknown("account", account, config.accounts, config.file);
}

/// `f` without the spaces and tabs around it.
std::string trimmed(const std::string& f) {
  size_t start = f.find_first_not_of(" \t");
  size_t end = f.find_last_not_of(" \t");
  return start == std::string::npos ? "" : f.substr(start, end - start + 1);
}

std::optional<int64_t> whole_number(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value > (INT64_MAX - 9) / 10) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

Status Host::Impl::mark_paused(std::vector<PostView>& views) const {
  Result<std::vector<Pause>> pauses = store->active_pauses();
  if (!pauses) return pauses.status();
  if (pauses->empty()) return Status::ok();
  for (PostView& v : views) {
    if (v.state == "done" || v.state == "rejected" || v.state == "failed" || v.state == "cancelled")
      continue;
    for (const Pause& p : *pauses)
      if (p.account.empty() || p.account == v.account) v.paused = p.reason;
  }
  return Status::ok();
}

Status Host::mark_urgent(int64_t post_id, const std::string& person, const std::string& reason) {
  if (Status s = impl_->require_store(); !s) return s;
  if (reason.empty())
    return Status(ErrorCode::invalid_argument,
                  "say why the post cannot wait (--reason); it goes into the audit trail");
  return impl_->record_event(post_id, "urgent", person, reason, "");
}

Result<PauseView> Host::pause(const std::string& account, const std::string& person,
                              const std::string& reason) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  if (Status s = check_input("the reason", reason, kLongTextLimit); !s) return s;
  if (Status s = check_account(config, account, true); !s) return s;
  if (!config.person(person)) return unknown_person(config, person);
  if (reason.empty())
    return Status(ErrorCode::invalid_argument,
                  "a pause needs a reason (--reason); it is shown on every paused post");
  Pause pause;
  pause.account = account;
  pause.reason = reason;
  pause.paused_by = person;
  pause.paused_ms = impl_->clock->now_ms();
  AuditEntry audit{0,        pause.paused_ms,
                   person,   "pause",
                   "",       "",
                   "paused", scope_of(account) + " paused: " + reason};
  if (Status s = impl_->store->add_pause(pause, audit); !s) return s;
  return view_of(pause);
}

Result<ResumeSummary> Host::resume(const std::string& account, const std::string& person,
                                   const std::string& reason) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  if (Status s = check_input("the reason", reason, kLongTextLimit); !s) return s;
  if (Status s = check_account(config, account, true); !s) return s;
  if (!config.person(person)) return unknown_person(config, person);
  const int64_t now = impl_->clock->now_ms();
  ResumeSummary summary;
  Result<std::pair<int64_t, int64_t>> due = impl_->store->due_counts(account, now);
  if (!due) return due.status();
  summary.due = due->first;
  summary.replanned = due->second;
  AuditEntry audit{0,
                   now,
                   person,
                   "resume",
                   "",
                   "paused",
                   "resumed",
                   scope_of(account) + " resumed" + (reason.empty() ? "" : ": " + reason) + "; " +
                       std::to_string(summary.due) + " post(s) became due during the pause, " +
                       std::to_string(summary.replanned) + " of them take the next free slot"};
  Result<Pause> ended = impl_->store->end_pause(account, person, reason, now, audit);
  if (!ended) return ended.status();
  summary.pause = view_of(*ended);
  Result<std::vector<Pause>> rest = impl_->store->active_pauses();
  if (!rest) return rest.status();
  for (const Pause& p : *rest) summary.still_paused.push_back(view_of(p));
  return summary;
}

Result<std::vector<PauseView>> Host::pauses() {
  if (Status s = impl_->require_store(); !s) return s;
  Result<std::vector<Pause>> active = impl_->store->active_pauses();
  if (!active) return active.status();
  std::vector<PauseView> out;
  for (const Pause& p : *active) out.push_back(view_of(p));
  return out;
}

Result<EngagementImport> Host::import_engagement(const std::string& account,
                                                 const std::string& csv_path) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  if (Status s = check_account(config, account, false); !s) return s;
  const AccountConfig& settings = *config.account(account);
  std::ifstream in(csv_path, std::ios::binary);
  if (!in) return Status(ErrorCode::not_found, csv_path + ": cannot open the engagement history");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Status(ErrorCode::store, csv_path + ": read error");
  auto records = csv::parse(content.str());
  if (!records)
    return Status(ErrorCode::invalid_argument,
                  csv_path + ":" + records.status().message() + "; nothing was imported");
  std::vector<EngagementRow> rows;
  int64_t number = 0;
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::invalid_argument,
                  csv_path + ":" + std::to_string(number) + ": " + why + "; nothing was imported");
  };
  for (const csv::Row& record : *records) {
    number = record.line;
    std::vector<std::string> fields;
    for (const std::string& f : record.fields) fields.push_back(trimmed(f));
    if (fields.size() == 1 && fields[0].empty()) continue;  // a line of spaces
    if (&record == &records->front() && fields[0] == "timestamp") {
      if (fields.size() < 3 || fields[1] != "impressions" || fields[2] != "engagements")
        return bad("the header must be timestamp,impressions,engagements");
      continue;
    }
    if (fields.size() != 3)
      return bad("expected 3 fields (timestamp,impressions,engagements), found " +
                 std::to_string(fields.size()));
    Result<ZonedInstant> at = parse_time(fields[0], settings.timezone);
    if (!at) return bad(at.status().message());
    std::optional<int64_t> impressions = whole_number(fields[1]);
    std::optional<int64_t> engagements = whole_number(fields[2]);
    if (!impressions) return bad("impressions must be a whole number, got '" + fields[1] + "'");
    if (!engagements) return bad("engagements must be a whole number, got '" + fields[2] + "'");
    // More than any post has had; larger numbers would also overflow the sums below.
    constexpr int64_t kMaxCount = 1'000'000'000'000;
    if (*impressions > kMaxCount)
      return bad("impressions (" + fields[1] + ") cannot exceed 10^12 for one post");
    if (*engagements > kMaxCount)
      return bad("engagements (" + fields[2] + ") cannot exceed 10^12 for one post");
    if (*engagements > *impressions * 100)
      return bad("engagements (" + fields[2] + ") cannot plausibly exceed impressions (" +
                 fields[1] + ") a hundredfold; are the columns swapped?");
    rows.push_back({at->utc_ms, *impressions, *engagements});
  }
  if (rows.empty()) return Status(ErrorCode::invalid_argument, csv_path + ": no rows to import");
  Result<int64_t> added = impl_->store->import_engagement(account, rows);
  if (!added) return added.status();
  EngagementImport out;
  out.rows = static_cast<int64_t>(rows.size());
  out.added = *added;
  out.replaced = out.rows - out.added;
  out.first_ms = rows.front().at_ms;
  out.last_ms = rows.front().at_ms;
  for (const EngagementRow& r : rows) {
    out.first_ms = std::min(out.first_ms, r.at_ms);
    out.last_ms = std::max(out.last_ms, r.at_ms);
  }
  return out;
}

Result<std::vector<SlotSuggestion>> Host::best_slots(const std::string& account, size_t count) {
  if (Status s = impl_->require_store(); !s) return s;
  const Configuration& config = impl_->config;
  if (Status s = check_account(config, account, false); !s) return s;
  const AccountConfig& settings = *config.account(account);
  const date::time_zone* zone =
      zoned::find_zone(settings.timezone.empty() ? "UTC" : settings.timezone);
  Result<std::vector<EngagementRow>> history = impl_->store->engagement(account);
  if (!history) return history.status();
  std::vector<SlotSuggestion> slots = suggest_slots(*history, *zone);
  if (slots.size() > count) slots.resize(count);
  return slots;
}

Result<std::vector<PostView>> Host::calendar(int64_t from_ms, int64_t to_ms,
                                             const std::string& account) {
  if (Status s = impl_->require_store(); !s) return s;
  if (Status s = check_account(impl_->config, account, true); !s) return s;
  Result<std::vector<Post>> posts = impl_->store->calendar(from_ms, to_ms, account);
  if (!posts) return posts.status();
  std::vector<PostView> out;
  for (const Post& p : *posts) out.push_back(herald::view_of(p, impl_->config));
  if (Status s = impl_->mark_paused(out); !s) return s;
  return out;
}

std::vector<AccountDescription> Host::accounts() const {
  std::vector<AccountDescription> out;
  for (const AccountConfig& a : impl_->config.accounts)
    out.push_back({a.name, a.network, a.handle, a.timezone});
  return out;
}

}  // namespace herald
