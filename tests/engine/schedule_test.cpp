// Scheduling on the virtual clock: cadence caps and gaps, slots across audience zones,
// blackouts, urgent exceptions, crisis pause and resume, leases, and best-time suggestions.
#include <herald/host.hpp>

#include "store/store.hpp"
#include "support/test_support.hpp"
#include "time/time.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

namespace herald {
namespace {

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

int64_t utc(const std::string& text) {
  return parse_time(text, "UTC")->utc_ms;
}

constexpr const char* kConfig = R"(herald: 1
store: { path: schedule.db }
accounts:
  corp: { network: mastodon, timezone: America/New_York }
  slotted: { network: mastodon, timezone: America/New_York }
  global:
    network: mastodon
    audiences:
      - { zone: America/New_York, share: 70 }
      - { zone: Europe/London, share: 30 }
  nozone: { network: mastodon }
people:
  ana: { roles: [writer] }
  cleo: { roles: [comms_lead] }
workflows:
  cadenced:
    steps:
      - kind: schedule
        plugin: schedule/cadence
        config:
          per_day: 2
          min_gap: 2h
          days: [mon-fri]
          hours: "08:00-18:00"
          urgent_role: comms_lead
          blackouts:
            - { name: year-end freeze, from: "2026-12-24 00:00", to: "2026-12-27 00:00", accounts: [corp] }
          accounts:
            - { account: slotted, slots: ["weekdays 09:00 17:00"], per_day: 0, min_gap: 0 }
            - account: global
              slots: ["daily 09:00 Europe/London", "daily 09:00 America/New_York"]
              per_day: 0
              min_gap: 0
              days: [daily]
            - { account: nozone, per_day: 0, min_gap: 0, days: [daily], hours: "00:00-24:00" }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
  best:
    steps:
      - kind: schedule
        plugin: schedule/cadence
        config: { best_slots: 1, accounts: [{ account: nozone, best_slots: 0 }] }
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)";

class Scheduling : public ::testing::Test {
 protected:
  void SetUp() override { open(utc("2026-11-30T08:00:00Z")); }  // Monday 03:00 in New York

  void open(int64_t start) {
    host_.reset();
    config_ = dir_.write("company.yaml", kConfig);
    HostOptions options;
    options.clock = make_virtual_clock(start);
    auto host = Host::open(config_, options);
    ASSERT_TRUE(host) << host.status().message();
    host_ = std::move(*host);
  }
  int64_t submit(const std::string& account, const std::string& at = "",
                 const std::string& workflow = "cadenced") {
    SubmitRequest request;
    request.workflow = workflow;
    request.account = account;
    request.author = "ana";
    request.text = "Post for " + account;
    request.at = at;
    auto id = host_->submit(request);
    EXPECT_TRUE(id) << id.status().message();
    return id ? *id : 0;
  }
  PostView post(int64_t id) { return *host_->post(id); }
  int64_t now() { return host_->clock().now_ms(); }
  void run_until(int64_t at) {
    RunOptions options;
    options.until_ms = at;
    auto summary = host_->run(options);
    ASSERT_TRUE(summary) << summary.status().message();
  }
  void run_now() { run_until(now()); }

