#include "cli/submit_from.hpp"

#include "text/csv.hpp"
#include "text/input_check.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace herald {
namespace {

constexpr std::array<const char*, 7> kFields = {"workflow", "account", "author", "text",
                                                "tags",     "at",      "dst"};
constexpr const char* kFieldList = "workflow, account, author, text, tags, at, dst";

Status bad(const std::string& where, const std::string& why) {
  return Status(ErrorCode::invalid_argument, where + ": " + why + "; nothing was stored");
}

bool ends_with(const std::string& text, std::string_view end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

std::string trimmed(std::string_view s) {
  size_t start = s.find_first_not_of(" \t");
  if (start == std::string_view::npos) return "";
  size_t end = s.find_last_not_of(" \t");
  return std::string(s.substr(start, end - start + 1));
}

/// Tags in one CSV field: separated by commas, spaces around each dropped.
std::vector<std::string> split_tags(const std::string& field) {
  std::vector<std::string> tags;
  size_t start = 0;
  while (start <= field.size()) {
    size_t end = field.find(',', start);
    if (end == std::string::npos) end = field.size();
    std::string tag = trimmed(std::string_view(field).substr(start, end - start));
    if (!tag.empty()) tags.push_back(std::move(tag));
    start = end + 1;
  }
  return tags;
}

/// Sets `field` of `request` from its text (an empty value leaves the default).
void set_field(SubmitRequest& request, std::string_view field, const std::string& value) {
  if (value.empty()) return;
  if (field == "workflow") request.workflow = trimmed(value);
  if (field == "account") request.account = trimmed(value);
  if (field == "author") request.author = trimmed(value);
  if (field == "text") request.text = value;
  if (field == "tags") request.tags = split_tags(value);
  if (field == "at") request.at = trimmed(value);
  if (field == "dst") request.dst_policy = trimmed(value);
}

bool known_field(std::string_view name) {
  return std::find(kFields.begin(), kFields.end(), name) != kFields.end();
}

/// What every post needs from the file or the command line: a workflow, an account, a text.
Status check_required(const std::string& where, const std::vector<std::string>& present,
                      const SubmitRequest& defaults, bool csv_header) {
  auto has = [&](const char* name) {
    return std::find(present.begin(), present.end(), name) != present.end();
  };
  const std::string lacks = csv_header ? "the header has no `" : "the post has no `";
  const std::string kind = csv_header ? "` column" : "` key";
  if (!has("text") && defaults.text.empty())
    return bad(where, lacks + "text" + kind + "; each post needs its text (" +
                          (csv_header ? "columns: " : "keys: ") + kFieldList + ")");
  if (!has("workflow") && defaults.workflow.empty())
    return bad(where, lacks + "workflow" + kind +
                          "; add it, or give every post's workflow with --workflow");
  if (!has("account") && defaults.account.empty())
    return bad(where,
               lacks + "account" + kind + "; add it, or give every post's account with --account");
  return Status::ok();
}

Result<std::vector<PostRow>> read_csv(const std::string& path, const std::string& content,
                                      const SubmitRequest& defaults) {
  auto records = csv::parse(content);
  if (!records)
    return Status(ErrorCode::invalid_argument,
                  path + ":" + records.status().message() + "; nothing was stored");
  if (records->empty())
    return bad(path, std::string("no posts; the first line names the columns (") + kFieldList +
                         "), then one post a line");
  const csv::Row& header = records->front();
  const std::string header_at = path + ":" + std::to_string(header.line);
  std::vector<std::string> columns;
  for (const std::string& raw : header.fields) {
    std::string name = trimmed(raw);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (name == "tag") name = "tags";
    if (name == "dst_policy") name = "dst";
    if (!known_field(name))
      return bad(header_at,
                 "unknown column '" + name + "' in the header (columns: " + kFieldList + ")");
    if (std::find(columns.begin(), columns.end(), name) != columns.end())
      return bad(header_at, "the column '" + name + "' is named twice");
    columns.push_back(name);
  }
  if (Status s = check_required(header_at, columns, defaults, true); !s) return s;
  if (records->size() == 1) return bad(path, "no posts after the header; add one line a post");
  std::vector<PostRow> rows;
  rows.reserve(records->size() - 1);
  for (size_t r = 1; r < records->size(); ++r) {
    const csv::Row& record = (*records)[r];
    if (record.fields.size() != columns.size())
      return bad(path + ":" + std::to_string(record.line),
                 std::to_string(record.fields.size()) + " fields where the header names " +
                     std::to_string(columns.size()) +
                     " (a field with a comma, quote or line break goes in double quotes)");
    PostRow row{record.line, defaults};
    for (size_t c = 0; c < columns.size(); ++c)
      set_field(row.request, columns[c], record.fields[c]);
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<PostRow>> read_jsonl(const std::string& path, const std::string& content,
                                        const SubmitRequest& defaults) {
  std::vector<PostRow> rows;
  std::istringstream in(content);
  int64_t number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    if (size_t at = first_invalid_utf8(line); at != std::string::npos)
      return bad(where + ":" + std::to_string(at + 1),
                 "this byte is not UTF-8; save the file as UTF-8");
    nlohmann::json object = nlohmann::json::parse(line, nullptr, false);
    if (object.is_discarded() || !object.is_object())
      return bad(where, std::string("not a JSON object; write one post a line, e.g. ") +
                            R"({"workflow": "announce", "account": "corp", "text": "Hello"})");
    PostRow row{number, defaults};
    std::vector<std::string> present;
    for (auto& [key, value] : object.items()) {
      std::string name = key == "tag" ? "tags" : key == "dst_policy" ? "dst" : key;
      if (!known_field(name))
        return bad(where, "unknown key '" + key + "' (keys: " + std::string(kFieldList) + ")");
      present.push_back(name);
      if (value.is_null()) continue;
      if (name == "tags") {
        if (value.is_string()) value = nlohmann::json::array({value});
        if (!value.is_array() ||
            !std::all_of(value.begin(), value.end(), [](const auto& t) { return t.is_string(); }))
          return bad(where, "tags: give a list of texts, e.g. [\"launch\", \"q4\"]");
        row.request.tags.clear();
        for (const auto& t : value) row.request.tags.push_back(t.get<std::string>());
        continue;
      }
      if (!value.is_string()) return bad(where, name + ": give a text, not " + value.dump());
      set_field(row.request, name, value.get<std::string>());
    }
    if (Status s = check_required(where, present, defaults, false); !s) return s;
    rows.push_back(std::move(row));
  }
  if (rows.empty())
    return bad(path,
               "no posts; write one JSON object a line, e.g. " +
                   std::string(R"({"workflow": "announce", "account": "corp", "text": "Hello"})"));
  return rows;
}

}  // namespace

Result<std::vector<PostRow>> read_post_rows(const std::string& path,
                                            const SubmitRequest& defaults) {
  const bool is_csv = ends_with(path, ".csv") || ends_with(path, ".CSV");
  const bool is_jsonl = ends_with(path, ".jsonl") || ends_with(path, ".ndjson");
  if (!is_csv && !is_jsonl)
    return Status(ErrorCode::invalid_argument,
                  path +
                      ": give a .csv file (a header, then one post a line) or a .jsonl file "
                      "(one JSON object a line)");
  // One batch is one transaction: a file of a size a person prepares, not a stream.
  constexpr std::uintmax_t kMaxBytes = 64ull << 20;
  std::error_code error;
  const auto status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status))
    return Status(ErrorCode::not_found, path + ": cannot open the file of posts");
  if (!std::filesystem::is_regular_file(status))
    return Status(ErrorCode::invalid_argument, path + ": not a file of posts (a folder or device)");
  if (std::filesystem::file_size(path, error) > kMaxBytes)
    return Status(ErrorCode::invalid_argument,
                  path +
                      ": larger than 64 MiB; split it into several files (each is stored all "
                      "or nothing)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::not_found, path + ": cannot open the file of posts");
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return Status(ErrorCode::invalid_argument, path + ": cannot read the file");
  return is_csv ? read_csv(path, content.str(), defaults)
                : read_jsonl(path, content.str(), defaults);
}

int submit_from_file(const std::string& config, const std::string& path,
                     const SubmitRequest& defaults, const ClockOptions& clock, bool as_json) {
  Result<std::vector<PostRow>> rows = read_post_rows(path, defaults);
  if (!rows) return fail(rows.status());
  int exit_code = 0;
  auto host = open_or_report(config, exit_code, clock);
  if (!host) return exit_code;
  std::vector<SubmitRequest> requests;
  requests.reserve(rows->size());
  for (PostRow& row : *rows) requests.push_back(std::move(row.request));
  std::vector<SubmitProblem> problems;
  Result<std::vector<int64_t>> ids = host->submit_many(requests, &problems);
  if (!ids) {
    if (problems.empty()) return fail(ids.status());
    constexpr size_t kShown = 50;
    for (size_t k = 0; k < problems.size() && k < kShown; ++k) {
      const SubmitProblem& p = problems[k];
      std::cerr << "herald: " << path << ":" << (*rows)[p.index].line << ": "
                << (p.field == "dst_policy" ? "dst" : p.field) << ": " << p.message << "\n";
    }
    if (problems.size() > kShown)
      std::cerr << "herald: and " << problems.size() - kShown << " more\n";
    std::cerr << "herald: " << problems.size() << " of " << requests.size()
              << " posts refused; nothing was stored. Correct the lines above and submit the "
                 "file again\n";
    return ids.status().exit_code();
  }
  if (as_json) {
    std::cout << nlohmann::json{{"ids", *ids}}.dump() << "\n";
  } else {
    std::string out;
    for (int64_t id : *ids) out += std::to_string(id) + "\n";
    std::cout << out;
  }
  return 0;
}

}  // namespace herald
