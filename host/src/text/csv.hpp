// CSV as RFC 4180 writes it, for files people make in a spreadsheet and files Herald writes:
// fields separated by commas, records by CRLF or LF; a field in double quotes may hold commas,
// line breaks and quotes (written twice: ""). The whole input must be UTF-8 (a byte-order mark
// at the start is skipped).
//
// Example:
//   auto rows = csv::parse(text);
//   if (!rows) return Status(rows.status().code(), path + ":" + rows.status().message());
//   for (const csv::Row& row : *rows) use(row.line, row.fields);
//   std::string out = csv::record({"a", "b,c", "say \"hi\""});  // a,"b,c","say ""hi"""\n
#pragma once

#include <herald/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace herald::csv {

struct Row {
  int64_t line = 0;  // the line the record starts on (1-based); a quoted field may span lines
  std::vector<std::string> fields;
};

/// The records of `text`. Lines that are empty (outside quotes) are skipped. On a malformed
/// input the status is invalid_argument with the message "LINE:COLUMN: what is wrong; what to
/// do" (an unterminated quote points at its opening quote, a stray quote at itself, bytes that
/// are not UTF-8 at the first of them; columns count characters from 1).
Result<std::vector<Row>> parse(std::string_view text);

/// `value` as one field: as it is, or in double quotes (with its quotes doubled) when it holds
/// a comma, a quote, a line break, or starts or ends with a space.
std::string field(std::string_view value);

/// One record: the fields separated by commas, then `end` (LF unless CRLF is asked for).
std::string record(const std::vector<std::string>& fields, std::string_view end = "\n");

}  // namespace herald::csv