  testing::TempDir dir_;
  std::string config_;
  std::unique_ptr<Host> host_;
};

TEST_F(Scheduling, PostsWithoutATimeTakeTheNextFreeTimeWithinCapAndGap) {
  int64_t a = submit("corp"), b = submit("corp"), c = submit("corp");
  run_now();
  // 08:00 New York is the first allowed time; the gap is 2h; the daily cap is 2.
  EXPECT_EQ(format_utc(post(a).planned_ms), "2026-11-30T13:00:00Z");
  EXPECT_EQ(format_utc(post(b).planned_ms), "2026-11-30T15:00:00Z");
  EXPECT_EQ(format_utc(post(c).planned_ms), "2026-12-01T13:00:00Z");
  EXPECT_EQ(post(a).state, "waiting");
  EXPECT_NE(post(c).plan_note.find("2026-12-01 08:00 EST"), std::string::npos) << post(c).plan_note;
  run_until(utc("2026-11-30T14:00:00Z"));
  EXPECT_EQ(post(a).state, "done");
  EXPECT_EQ(post(b).state, "waiting");
  run_until(utc("2026-12-02T00:00:00Z"));
  EXPECT_EQ(post(b).state, "done");
  EXPECT_EQ(post(c).state, "done");
}

TEST_F(Scheduling, AFixedTimeThatBreaksTheCadenceIsHeldUntilSomeoneWithTheRightSaysUrgent) {
  int64_t first = submit("corp");
  run_now();                                           // planned Monday 08:00 New York
  int64_t fixed = submit("corp", "2026-11-30 09:00");  // read in the account's zone
  run_now();
  PostView held = post(fixed);
  EXPECT_EQ(held.state, "held");
  EXPECT_NE(held.reason.find("min_gap 120 minutes"), std::string::npos) << held.reason;
  EXPECT_NE(held.reason.find("comms_lead"), std::string::npos) << held.reason;

  Status refused = host_->mark_urgent(fixed, "ana", "launch");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.message().find("comms_lead"), std::string::npos) << refused.message();
  ASSERT_FALSE(host_->mark_urgent(fixed, "cleo", ""));  // a reason is required
  ASSERT_TRUE(host_->mark_urgent(fixed, "cleo", "press embargo lifts at 9"));
  run_now();
  EXPECT_EQ(format_utc(post(fixed).planned_ms), "2026-11-30T14:00:00Z");
  EXPECT_NE(post(fixed).plan_note.find("marked urgent by cleo"), std::string::npos);
  run_until(utc("2026-11-30T15:00:00Z"));
  EXPECT_EQ(post(first).state, "done");
  EXPECT_EQ(post(fixed).state, "done");
}

TEST_F(Scheduling, AFixedTimeWithinTheCadenceKeepsItsTimeAndZone) {
  int64_t id = submit("corp", "2026-12-01 11:15 America/Chicago");
  run_now();
  EXPECT_EQ(format_utc(post(id).planned_ms), "2026-12-01T17:15:00Z");
  EXPECT_EQ(post(id).zone, "America/Chicago");
}

TEST_F(Scheduling, QuietHoursHoldAFixedTimeAtNight) {
  int64_t id = submit("corp", "2026-12-01 23:30");
  run_now();
  EXPECT_EQ(post(id).state, "held");
  EXPECT_NE(post(id).reason.find("outside the allowed days and hours (mon-fri 08:00-18:00"),
            std::string::npos)
      << post(id).reason;
}

TEST_F(Scheduling, SlotsAreTakenInOrderInTheAccountsZone) {
  int64_t a = submit("slotted"), b = submit("slotted"), c = submit("slotted");
  run_now();
  EXPECT_EQ(format_utc(post(a).planned_ms), "2026-11-30T14:00:00Z");  // 09:00 EST
  EXPECT_EQ(format_utc(post(b).planned_ms), "2026-11-30T22:00:00Z");  // 17:00 EST
  EXPECT_EQ(format_utc(post(c).planned_ms), "2026-12-01T14:00:00Z");
  EXPECT_NE(post(a).plan_note.find("slot weekdays 09:00 17:00"), std::string::npos)
      << post(a).plan_note;
}

TEST_F(Scheduling, SlotsAcrossZonesPickTheOneThatCoversMostOfTheAudience) {
  // 09:00 in London (09:00Z) comes first but is 04:00 in New York, where 70% of the audience
  // is; 09:00 in New York (14:00Z) is 14:00 in London: within hours for everyone.
  int64_t id = submit("global");
  run_now();
  EXPECT_EQ(format_utc(post(id).planned_ms), "2026-11-30T14:00:00Z");
  EXPECT_NE(post(id).plan_note.find("covers 100% of the audience"), std::string::npos)
      << post(id).plan_note;
}

TEST_F(Scheduling, BlackoutsHoldFixedTimesAndPushSlotsPastThem) {
  int64_t fixed = submit("corp", "2026-12-24 10:00");
  run_now();
  EXPECT_EQ(post(fixed).state, "held");
  EXPECT_NE(post(fixed).reason.find("blackout 'year-end freeze'"), std::string::npos)
      << post(fixed).reason;

  open(utc("2026-12-23T23:00:00Z"));  // Wednesday 18:00 in New York: past today's hours
  int64_t free = submit("corp");
  run_now();
  // Thursday 24 and Friday 25 are in the freeze, the weekend is not allowed: Monday 28.
  EXPECT_EQ(format_utc(post(free).planned_ms), "2026-12-28T13:00:00Z");
}

