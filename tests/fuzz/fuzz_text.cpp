// `herald text`, one input line for every network (cli/text_line.cpp), in both output modes, and
// the text rules under it (text/measure.hpp) on the raw bytes, which need not be UTF-8: the
// counts, the entities and the break opportunities. Nothing may crash; results must be
// consistent (offsets inside the text, one output line per input line).
#include "cli/text_line.hpp"
#include "text/measure.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace {

using herald::text::Network;

constexpr Network kNetworks[] = {Network::x, Network::mastodon, Network::bluesky,
                                 Network::linkedin};

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose a limit (0: the network's default) and the output mode.
  const int64_t limit = data[0] < 128 ? 0 : data[0] - 127;
  const bool as_json = (data[1] & 1) != 0;
  std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  // The line as `herald text` reads it (one line: no newline inside).
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  std::string out, text, spoiler;
  for (Network network : kNetworks) {
    out.clear();
    herald::TextOptions options{network, limit, as_json};
    bool counted = herald::count_text_line(options, line, 1, out, text, spoiler);
    // Every line gets exactly one output line; an empty one is an error.
    if (line.empty() || line == "\r") check(!counted);
    check(!out.empty() && out.back() == '\n' && out.find('\n') == out.size() - 1);
    if (as_json) {
      // Every result and every error is one JSON object.
      nlohmann::json result = nlohmann::json::parse(out, nullptr, false);
      check(result.is_object());
      check(counted ? result.contains("length") : result.contains("error"));
    }
  }

  // The text rules on the bytes themselves, valid UTF-8 or not.
  for (Network network : kNetworks) {
    auto measured = herald::text::measure(network, bytes, limit, {}, true);
    if (measured) {
      check(measured->bytes == static_cast<int64_t>(bytes.size()));
      for (const auto& f : measured->facets)
        check(f.byte_start <= f.byte_end && f.byte_end <= bytes.size());
    }
    auto found = herald::text::entities(network, bytes);
    check(static_cast<bool>(found) == static_cast<bool>(measured));
    if (found)
      for (const auto& e : *found) check(e.start <= e.end && e.end <= bytes.size());
    auto breaks = herald::text::break_opportunities(network, bytes);
    if (breaks)
      for (size_t at : *breaks) check(at > 0 && at < bytes.size());
  }
  return 0;
}
