// SQLite's own check of a store's file, for `herald doctor`: opening a store does not check it
// (that read the whole file, and made every command's cost grow with the store).
#pragma once

#include <herald/result.hpp>

#include <optional>
#include <string>

namespace herald {

/// Checks the SQLite store at `path`: `PRAGMA quick_check` (every page, record and index entry
/// well formed), or with `full` `PRAGMA integrity_check` (also every index against its table).
/// The file is opened read-only and nothing is changed. Nothing when it is sound, else what is
/// wrong (the first problem SQLite finds); an error when the file cannot be opened at all.
Result<std::optional<std::string>> check_store_file(const std::string& path, bool full);

}  // namespace herald
