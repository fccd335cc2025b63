// The small hand-written readers of times, cadence clocks and dates, and credential references:
// what each accepts and what it refuses, at the edges.
#include "config/config.hpp"
#include "schedule/cadence.hpp"
#include "time/time.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(ParseTimeEdges, AcceptsEveryDocumentedForm) {
  auto utc = [](const std::string& text, const std::string& zone = "UTC") {
    auto parsed = parse_time(text, zone);
    EXPECT_TRUE(parsed) << text << ": " << parsed.status().message();
    return parsed ? format_utc(parsed->utc_ms) : std::string();
  };
  EXPECT_EQ(utc("2026-12-01T09:00:00Z"), "2026-12-01T09:00:00Z");
  EXPECT_EQ(utc("2026-12-01T09:00Z"), "2026-12-01T09:00:00Z") << "seconds are optional";
  EXPECT_EQ(utc("2026-12-01 09:00:30 Z"), "2026-12-01T09:00:30Z");
  EXPECT_EQ(utc("  2026-12-01T09:00+01:00\t\n"), "2026-12-01T08:00:00Z") << "spaces around";
  EXPECT_EQ(utc("2026-12-01T09:00-0530"), "2026-12-01T14:30:00Z") << "an offset without colon";
  EXPECT_EQ(utc("2026-12-01 09:00 +01:00"), "2026-12-01T08:00:00Z");
  EXPECT_EQ(utc("2026-12-01 09:00 America/Argentina/Buenos_Aires"), "2026-12-01T12:00:00Z");
  EXPECT_EQ(utc("2026-12-01 09:00 Etc/GMT+5"), "2026-12-01T14:00:00Z") << "+ in a zone name";
  EXPECT_EQ(utc("2026-12-01 09:00America/New_York"), "2026-12-01T14:00:00Z");
  EXPECT_EQ(utc("2028-02-29 23:59:59", "UTC"), "2028-02-29T23:59:59Z") << "a leap day";
}

TEST(ParseTimeEdges, RefusesWhatIsNotATime) {
  for (const char* text :
       {"", "   ", "2026-12-01", "2026-12-01T", "2026-12-01T9:00Z", "2026-12-1T09:00Z",
        "26-12-01T09:00Z", "2026/12/01 09:00", "2026-12-01T09:00:0Z", "2026-12-01T09:00:00.5Z",
        "2026-12-01x09:00", "2026-12-01T09:00+1:00", "2026-12-01T09:00+01:000",
        "2026-12-01T09:00 +", "2026-12-01T09:00 Z Z", "2026-12-01T09:00 1Zone",
        "2026-12-01T09:00 Europe/Oslo!", "２０２６-12-01T09:00Z", "2026-12-01T09:00Z\x01"}) {
    auto parsed = parse_time(text, "UTC");
    ASSERT_FALSE(parsed) << "accepted '" << text << "'";
    EXPECT_NE(parsed.status().message().find("cannot read the time"), std::string::npos)
        << parsed.status().message();
  }
  for (const char* text : {"2026-13-01T09:00Z", "2026-00-10T09:00Z", "2027-02-29T09:00Z",
                           "2026-12-01T24:00Z", "2026-12-01T09:60Z", "2026-12-01T09:00:60Z"}) {
    auto parsed = parse_time(text, "UTC");
    ASSERT_FALSE(parsed) << "accepted '" << text << "'";
    EXPECT_NE(parsed.status().message().find("is not a real date and time"), std::string::npos)
        << parsed.status().message();
  }
}

TEST(SecretReferenceEdges, ReadsOnlyWholeReferences) {
  auto env = secret_reference("${env:TOKEN}");
  ASSERT_TRUE(env);
  EXPECT_EQ(env->source, "env");
  EXPECT_EQ(env->name, "TOKEN");
  auto file = secret_reference("${file:keys/a b.pem}");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->source, "file");
  EXPECT_EQ(file->name, "keys/a b.pem");
  for (const char* text : {"", "TOKEN", "${env:}", "${env:A}}", "${env:A", "$env:A}", "${ENV:A}",
                           "${vault:A}", " ${env:A}", "${env:A} ", "${env:a}b}", "{env:A}"})
    EXPECT_FALSE(secret_reference(text)) << "accepted '" << text << "'";
}

TEST(CadenceParserEdges, ClockTimes) {
  using schedule::parse_clock;
  EXPECT_EQ(parse_clock("9:05"), 9 * 60 + 5);
  EXPECT_EQ(parse_clock("09:05"), 9 * 60 + 5);
  EXPECT_EQ(parse_clock("00:00"), 0);
  EXPECT_EQ(parse_clock("23:59"), 23 * 60 + 59);
  EXPECT_EQ(parse_clock("24:00", true), 1440) << "the end of the day, where allowed";
  for (const char* text : {"24:00", "24:01", "23:60", "123:00", "9:5", ":30", "9:", "09-00",
                           "09:00 ", " 09:00", "9h00", "", "0x:00", "09:0a"})
    EXPECT_FALSE(parse_clock(text)) << "accepted '" << text << "'";
  EXPECT_FALSE(parse_clock("24:01", true));
}

TEST(CadenceParserEdges, LocalDatesAndTimes) {
  using schedule::parse_local;
  auto day = parse_local("2026-12-24");
  ASSERT_TRUE(day);
  auto evening = parse_local("2026-12-24T18:30");
  ASSERT_TRUE(evening);
  EXPECT_EQ(*evening - *day, (18 * 60 + 30) * 60'000);
  EXPECT_EQ(parse_local("2026-12-24 18:30"), evening);
  for (const char* text :
       {"2026-12-24T", "2026-12-24T18", "2026-12-24T18:3", "2026-12-24X18:30", "2026-2-24",
        "2026-12-24T18:30:00", "2026-02-30", "2026-12-24T24:00", "2026-12-24T12:60", "12-24", ""})
    EXPECT_FALSE(parse_local(text)) << "accepted '" << text << "'";
}

TEST(CadenceParserEdges, MonthDays) {
  using schedule::parse_month_day;
  EXPECT_EQ(parse_month_day("12-24"), 1224);
  EXPECT_EQ(parse_month_day("02-29"), 229) << "a leap day recurs in leap years";
  for (const char* text :
       {"13-01", "00-10", "12-32", "12-00", "1-24", "12-4", "12/24", "12-24 ", "2026-12-24", ""})
    EXPECT_FALSE(parse_month_day(text)) << "accepted '" << text << "'";
}

}  // namespace
}  // namespace herald
