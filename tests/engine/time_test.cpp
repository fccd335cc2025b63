// Times are read in the zone they were meant in, with a defined policy for DST gaps and overlaps.
#include "time/time.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

struct TimeCase {
  std::string name;
  std::string text;
  std::string default_zone;
  std::string expected_utc;
};

void PrintTo(const TimeCase& c, std::ostream* out) {
  *out << c.name;
}

class ParseTime : public ::testing::TestWithParam<TimeCase> {};

TEST_P(ParseTime, GivesTheInstantMeant) {
  auto parsed = parse_time(GetParam().text, GetParam().default_zone);
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(format_utc(parsed->utc_ms), GetParam().expected_utc);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ParseTime,
    ::testing::Values(
        TimeCase{"utc", "2026-12-01T09:00:00Z", "Europe/Oslo", "2026-12-01T09:00:00Z"},
        TimeCase{"offset", "2026-12-01T09:00+01:00", "UTC", "2026-12-01T08:00:00Z"},
        TimeCase{"zone_winter", "2026-12-01 09:00 America/New_York", "UTC", "2026-12-01T14:00:00Z"},
        TimeCase{"zone_summer", "2026-07-01 09:00 America/New_York", "UTC", "2026-07-01T13:00:00Z"},
        TimeCase{"default_zone", "2026-12-01 09:00", "Asia/Tokyo", "2026-12-01T00:00:00Z"},
        // Spring forward in New York: 02:30 does not exist; it moves forward by the gap.
        TimeCase{"dst_gap", "2026-03-08 02:30 America/New_York", "UTC", "2026-03-08T07:30:00Z"},
        // Fall back: 01:30 happens twice; the earlier one is taken.
        TimeCase{"dst_overlap", "2026-11-01 01:30 America/New_York", "UTC",
                 "2026-11-01T05:30:00Z"}),
    [](const auto& info) { return info.param.name; });

// Local times that DST changes skip or repeat, under each policy. The expected instants follow
// from the zones' rules: New York and London move by an hour, Lord Howe by 30 minutes (10:30
// to 11:00 ahead of UTC).
struct DstCase {
  std::string name;
  std::string text;
  DstPolicy policy;
  std::string expected_utc;  // "" when the policy refuses it
};

void PrintTo(const DstCase& c, std::ostream* out) {
  *out << c.name;
}

class DstPolicies : public ::testing::TestWithParam<DstCase> {};

TEST_P(DstPolicies, FollowThePolicyAndSaySo) {
  const DstCase& c = GetParam();
  auto parsed = parse_time(c.text, "UTC", c.policy);
  if (c.expected_utc.empty()) {
    ASSERT_FALSE(parsed) << format_utc(parsed->utc_ms);
    const std::string& message = parsed.status().message();
    EXPECT_TRUE(message.find("does not exist") != std::string::npos ||
                message.find("happens twice") != std::string::npos)
        << message;
    return;
  }
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(format_utc(parsed->utc_ms), c.expected_utc);
  // The post records what the policy did.
  EXPECT_NE(parsed->dst_note.find(std::string(zoned::to_string(c.policy))), std::string::npos)
      << parsed->dst_note;
}

