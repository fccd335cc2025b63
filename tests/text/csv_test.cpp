// The one CSV reader and writer (RFC 4180): quoted fields, doubled quotes, CRLF and LF, line
// breaks inside quotes, and errors that say where (line:column) and what to do.
#include "text/csv.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

using Fields = std::vector<std::string>;

std::vector<Fields> fields_of(std::string_view text) {
  auto rows = csv::parse(text);
  EXPECT_TRUE(rows) << rows.status().message();
  std::vector<Fields> out;
  if (rows)
    for (const auto& row : *rows) out.push_back(row.fields);
  return out;
}

std::string error_of(std::string_view text) {
  auto rows = csv::parse(text);
  EXPECT_FALSE(rows) << "accepted: " << text;
  return rows ? "" : rows.status().message();
}

TEST(Csv, ReadsPlainAndQuotedFields) {
  EXPECT_EQ(fields_of("a,b,c\n1,,3\n"), (std::vector<Fields>{{"a", "b", "c"}, {"1", "", "3"}}));
  EXPECT_EQ(fields_of(R"("a,b","say ""hi""","")"),
            (std::vector<Fields>{{"a,b", "say \"hi\"", ""}}));
  EXPECT_EQ(fields_of("x,\n"), (std::vector<Fields>{{"x", ""}})) << "a last empty field";
  EXPECT_EQ(fields_of("\"\"\"\""), (std::vector<Fields>{{"\""}}));
}

TEST(Csv, ReadsCrlfAndLfAndALastLineWithoutBreak) {
  EXPECT_EQ(fields_of("a,b\r\nc,d\ne,f"),
            (std::vector<Fields>{{"a", "b"}, {"c", "d"}, {"e", "f"}}));
  EXPECT_EQ(fields_of("a\r\n\r\n\nb\r\n"), (std::vector<Fields>{{"a"}, {"b"}}))
      << "empty lines are not records";
  EXPECT_EQ(fields_of(""), std::vector<Fields>{});
  EXPECT_EQ(fields_of("a\rb\n"), (std::vector<Fields>{{"a\rb"}})) << "a lone CR is text";
}

TEST(Csv, KeepsLineBreaksInsideQuotesAndNumbersRecordsByTheirFirstLine) {
  auto rows = csv::parse("h1,h2\r\n\"two\r\nlines\",x\n\"three\n\nlines\",y\nlast,z\n");
  ASSERT_TRUE(rows) << rows.status().message();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[1].fields, (Fields{"two\r\nlines", "x"}));
  EXPECT_EQ((*rows)[1].line, 2);
  EXPECT_EQ((*rows)[2].fields, (Fields{"three\n\nlines", "y"}));
  EXPECT_EQ((*rows)[2].line, 4);
  EXPECT_EQ((*rows)[3].line, 7);
}

TEST(Csv, SkipsAByteOrderMark) {
  EXPECT_EQ(fields_of("\xEF\xBB\xBFtimestamp,n\n"), (std::vector<Fields>{{"timestamp", "n"}}));
  EXPECT_EQ(error_of("\xEF\xBB\xBF"
                     "ab\"c"),
            error_of("ab\"c"))
      << "columns after the mark";
}

TEST(Csv, AnUnterminatedQuoteIsShownWhereItOpens) {
  std::string why = error_of("a,b\nc,\"never\nclosed,d\n");
  EXPECT_EQ(why.rfind("2:3: this quote is never closed", 0), 0u) << why;
}

TEST(Csv, AStrayQuoteIsShownWhereItIs) {
  std::string why = error_of("a,b\nsay \"hi\",x\n");
  EXPECT_EQ(why.rfind("2:5: a quote inside a field that does not start with one", 0), 0u) << why;
  why = error_of("\"quoted\"tail,x\n");
  EXPECT_EQ(why.rfind("1:9: unexpected text after a closing quote", 0), 0u) << why;
  why = error_of("é😀,\"a\" ,b");
  EXPECT_EQ(why.rfind("1:7: unexpected text after a closing quote", 0), 0u)
      << "columns count characters, not bytes: " << why;
}

TEST(Csv, BytesThatAreNotUtf8AreRefusedWithTheirLine) {
  std::string why = error_of("a,b\nc,d\ne,\xff\n");
  EXPECT_EQ(why.rfind("3:3: this byte is not UTF-8", 0), 0u) << why;
  why = error_of("\"x\n\xc3\x28\"\n");  // a broken sequence inside a quoted field
  EXPECT_EQ(why.rfind("2:1: this byte is not UTF-8", 0), 0u) << why;
}

TEST(Csv, WritesFieldsThatNeedQuotesInQuotes) {
  EXPECT_EQ(csv::field("plain"), "plain");
  EXPECT_EQ(csv::field(""), "");
  EXPECT_EQ(csv::field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv::field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv::field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv::field(" padded"), "\" padded\"");
  EXPECT_EQ(csv::record({"1", "a,b", ""}), "1,\"a,b\",\n");
  EXPECT_EQ(csv::record({"x"}, "\r\n"), "x\r\n");
}

TEST(Csv, AwkwardFieldsRoundTrip) {
  const std::vector<Fields> records = {
      {"id", "text", "note"},
      {"1", "comma, inside", "\"quoted\" start and end\""},
      {"2", "line\nbreak and\r\nCRLF", ""},
      {"3", "", ",,,"},
      {"4", " spaces ", "emoji 😀 👩🏽‍💻 and é"},
      {"5", "\"", "\"\""},
      {"6", "a lone \r inside", "tab\there"},
  };
  for (std::string_view end : {"\n", "\r\n"}) {
    std::string text;
    for (const auto& r : records) text += csv::record(r, end);
    auto rows = csv::parse(text);
    ASSERT_TRUE(rows) << rows.status().message();
    ASSERT_EQ(rows->size(), records.size());
    for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ((*rows)[i].fields, records[i]) << i;
  }
}

}  // namespace
}  // namespace herald
