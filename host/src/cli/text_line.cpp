// One line of `herald text`: a JSON object with a "text" (and maybe a "spoiler_text") counted as
// a network does, its result appended as JSON or as a summary line. The common line
// {"text": "...", "spoiler_text": "..."} is read and its result written without a JSON library;
// any other line goes through nlohmann::json, which also words every error.
#include "cli/text_line.hpp"
#include "config/json_problem.hpp"

#include <nlohmann/json.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace herald {
namespace {

using nlohmann::json;

bool json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size() && json_space(s[i])) ++i;
  return i;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/// Four hex digits at s[i], or -1.
int32_t hex4(std::string_view s, size_t i) {
  if (i + 4 > s.size()) return -1;
  int32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    int d = hex_value(s[i + k]);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

void append_utf8(std::string& out, uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

/// The JSON string that opens at s[i] (a quote), decoded into `out`; the position after it, or
/// npos for anything the full parser should judge (control characters, bad escapes, lone
/// surrogates). Bytes of 0x80 and up are copied: the text's UTF-8 is checked when it is counted.
/// Where the first quote, backslash or control character is in `s` from `i`, or s.size().
size_t string_end(std::string_view s, size_t i) {
#if defined(__SSE2__)
  // Sixteen bytes at a time: a control character is one that the minimum with 0x1F leaves as is.
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control = _mm_set1_epi8(0x1F);
  for (; i + 16 <= s.size(); i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    const __m128i stop =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
                     _mm_cmpeq_epi8(_mm_min_epu8(bytes, control), bytes));
    const int found = _mm_movemask_epi8(stop);
    if (found != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(found)));
  }
#endif
  while (i < s.size() && s[i] != '"' && s[i] != '\\' && static_cast<unsigned char>(s[i]) >= 0x20)
    ++i;
  return i;
}

size_t read_string(std::string_view s, size_t i, std::string& out) {
  ++i;
  while (i < s.size()) {
    size_t run = string_end(s, i);
    out.append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) return std::string_view::npos;
    char c = s[i];
    if (c == '"') return i + 1;
    if (c != '\\') return std::string_view::npos;  // a control character
    if (++i >= s.size()) return std::string_view::npos;
    switch (s[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        int32_t unit = hex4(s, i + 1);
        if (unit < 0) return std::string_view::npos;
        i += 4;
        uint32_t code_point = static_cast<uint32_t>(unit);
        if (unit >= 0xDC00 && unit <= 0xDFFF) return std::string_view::npos;
        if (unit >= 0xD800 && unit <= 0xDBFF) {
          if (i + 2 >= s.size() || s[i + 1] != '\\' || s[i + 2] != 'u')
            return std::string_view::npos;
          int32_t low = hex4(s, i + 3);
          if (low < 0xDC00 || low > 0xDFFF) return std::string_view::npos;
          i += 6;
          code_point = 0x10000 + ((static_cast<uint32_t>(unit) - 0xD800) << 10) +
                       (static_cast<uint32_t>(low) - 0xDC00);
        }
        append_utf8(out, code_point);
        break;
      }
      default: return std::string_view::npos;
    }
    ++i;
  }
  return std::string_view::npos;
}

/// Reads a line that is an object of "text" and, optionally, "spoiler_text", both strings, each
/// once. False for any other line, which the full parser then reads.
bool read_simple_line(std::string_view line, std::string& text, std::string& spoiler) {
  size_t i = skip_space(line, 0);
  if (i >= line.size() || line[i] != '{') return false;
  bool have_text = false, have_spoiler = false;
  while (true) {
    i = skip_space(line, i + 1);
    if (i >= line.size() || line[i] != '"') return false;
    std::string_view rest = line.substr(i);
    std::string* target = nullptr;
    if (rest.substr(0, 6) == "\"text\"" && !have_text) {
      target = &text;
      have_text = true;
      i += 6;
    } else if (rest.substr(0, 14) == "\"spoiler_text\"" && !have_spoiler) {
      target = &spoiler;
      have_spoiler = true;
      i += 14;
    } else {
      return false;
    }
    i = skip_space(line, i);
    if (i >= line.size() || line[i] != ':') return false;
    i = skip_space(line, i + 1);
    if (i >= line.size() || line[i] != '"') return false;
    i = read_string(line, i, *target);
    if (i == std::string_view::npos) return false;
    i = skip_space(line, i);
    if (i >= line.size()) return false;
    if (line[i] == '}') break;
    if (line[i] != ',') return false;
  }
  return have_text && skip_space(line, i + 1) == line.size();
}

/// `s` as a JSON string, as nlohmann::json writes it (UTF-8 kept, control characters escaped).
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    size_t run = string_end(s, i);
    out.append(s.data() + i, run - i);
    if (run >= s.size()) break;
    char c = s[run];
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out += kHex[(c >> 4) & 0xF];
        out += kHex[c & 0xF];
      }
    }
    i = run + 1;
  }
  out += '"';
}

void append_number(std::string& out, int64_t value) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

/// Numbers and fixed words written into a buffer on the stack, then appended at once: for the
/// parts of a result whose length has a bound.
class Fields {
 public:
  Fields& operator<<(std::string_view s) {
    std::memcpy(at_, s.data(), s.size());
    at_ += s.size();
    return *this;
  }
  Fields& operator<<(int64_t value) {
    at_ = std::to_chars(at_, buffer_ + sizeof buffer_, value).ptr;
    return *this;
  }
  void append_to(std::string& out) const {
    out.append(buffer_, static_cast<size_t>(at_ - buffer_));
  }

