#include "text/csv.hpp"

#include "text/input_check.hpp"

namespace herald::csv {
namespace {

/// Line and column (1-based, in characters) of byte `at` in `text`.
struct Place {
  int64_t line = 1;
  int64_t column = 1;
};

Place place_of(std::string_view text, size_t at) {
  Place p;
  const size_t bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  for (size_t i = bom; i < at && i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++p.line;
      p.column = 1;
    } else if ((c & 0xC0) != 0x80 && !(c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      ++p.column;
    }
  }
  return p;
}

Status error_at(std::string_view text, size_t at, const std::string& what) {
  Place p = place_of(text, at);
  return Status(ErrorCode::invalid_argument,
                std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + what);
}

}  // namespace

Result<std::vector<Row>> parse(std::string_view text) {
  size_t i = 0;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;  // a byte-order mark, as spreadsheets write
  if (size_t bad = first_invalid_utf8(text); bad != std::string_view::npos)
    return error_at(text, bad,
                    "this byte is not UTF-8; save the file as UTF-8 (in a spreadsheet: CSV "
                    "UTF-8)");
  std::vector<Row> rows;
  int64_t line = 1;
  while (i < text.size()) {
    // An empty line (LF or CRLF) is not a record.
    if (text[i] == '\n') {
      ++i, ++line;
      continue;
    }
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      i += 2, ++line;
      continue;
    }
    Row row;
    row.line = line;
    bool end_of_record = false;
    while (!end_of_record) {
      std::string value;
      if (i < text.size() && text[i] == '"') {
        const size_t open = i++;
        for (;;) {
          if (i >= text.size())
            return error_at(text, open,
                            "this quote is never closed; end the quoted field with \" (a quote "
                            "inside a quoted field is written twice: \"\")");
          const char c = text[i];
          if (c == '"') {
            if (i + 1 < text.size() && text[i + 1] == '"') {
              value += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (c == '\n') ++line;
          value += c;
          ++i;
        }
        if (i < text.size() && text[i] != ',' && text[i] != '\n' &&
            !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))
          return error_at(text, i,
                          "unexpected text after a closing quote; a quoted field ends at the "
                          "next comma or line end (a quote inside it is written twice: \"\")");
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n' &&
               !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
          if (text[i] == '"')
            return error_at(text, i,
                            "a quote inside a field that does not start with one; put the whole "
                            "field in quotes and write the quote twice: \"say \"\"hi\"\"\"");
          value += text[i++];
        }
      }
      row.fields.push_back(std::move(value));
      if (i >= text.size()) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else {
        i += text[i] == '\r' ? 2 : 1;
        ++line;
        end_of_record = true;
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string field(std::string_view value) {
  const bool plain = value.find_first_of(",\"\r\n") == std::string_view::npos &&
                     (value.empty() || (value.front() != ' ' && value.back() != ' '));
  if (plain) return std::string(value);
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string record(const std::vector<std::string>& fields, std::string_view end) {
  std::string out;
  for (size_t k = 0; k < fields.size(); ++k) {
    if (k) out += ',';
    out += field(fields[k]);
  }
  out += end;
  return out;
}

}  // namespace herald::csv
