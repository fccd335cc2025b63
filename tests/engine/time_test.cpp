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