TEST_F(Scheduling, PauseStopsPostsAlreadyDueAndResumeGivesMissedOnesTheNextSlot) {
  int64_t a = submit("corp"), b = submit("corp"), c = submit("corp");
  run_now();  // planned Mon 13:00Z, Mon 15:00Z, Tue 13:00Z
  auto pause = host_->pause("corp", "cleo", "incident in progress");
  ASSERT_TRUE(pause) << pause.status().message();
  auto again = host_->pause("corp", "ana", "me too");
  ASSERT_FALSE(again);
  EXPECT_NE(again.status().message().find("already paused by cleo"), std::string::npos)
      << again.status().message();

  run_until(utc("2026-11-30T16:00:00Z"));  // both of Monday's slots pass during the pause
  EXPECT_EQ(post(a).state, "waiting");
  EXPECT_EQ(post(b).state, "waiting");
  EXPECT_EQ(post(a).remote_id, "");
  auto paused = host_->calendar(utc("2026-11-30T00:00:00Z"), utc("2026-12-07T00:00:00Z"), "corp");
  ASSERT_TRUE(paused);
  ASSERT_EQ(paused->size(), 3u);
  EXPECT_EQ(paused->front().paused, "incident in progress");

  auto resumed = host_->resume("corp", "ana", "all clear");
  ASSERT_TRUE(resumed) << resumed.status().message();
  EXPECT_EQ(resumed->due, 2);
  EXPECT_EQ(resumed->replanned, 2);
  EXPECT_FALSE(host_->resume("corp", "ana", "twice"));  // nothing left to resume

  run_now();
  // Monday is full (two posts planned for it before the pause, which still count), so the
  // missed posts move on; c keeps its Tuesday slot.
  EXPECT_EQ(post(a).state, "waiting");
  EXPECT_NE(post(a).plan_note.find("missed its slot"), std::string::npos) << post(a).plan_note;
  EXPECT_EQ(format_utc(post(c).planned_ms), "2026-12-01T13:00:00Z");
  run_until(utc("2026-12-04T00:00:00Z"));
  for (int64_t id : {a, b, c}) EXPECT_EQ(post(id).state, "done") << id;

  std::string trail;
  Result<std::vector<AuditRecord>> audit = host_->audit(std::nullopt);
  ASSERT_TRUE(audit);
  for (const AuditRecord& r : *audit)
    if (r.action == "pause" || r.action == "resume") trail += r.actor + " " + r.action + "\n";
  EXPECT_EQ(trail, "cleo pause\nana resume\n");
}

TEST_F(Scheduling, PauseOfEverythingStopsEveryAccount) {
  int64_t a = submit("slotted"), b = submit("nozone");
  ASSERT_TRUE(host_->pause("", "cleo", "crisis"));
  run_until(utc("2026-12-01T00:00:00Z"));
  EXPECT_EQ(post(a).state, "ready");  // never even reached its schedule step
  EXPECT_EQ(post(b).state, "ready");
  EXPECT_FALSE(host_->resume("corp", "cleo", ""));  // only the pause of every account exists
  ASSERT_TRUE(host_->resume("", "cleo", "over"));
  run_until(utc("2026-12-02T00:00:00Z"));
  EXPECT_EQ(post(a).state, "done");
  EXPECT_EQ(post(b).state, "done");
}

TEST_F(Scheduling, AClaimOfAWorkerThatDiedIsTakenOverWhenItsLeaseExpires) {
  int64_t id = submit("nozone");
  {
    auto store = open_sqlite_store(dir_.file("schedule.db"));
    ASSERT_TRUE(store) << store.status().message();
    std::vector<Transition> none;
    Lease dead{"worker-that-died", now() + 5 * kMinute};
    auto claimed = (*store)->commit_and_claim(none, now(), 10, dead, nullptr);
    ASSERT_TRUE(claimed) << claimed.status().message();
    ASSERT_EQ(claimed->size(), 1u);
  }
  EXPECT_EQ(post(id).state, "in_flight");
  run_until(now() + kMinute);  // the lease still holds
  EXPECT_EQ(post(id).state, "in_flight");
  run_until(now() + 10 * kMinute);
  EXPECT_EQ(post(id).state, "done");
}

