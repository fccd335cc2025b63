// `herald submit CONFIG --from posts.csv|posts.jsonl`: many posts, checked first, stored all
// at once or not at all (Host::submit_many).
#pragma once

#include <herald/host.hpp>

#include "cli/common.hpp"

#include <string>
#include <vector>

namespace herald {

/// One post read from a file, and the line it starts on.
struct PostRow {
  int64_t line = 0;
  SubmitRequest request;
};

/// The posts of a CSV file (a header naming the columns, then one post a record) or a JSON-lines
/// file (one object a line), told apart by the file's extension (.csv; .jsonl or .ndjson).
/// Columns and keys: workflow, account, author, text, tags, at, dst; what a row leaves out
/// (or leaves empty) comes from `defaults`. Errors say FILE:LINE, the field, and what to do.
Result<std::vector<PostRow>> read_post_rows(const std::string& path, const SubmitRequest& defaults);

/// Runs the command; returns the exit code.
int submit_from_file(const std::string& config, const std::string& path,
                     const SubmitRequest& defaults, const ClockOptions& clock, bool as_json);

}  // namespace herald