INSTANTIATE_TEST_SUITE_P(
    Zones, DstPolicies,
    ::testing::Values(
        DstCase{"ny_gap_reject", "2026-03-08 02:30 America/New_York", DstPolicy::reject, ""},
        DstCase{"ny_gap_shift", "2026-03-08 02:30 America/New_York", DstPolicy::shift_forward,
                "2026-03-08T07:30:00Z"},
        DstCase{"ny_gap_earliest", "2026-03-08 02:30 America/New_York", DstPolicy::earliest,
                "2026-03-08T07:00:00Z"},
        DstCase{"ny_gap_latest", "2026-03-08 02:30 America/New_York", DstPolicy::latest,
                "2026-03-08T07:00:00Z"},
        DstCase{"ny_overlap_reject", "2026-11-01 01:30 America/New_York", DstPolicy::reject, ""},
        DstCase{"ny_overlap_earliest", "2026-11-01 01:30 America/New_York", DstPolicy::earliest,
                "2026-11-01T05:30:00Z"},
        DstCase{"ny_overlap_latest", "2026-11-01 01:30 America/New_York", DstPolicy::latest,
                "2026-11-01T06:30:00Z"},
        DstCase{"london_gap_shift", "2026-03-29 01:30 Europe/London", DstPolicy::shift_forward,
                "2026-03-29T01:30:00Z"},
        DstCase{"london_gap_earliest", "2026-03-29 01:30 Europe/London", DstPolicy::earliest,
                "2026-03-29T01:00:00Z"},
        DstCase{"london_gap_reject", "2026-03-29 01:30 Europe/London", DstPolicy::reject, ""},
        DstCase{"london_overlap_earliest", "2026-10-25 01:30 Europe/London", DstPolicy::earliest,
                "2026-10-25T00:30:00Z"},
        DstCase{"london_overlap_latest", "2026-10-25 01:30 Europe/London", DstPolicy::latest,
                "2026-10-25T01:30:00Z"},
        // Lord Howe springs forward from 02:00 to 02:30 on the first Sunday of October.
        DstCase{"lord_howe_gap_shift", "2026-10-04 02:15 Australia/Lord_Howe",
                DstPolicy::shift_forward, "2026-10-03T15:45:00Z"},
        DstCase{"lord_howe_gap_earliest", "2026-10-04 02:15 Australia/Lord_Howe",
                DstPolicy::earliest, "2026-10-03T15:30:00Z"},
        DstCase{"lord_howe_gap_reject", "2026-10-04 02:15 Australia/Lord_Howe", DstPolicy::reject,
                ""},
        // ... and falls back from 02:00 to 01:30 on the first Sunday of April.
        DstCase{"lord_howe_overlap_earliest", "2026-04-05 01:45 Australia/Lord_Howe",
                DstPolicy::earliest, "2026-04-04T14:45:00Z"},
        DstCase{"lord_howe_overlap_latest", "2026-04-05 01:45 Australia/Lord_Howe",
                DstPolicy::latest, "2026-04-04T15:15:00Z"}),
    [](const auto& info) { return info.param.name; });

TEST(DstPolicies, OrdinaryTimesCarryNoNote) {
  auto parsed = parse_time("2026-07-01 09:00 Australia/Lord_Howe", "UTC", DstPolicy::reject);
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(parsed->dst_note, "");
  EXPECT_EQ(format_utc(parsed->utc_ms), "2026-06-30T22:30:00Z");
}

TEST(ParseTime, LocalTimeWithoutAnyZoneIsRefused) {
  auto parsed = parse_time("2026-12-01 09:00", "");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.status().message().find("has no time zone"), std::string::npos)
      << parsed.status().message();
  EXPECT_TRUE(parse_time("2026-12-01T09:00:00Z", ""));  // RFC 3339 needs no account zone
}

TEST(ParseTime, RefusesNonsense) {
  EXPECT_FALSE(parse_time("tomorrow", "UTC"));
  EXPECT_FALSE(parse_time("2026-02-30 09:00", "UTC"));
  auto zone = parse_time("2026-12-01 09:00 Mars/Olympus", "UTC");
  ASSERT_FALSE(zone);
  EXPECT_NE(zone.status().message().find("unknown time zone 'Mars/Olympus'"), std::string::npos);
}

TEST(FormatTime, ShowsLocalTime) {
  auto parsed = parse_time("2026-12-01T14:00:00Z", "UTC");
  EXPECT_EQ(format_time(parsed->utc_ms, "America/New_York"), "2026-12-01 09:00 EST");
}

}  // namespace
}  // namespace herald