TEST_F(Scheduling, BadTimesAreRefusedWithAClearMessage) {
  SubmitRequest request{"cadenced", "nozone", "ana", "text", {}, "2026-12-01 09:00"};
  auto no_zone = host_->submit(request);
  ASSERT_FALSE(no_zone);
  EXPECT_NE(no_zone.status().message().find("has no time zone and the account has none"),
            std::string::npos)
      << no_zone.status().message();

  request.account = "corp";
  request.at = "2026-11-01 09:00";
  auto past = host_->submit(request);
  ASSERT_FALSE(past);
  EXPECT_NE(past.status().message().find("is in the past"), std::string::npos);

  request.at = "2026-12-01 09:00 Mars/Olympus";
  auto zone = host_->submit(request);
  ASSERT_FALSE(zone);
  EXPECT_NE(zone.status().message().find("unknown time zone 'Mars/Olympus'"), std::string::npos);

  request.at = "2027-03-14 02:30";  // New York springs forward at 02:00
  request.dst_policy = "reject";
  auto gap = host_->submit(request);
  ASSERT_FALSE(gap);
  EXPECT_NE(gap.status().message().find("does not exist in America/New_York"), std::string::npos)
      << gap.status().message();
  request.dst_policy = "earliest";
  auto shifted = host_->submit(request);
  ASSERT_TRUE(shifted) << shifted.status().message();
  EXPECT_EQ(format_utc(post(*shifted).publish_at_ms), "2027-03-14T07:00:00Z");
  EXPECT_NE(post(*shifted).time_note.find("earliest gives 2027-03-14 03:00 EDT"), std::string::npos)
      << post(*shifted).time_note;
  EXPECT_EQ(post(*shifted).state, "ready");  // nothing half-written for the refused ones
  EXPECT_EQ(host_->posts()->size(), 1u);
}

// A cadence that can never be met, or that needs a zone the account lacks, stops the
// configuration from loading, at the place it was written.
TEST(SchedulingConfig, ImpossibleCadencesAreRefusedAtLoad) {
  struct Case {
    std::string config;
    std::string expected;
  };
  std::vector<Case> cases = {
      {"days: [sat]\n          slots: [\"weekdays 09:00\"]", "can never be met: no slot falls"},
      {"hours: \"09:00-09:00\"", "allow no time at all"},
      {"days: [funday]", "unknown day 'funday'"},
      {"per_day: 2", "has no timezone or audiences"},
      {"blackouts: [{ name: all, days: [daily] }]", "covers every allowed day"},
      {"slots: [\"weekdays 9am\"]", "cannot read the time '9am'"},
      {"urgent_role: ceo", "nobody has the role 'ceo'"},
  };
  for (const Case& c : cases) {
    testing::TempDir dir;
    std::string yaml = std::string(R"(herald: 1
store: { path: s.db }
accounts:
  corp: { network: mastodon, timezone: America/New_York }
  plain: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  w:
    steps:
      - kind: schedule
        plugin: schedule/cadence
        config:
          )") + c.config +
                       R"(
      - { kind: publish, plugin: outbox, config: { directory: out } }
)";
    if (c.expected.find("timezone") == std::string::npos) {
      // Only the case about zones keeps the account without one.
      size_t plain = yaml.find("  plain: { network: mastodon }\n");
      yaml.erase(plain, std::string("  plain: { network: mastodon }\n").size());
    }
    auto host = Host::open(dir.write("c.yaml", yaml));
    ASSERT_FALSE(host) << c.config;
    EXPECT_NE(host.status().message().find(c.expected), std::string::npos)
        << host.status().message();
    EXPECT_NE(host.status().message().find("c.yaml:"), std::string::npos)
        << host.status().message();
  }
}

