#include "store/integrity.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <memory>

namespace herald {

Result<std::optional<std::string>> check_store_file(const std::string& path, bool full) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return Status(ErrorCode::store, path + ": there is no store here (no file)");
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
  if (opened != SQLITE_OK)
    return Status(ErrorCode::store, path + ": cannot open the store (" +
                                        (db ? sqlite3_errmsg(db.get()) : "out of memory") + ")");
  sqlite3_stmt* raw_stmt = nullptr;
  const char* sql = full ? "PRAGMA integrity_check(1)" : "PRAGMA quick_check(1)";
  int rc = sqlite3_prepare_v2(db.get(), sql, -1, &raw_stmt, nullptr);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt(raw_stmt, sqlite3_finalize);
  // A file too damaged to read its schema fails here already; that is a verdict too.
  if (rc != SQLITE_OK) return std::optional<std::string>(sqlite3_errmsg(db.get()));
  rc = sqlite3_step(stmt.get());
  if (rc != SQLITE_ROW) {
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      return Status(ErrorCode::store, path + ": the store is locked by another process; try again");
    return std::optional<std::string>(sqlite3_errmsg(db.get()));
  }
  const auto* verdict = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
  const std::string text = verdict ? verdict : "";
  if (text == "ok") return std::optional<std::string>();
  return std::optional<std::string>(text);
}

}  // namespace herald
