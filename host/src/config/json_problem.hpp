// What is wrong with JSON that nlohmann/json refused, in words for a user: where (line and
// column) and what was expected, without the library's exception names.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace herald {

/// "line 1, column 7: expected a value, found an invalid literal (read: 'x')". `line` > 0
/// replaces the parser's line (a JSON line of a file is line 1 to the parser); `line` < 0 leaves
/// the line out ("column 7: ...").
inline std::string json_problem(const nlohmann::json::exception& error, long line = 0) {
  std::string what = error.what();
  // "[json.exception.parse_error.101] parse error at line 1, column 7: syntax error while ..."
  if (what.rfind("[json.exception.", 0) == 0) {
    const size_t end = what.find("] ");
    if (end != std::string::npos) what = what.substr(end + 2);
  }
  std::string where;
  for (const char* prefix : {"parse error at ", "parse error: "}) {
    if (what.rfind(prefix, 0) == 0) {
      what = what.substr(std::string(prefix).size());
      break;
    }
  }
  if (what.rfind("line ", 0) == 0) {
    const size_t colon = what.find(": ");
    if (colon != std::string::npos) {
      where = what.substr(0, colon);  // "line 1, column 7"
      what = what.substr(colon + 2);
    }
  }
  const std::string syntax = "syntax error while parsing ";
  if (what.rfind(syntax, 0) == 0) {
    // "syntax error while parsing value - invalid literal; last read: 'x'; expected end of input"
    std::string rest = what.substr(syntax.size());
    const size_t dash = rest.find(" - ");
    std::string context = rest.substr(0, dash);
    std::string detail = dash == std::string::npos ? "" : rest.substr(dash + 3);
    std::string last_read, expected;
    if (size_t at = detail.find("; expected "); at != std::string::npos) {
      expected = detail.substr(at + 11);
      detail = detail.substr(0, at);
    }
    if (size_t at = detail.find("; last read: "); at != std::string::npos) {
      last_read = detail.substr(at + 13);
      detail = detail.substr(0, at);
    }
    if (expected.empty())
      expected = context == "object key" || context == "object separator" ? "an " + context
                                                                          : "a " + context;
    what = "expected " + expected + (detail.empty() ? "" : ", found " + detail) +
           (last_read.empty() ? "" : " (read: " + last_read + ")");
  }
  if (!where.empty() && line != 0) {
    const size_t comma = where.find(", ");
    where = comma == std::string::npos ? "" : where.substr(comma + 2);  // "column 7"
    if (line > 0) where = "line " + std::to_string(line) + (where.empty() ? "" : ", " + where);
  }
  return where.empty() ? what : where + ": " + what;
}

}  // namespace herald