// A synthetic history whose best hour is known: Tuesdays at 10:00 in New York engage at 6%,
// every other hour at 2% (with noise), and one lucky post on a Sunday at 03:00 at 50%.
std::string synthetic_history() {
  std::mt19937 random(7);
  std::normal_distribution<double> noise(0.0, 0.002);
  std::string csv = "timestamp,impressions,engagements\n";
  const int64_t start = utc("2026-06-01T00:00:00Z");  // 26 weeks
  for (int64_t t = start; t < start + 26 * 7 * kDay; t += 5 * kHour) {
    // Posts every 5 hours walk through every hour of the week.
    int64_t local = t - 4 * kHour;  // EDT for the summer months is close enough for the data
    (void)local;
    csv += format_utc(t) + ",1000," +
           std::to_string(static_cast<int>(std::lround(1000 * (0.02 + noise(random))))) + "\n";
  }
  for (int week = 0; week < 26; ++week) {
    const int64_t tuesday_10 = utc("2026-06-02 10:00 America/New_York") + week * 7 * kDay;
    csv += format_utc(tuesday_10 + 5 * kMinute) + ",1000,60\n";
  }
  csv += "2026-06-07 03:00 America/New_York,100,50\n";
  return csv;
}

TEST_F(Scheduling, BestTimesComeFromTheAccountsOwnHistory) {
  std::string file = dir_.write("history.csv", synthetic_history());
  auto imported = host_->import_engagement("corp", file);
  ASSERT_TRUE(imported) << imported.status().message();
  EXPECT_EQ(imported->replaced, 0);
  auto again = host_->import_engagement("corp", file);  // the same rows again replace, not add
  ASSERT_TRUE(again);
  EXPECT_EQ(again->added, 0);
  EXPECT_EQ(again->replaced, imported->rows);

  auto slots = host_->best_slots("corp", 3);
  ASSERT_TRUE(slots) << slots.status().message();
  ASSERT_FALSE(slots->empty());
  EXPECT_EQ(slots->front().weekday, 1);  // Tuesday
  EXPECT_EQ(slots->front().minute, 10 * 60);
  EXPECT_GE(slots->front().posts, 26);
  EXPECT_GT(slots->front().lift, 1.5);
  // The lucky Sunday post lifts its hour, but shrinking towards the overall rate keeps it below
  // an hour that is good week after week.
  for (const SlotSuggestion& s : *slots) {
    if (s.weekday == 6 && s.minute == 3 * 60) {
      EXPECT_LT(s.rate, s.raw_rate);
    }
  }

  // The schedule step can take the best slot as its slot.
  int64_t id = submit("corp", "", "best");
  run_now();
  EXPECT_EQ(format_utc(post(id).planned_ms), "2026-12-01T15:00:00Z");  // Tue 10:00 EST
  EXPECT_NE(post(id).plan_note.find("best time tue 10:00"), std::string::npos)
      << post(id).plan_note;
}

TEST_F(Scheduling, EngagementHistoryIsReadAsRfc4180Csv) {
  std::string file = dir_.write("quoted.csv",
                                "\xEF\xBB\xBF\"timestamp\",\"impressions\",\"engagements\"\r\n"
                                "\"2026-06-01T10:00:00Z\",\"1000\",20\r\n"
                                "\r\n"
                                "2026-06-01T11:00:00Z, 500 ,\"5\"");
  auto imported = host_->import_engagement("corp", file);
  ASSERT_TRUE(imported) << imported.status().message();
  EXPECT_EQ(imported->rows, 2);

  std::string open = dir_.write("open.csv",
                                "timestamp,impressions,engagements\n"
                                "2026-06-01T10:00:00Z,1000,20\n"
                                "2026-06-01T11:00:00Z,\"500,5\n");
  auto refused = host_->import_engagement("corp", open);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().message().rfind(open + ":3:22: this quote is never closed", 0), 0u)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("nothing was imported"), std::string::npos);

  std::string stray = dir_.write("stray.csv", "2026-06-01T10:00:00Z,1\"000,20\n");
  refused = host_->import_engagement("corp", stray);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().message().rfind(stray + ":1:23: a quote inside a field", 0), 0u)
      << refused.status().message();
}

TEST_F(Scheduling, ABadEngagementRowImportsNothing) {
  std::string file = dir_.write("bad.csv",
                                "timestamp,impressions,engagements\n"
                                "2026-06-01T10:00:00Z,1000,20\n"
                                "2026-06-01T11:00:00Z,lots,20\n");
  auto imported = host_->import_engagement("corp", file);
  ASSERT_FALSE(imported);
  EXPECT_NE(imported.status().message().find("bad.csv:3: impressions must be a whole number"),
            std::string::npos)
      << imported.status().message();
  EXPECT_TRUE(host_->best_slots("corp", 3)->empty());
}

}  // namespace
}  // namespace herald