 private:
  char buffer_[320];  // eight numbers of at most 20 digits and the keys
  char* at_ = buffer_;
};

/// One result as a JSON object, its keys in the order nlohmann::json sorts them.
void append_result(std::string& out, const text::Measure& m, std::string_view text) {
  const bool x = m.network == text::Network::x;
  Fields head;
  (head << "{\"bytes\":" << m.bytes).append_to(out);
  if (m.network == text::Network::linkedin) {
    out += ",\"commentary\":";
    append_json_string(out, text::escape_little_text(std::string(text)));
  }
  if (m.network == text::Network::bluesky) {
    out += ",\"facets\":[";
    for (size_t i = 0; i < m.facets.size(); ++i) {
      const auto& f = m.facets[i];
      out += i == 0 ? "{\"byteEnd\":" : ",{\"byteEnd\":";
      append_number(out, static_cast<int64_t>(f.byte_end));
      out += ",\"byteStart\":";
      append_number(out, static_cast<int64_t>(f.byte_start));
      out += ",\"type\":";
      append_json_string(out, text::bluesky::facet_type_name(f.type));
      out += ",\"value\":";
      append_json_string(out, f.value);
      out += '}';
    }
    out += ']';
  }
  Fields tail;
  if (m.network == text::Network::mastodon || m.network == text::Network::bluesky)
    tail << ",\"graphemes\":" << m.graphemes;
  // Network names are plain ASCII words: no escaping.
  tail << ",\"length\":" << m.length << ",\"limit\":" << m.limit << ",\"network\":\""
       << text::network_name(m.network) << "\"";
  if (x) tail << ",\"permillage\":" << m.permillage;
  tail << (m.valid ? ",\"valid\":true" : ",\"valid\":false");
  if (x)
    tail << ",\"validRangeEnd\":" << m.valid_range_end
         << ",\"weightedLength\":" << m.weighted_length;
  (tail << "}\n").append_to(out);
}

void append_summary(std::string& out, int64_t number, const text::Measure& m) {
  out += "line ";
  append_number(out, number);
  out += ": ";
  append_number(out, m.length);
  out += '/';
  append_number(out, m.limit);
  out += m.valid ? " ok\n" : " too long or invalid\n";
}

/// Appends the error of line `number`: `{"line": N, "error": "..."}` with --json, else
/// `line N: error: ...` (or `line N, column C: error: ...` for JSON that does not parse).
void append_error(const TextOptions& o, int64_t number, const std::string& error,
                  std::string& out) {
  if (o.json) {
    // nlohmann's messages name the byte; ours name the line.
    out += json{{"line", number}, {"error", error}}.dump(-1, ' ', false,
                                                         json::error_handler_t::replace);
    out += '\n';
    return;
  }
  const std::string where = "line " + std::to_string(number);
  const size_t colon = error.find(": ");
  if (error.rfind(where + ", column ", 0) == 0 && colon != std::string::npos)
    out += error.substr(0, colon) + ": error: " + error.substr(colon + 2) + "\n";
  else
    out += where + ": error: " + error + "\n";
}

/// A line the fast reader left alone: read with nlohmann::json, which also words its errors.
bool count_parsed_line(const TextOptions& o, const std::string& line, int64_t number,
                       std::string& out) {
  std::string error;
  try {
    json input = json::parse(line);
    if (!input.is_object() || !input.contains("text") || !input["text"].is_string())
      throw std::invalid_argument("expected an object with a string \"text\"");
    std::string spoiler;
    if (input.contains("spoiler_text") && input["spoiler_text"].is_string())
      spoiler = input["spoiler_text"].get<std::string>();
    const std::string text = input["text"].get<std::string>();
    auto measured = text::measure(o.network, text, o.limit, spoiler, /*count_graphemes=*/false);
    if (!measured) throw std::invalid_argument(measured.status().message());
    if (o.json)
      append_result(out, *measured, text);
    else
      append_summary(out, number, *measured);
    return true;
  } catch (const json::exception& e) {
    error = json_problem(e, number);
  } catch (const std::exception& e) {
    error = e.what();
  }
  append_error(o, number, error, out);
  return false;
}

}  // namespace

bool count_text_line(const TextOptions& o, std::string_view line, int64_t number, std::string& out,
                     std::string& text, std::string& spoiler) {
  // Every line gets one result, so that the results line up with the input: an empty line is
  // an error, not skipped.
  if (line.empty() || line == "\r") {
    append_error(o, number, "empty line: expected an object with a string \"text\"", out);
    return false;
  }
  // A NUL byte is never valid in a JSON line, and the JSON parser would take it for the end
  // of the input and read no further: say where it is.
  if (const size_t nul = line.find('\0'); nul != std::string_view::npos) {
    append_error(o, number,
                 "line " + std::to_string(number) + ", column " + std::to_string(nul + 1) +
                     ": a NUL byte; JSON allows none (inside a string, write \\u0000)",
                 out);
    return false;
  }
  text.clear();
  spoiler.clear();
  if (read_simple_line(line, text, spoiler)) {
    auto measured = text::measure(o.network, text, o.limit, spoiler, /*count_graphemes=*/false);
    if (measured) {
      if (o.json)
        append_result(out, *measured, text);
      else
        append_summary(out, number, *measured);
      return true;
    }
    // Not UTF-8: the full parser refuses the line in its own words.
  }
  return count_parsed_line(o, std::string(line), number, out);
}

}  // namespace herald
