// JSON for plugins, written with nlohmann/json rather than by hand: every string is escaped
// (quotes, backslashes, control characters), and a record is one line.
//
//   #include <herald/json.hpp>
//   herald::Json record{{"post", id}, {"text", post.text()}};
//   std::string line = herald::json_line(record);
//
// Link nlohmann/json where this header is used: `find_package(nlohmann_json REQUIRED)` and
// `target_link_libraries(PLUGIN PRIVATE nlohmann_json::nlohmann_json)`. Only plain strings
// cross into the host; nothing of nlohmann/json is part of the ABI.
#ifndef HERALD_JSON_HPP
#define HERALD_JSON_HPP

#include <nlohmann/json.hpp>

#include <string>

namespace herald {

/// A JSON value whose object keys stay in the order they were added.
using Json = nlohmann::ordered_json;

/// `value` as compact JSON on one line: strings are escaped (a newline in a text is written
/// `\n`), UTF-8 is written as it is, and bytes that are not UTF-8 are written as U+FFFD rather
/// than failing the step.
inline std::string json_line(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace herald

#endif  // HERALD_JSON_HPP
