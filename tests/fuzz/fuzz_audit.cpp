// `herald audit verify`, `herald audit export`, `herald audit CONFIG [ID]` and `herald status
// CONFIG [ID] [--json]` over a store whose audit rows (and some post columns) come from the input:
// a store made by Herald (two posts, their entries chained), then rows added, changed and removed
// with plain SQLite as someone with the file could, some of them correctly chained, the rest
// anything (any SQLite type in any column). Opening, verifying, exporting and listing must not
// crash; verify must report a break as a break.
#include "fuzz_support.hpp"

#include "cli/render.hpp"
#include "store/audit_chain.hpp"

#include <herald/host.hpp>

#include <fuzzer/FuzzedDataProvider.h>
#include <sqlite3.h>

namespace {

using herald::fuzz::check;

std::filesystem::path config_file() {
  static const std::filesystem::path file = [] {
    std::filesystem::path path = herald::fuzz::work_dir() / "herald.yaml";
    herald::fuzz::write_file(path, std::string(R"(herald: 1
store: { path: audit.db }
plugin_paths: [)") + HERALD_FUZZ_PLUGIN_DIR +
                                       R"(/herald_outbox.so, )" + HERALD_FUZZ_PLUGIN_DIR +
                                       R"(/herald_notify.so]
accounts:
  corp: { network: mastodon }
people:
  ana: { roles: [writer] }
workflows:
  announce:
    steps:
      - { kind: publish, plugin: outbox, config: { directory: out, fsync: false } }
)");
    return path;
  }();
  return file;
}

/// Binds a value of a type the input picks: integer (any, or a small one), real, text (any
/// bytes), blob or NULL.
void bind_any(FuzzedDataProvider& in, sqlite3_stmt* stmt, int index) {
  switch (in.ConsumeIntegralInRange<int>(0, 6)) {
    case 0: sqlite3_bind_int64(stmt, index, in.ConsumeIntegral<int64_t>()); break;
    case 6:  // an id, a post or a link near the rows there are
      sqlite3_bind_int64(stmt, index, in.ConsumeIntegralInRange<int64_t>(-1, 12));
      break;
    case 1: sqlite3_bind_double(stmt, index, in.ConsumeFloatingPoint<double>()); break;
    case 2: {
      std::string bytes = in.ConsumeRandomLengthString(40);
      sqlite3_bind_blob(stmt, index, bytes.data(), static_cast<int>(bytes.size()),
                        SQLITE_TRANSIENT);
      break;
    }
    case 3: sqlite3_bind_null(stmt, index); break;
    default: {
      std::string text = in.ConsumeRandomLengthString(40);
      sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
  }
}

/// The hash of the newest entry (all zeros when there is none) and its id.
std::pair<herald::Digest, int64_t> chain_head(sqlite3* db) {
  herald::Digest head{};
  int64_t id = 0;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", -1, &stmt, nullptr);
  if (stmt && sqlite3_step(stmt) == SQLITE_ROW) {
    id = sqlite3_column_int64(stmt, 0);
    const void* blob = sqlite3_column_blob(stmt, 1);
    if (blob && sqlite3_column_bytes(stmt, 1) == static_cast<int>(head.size()))
      std::memcpy(head.data(), blob, head.size());
  }
  sqlite3_finalize(stmt);
  return {head, id};
}

/// Changes the audit rows as the input says.
void tamper(FuzzedDataProvider& in, sqlite3* db) {
  static const char* const kColumns[] = {"id",     "post_id", "at_ms",      "actor",
                                         "action", "step",    "from_state", "to_state",
                                         "detail", "prev_id", "hash"};
  const int changes = in.ConsumeIntegralInRange<int>(0, 12);
  for (int n = 0; n < changes && in.remaining_bytes() > 0; ++n) {
    sqlite3_stmt* stmt = nullptr;
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
      case 0: {  // a correctly chained entry, with fields from the input
        auto [head, last_id] = chain_head(db);
        const int64_t id = last_id + 1;
        const int64_t post = in.ConsumeIntegralInRange<int64_t>(0, 3);
        const int64_t at = in.ConsumeIntegral<int64_t>();
        std::string f[6];
        for (std::string& s : f) s = in.ConsumeRandomLengthString(30);
        herald::Digest hash =
            herald::audit_entry_digest(head, id, post, at, f[0], f[1], f[2], f[3], f[4], f[5]);
        sqlite3_prepare_v2(db,
                           "INSERT INTO audit (id, post_id, at_ms, actor, action, step, "
                           "from_state, to_state, detail, prev_id, hash) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                           -1, &stmt, nullptr);
        sqlite3_bind_int64(stmt, 1, id);
        sqlite3_bind_int64(stmt, 2, post);
        sqlite3_bind_int64(stmt, 3, at);
        for (int k = 0; k < 6; ++k)
          sqlite3_bind_text(stmt, 4 + k, f[k].data(), static_cast<int>(f[k].size()),
                            SQLITE_TRANSIENT);
        bind_any(in, stmt, 10);
        sqlite3_bind_blob(stmt, 11, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
        break;
      }
      case 1:  // a row of anything
        sqlite3_prepare_v2(db,
                           "INSERT INTO audit (id, post_id, at_ms, actor, action, step, "
                           "from_state, to_state, detail, prev_id, hash) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                           -1, &stmt, nullptr);
        for (int k = 1; k <= 11; ++k) bind_any(in, stmt, k);
        break;
      case 2: {  // one column of one row changed
        std::string sql = std::string("UPDATE audit SET ") +
                          kColumns[in.ConsumeIntegralInRange<size_t>(0, 10)] +
                          " = ?1 WHERE id = ?2";
        sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
        bind_any(in, stmt, 1);
        sqlite3_bind_int64(stmt, 2, in.ConsumeIntegralInRange<int64_t>(-1, 12));
        break;
      }
      case 3:  // a row removed
        sqlite3_prepare_v2(db, "DELETE FROM audit WHERE id = ?1", -1, &stmt, nullptr);
        sqlite3_bind_int64(stmt, 1, in.ConsumeIntegralInRange<int64_t>(-1, 12));
        break;
      case 4:  // an entry's link to the post's previous entry rewired
        sqlite3_prepare_v2(db, "UPDATE audit SET prev_id = ?1 WHERE id = ?2", -1, &stmt, nullptr);
        sqlite3_bind_int64(stmt, 1, in.ConsumeIntegralInRange<int64_t>(-1, 12));
        sqlite3_bind_int64(stmt, 2, in.ConsumeIntegralInRange<int64_t>(-1, 12));
        break;
      case 6: {  // a post's text or state column set to anything (`status` must still print)
        static const char* const kPostColumns[] = {
            "posts SET text",           "posts SET tags",         "posts SET author",
            "posts SET zone",           "post_states SET reason", "post_states SET note",
            "post_states SET stage",    "post_states SET state",  "post_states SET expects",
            "post_states SET remote_id"};
        std::string sql = std::string("UPDATE ") +
                          kPostColumns[in.ConsumeIntegralInRange<size_t>(0, 9)] + " = ?1 WHERE " +
                          "rowid = ?2";
        sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
        bind_any(in, stmt, 1);
        sqlite3_bind_int64(stmt, 2, in.ConsumeIntegralInRange<int64_t>(1, 2));
        break;
      }
      default:  // where a post's trail starts
        sqlite3_prepare_v2(db, "UPDATE post_states SET last_audit_id = ?1 WHERE post_id = ?2", -1,
                           &stmt, nullptr);
        bind_any(in, stmt, 1);
        sqlite3_bind_int64(stmt, 2, in.ConsumeIntegralInRange<int64_t>(1, 2));
        break;
    }
    if (stmt) sqlite3_step(stmt);  // constraint failures are refusals, not errors here
    sqlite3_finalize(stmt);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  herald::fuzz::quiet_setup();
  config_file();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const std::filesystem::path db_path = herald::fuzz::work_dir() / "audit.db";
  herald::fuzz::remove_database(db_path);

  herald::HostOptions options;
  options.clock = herald::make_virtual_clock(1'780'000'000'000);
  {
    auto host = herald::Host::open(config_file().string(), options);
    if (!host) herald::fuzz::fatal(host.status().message());
    for (const char* text : {"first", "second"}) {
      herald::SubmitRequest request;
      request.workflow = "announce";
      request.account = "corp";
      request.author = "ana";
      request.text = text;
      if (auto id = (*host)->submit(request); !id) herald::fuzz::fatal(id.status().message());
    }
  }

  sqlite3* db = nullptr;
  if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) std::abort();
  tamper(in, db);
  sqlite3_close(db);

  auto host = herald::Host::open(config_file().string(), options);
  if (!host) {
    check(!host.status().message().empty());
    return 0;
  }
  herald::Host& h = **host;
  auto verified = h.verify_audit();
  if (verified) {
    check(verified->intact == verified->problem.empty());
    check(verified->intact || verified->broken_id != 0 || !verified->problem.empty());
  }
  const int64_t since = in.ConsumeIntegral<int64_t>();
  std::string exported = herald::audit_export_header();
  (void)h.scan_audit(since, [&](const herald::AuditRecord& r) {
    exported += herald::audit_export_line(r, true);
    exported += herald::audit_export_line(r, false);
  });
  // `herald audit CONFIG [ID] [--json]`.
  if (auto all = h.audit(std::nullopt)) {
    (void)herald::audit_listing(*all, false);
    (void)herald::audit_listing(*all, true);
  }
  for (int64_t post = 1; post <= 2; ++post)
    if (auto trail = h.audit(post)) (void)herald::audit_listing(*trail, true);
  // `herald status CONFIG [ID] [--json]`.
  if (auto views = h.posts()) {
    (void)herald::json_text(herald::posts_json(*views));
    (void)herald::posts_text(*views, false);
  }
  for (int64_t post = 1; post <= 2; ++post)
    if (auto view = h.post(post)) {
      (void)herald::json_text(herald::posts_json({*view}));
      (void)herald::posts_text({*view}, true);
    }
  return 0;
}
