// One line of `herald text` (cli/text.cpp reads the lines and runs this on every core).
#pragma once

#include "text/measure.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace herald {

struct TextOptions {
  text::Network network = text::Network::x;
  int64_t limit = 0;  // the account's limit; 0: the network's
  bool json = false;  // one JSON object per line, else a summary line
};

/// Counts one input line (a JSON object with a string "text" and maybe "spoiler_text") and
/// appends its result, or the error, to `out`; `number` is the line's number for messages.
/// Every line appends exactly one line, an empty one its error. False when the line is an error.
/// `text` and `spoiler` are scratch buffers, reused from line to line.
bool count_text_line(const TextOptions& o, std::string_view line, int64_t number, std::string& out,
                     std::string& text, std::string& spoiler);

}  // namespace herald
