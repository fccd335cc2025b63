#include "store/wal_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace herald {
namespace {

// A WAL file: SQLite's calls come here; `real` is the default VFS's file, placed after this.
struct GatheringFile {
  sqlite3_file base;
  sqlite3_file* real;
  char* data;           // frames written but not yet passed on
  sqlite3_int64 start;  // where in the file `data` goes
  int size;             // bytes in `data`
  int capacity;         // bytes allocated
};

// A group commit of a few thousand pages fits; a larger write is passed on as it comes.
constexpr int kMaxGathered = 8 << 20;

constexpr int aligned(int n) {
  return (n + 7) & ~7;
}

sqlite3_vfs* default_vfs(sqlite3_vfs* vfs) {
  return static_cast<sqlite3_vfs*>(vfs->pAppData);
}
GatheringFile* gathering(sqlite3_file* file) {
  return reinterpret_cast<GatheringFile*>(file);
}
sqlite3_file* real(sqlite3_file* file) {
  return gathering(file)->real;
}

// The default VFS on Unix takes writes of less than 128 KiB.
constexpr int kMaxWrite = 64 << 10;

int write_through(sqlite3_file* real, const char* data, int size, sqlite3_int64 offset) {
  for (int done = 0; done < size;) {
    const int part = std::min(kMaxWrite, size - done);
    if (int rc = real->pMethods->xWrite(real, data + done, part, offset + done); rc != SQLITE_OK)
      return rc;
    done += part;
  }
  return SQLITE_OK;
}

// Writes what was gathered. On failure it is dropped: the error reaches SQLite from the sync
// (or read) that needed it, and SQLite does not count a commit whose sync failed.
int pass_on(GatheringFile* f) {
  if (f->size == 0) return SQLITE_OK;
  int rc = write_through(f->real, f->data, f->size, f->start);
  f->size = 0;
  return rc;
}

int gathering_close(sqlite3_file* file) {
  GatheringFile* f = gathering(file);
  int passed = pass_on(f);
  std::free(f->data);
  f->data = nullptr;
  f->capacity = 0;
  int closed = f->real->pMethods->xClose(f->real);
  return passed != SQLITE_OK ? passed : closed;
}

int gathering_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (int rc = pass_on(gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xRead(real(file), out, amount, offset);
}

int gathering_write(sqlite3_file* file, const void* in, int amount, sqlite3_int64 offset) {
  GatheringFile* f = gathering(file);
  const bool follows = f->size > 0 && offset == f->start + f->size;
  if (!follows || f->size + amount > kMaxGathered)
    if (int rc = pass_on(f); rc != SQLITE_OK) return rc;
  if (amount > kMaxGathered)
    return write_through(f->real, static_cast<const char*>(in), amount, offset);
  if (f->size + amount > f->capacity) {
    int capacity = std::min(kMaxGathered, std::max({f->capacity * 2, f->size + amount, 1 << 16}));
    void* grown = std::realloc(f->data, static_cast<size_t>(capacity));
    if (!grown) {  // no memory to gather in: write it now
      if (int rc = pass_on(f); rc != SQLITE_OK) return rc;
      return write_through(f->real, static_cast<const char*>(in), amount, offset);
    }
    f->data = static_cast<char*>(grown);
    f->capacity = capacity;
  }
  if (f->size == 0) f->start = offset;
  std::memcpy(f->data + f->size, in, static_cast<size_t>(amount));
  f->size += amount;
  return SQLITE_OK;
}

int gathering_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = pass_on(gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xTruncate(real(file), size);
}

int gathering_sync(sqlite3_file* file, int flags) {
  if (int rc = pass_on(gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xSync(real(file), flags);
}

int gathering_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (int rc = pass_on(gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileSize(real(file), size);
}

int gathering_lock(sqlite3_file* file, int level) {
  return real(file)->pMethods->xLock(real(file), level);
}

int gathering_unlock(sqlite3_file* file, int level) {
  if (int rc = pass_on(gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xUnlock(real(file), level);
}

int gathering_check_reserved_lock(sqlite3_file* file, int* out) {
  return real(file)->pMethods->xCheckReservedLock(real(file), out);
}

int gathering_file_control(sqlite3_file* file, int op, void* arg) {
  if (int rc = pass_on(gathering(file)); rc != SQLITE_OK) return rc;
  return real(file)->pMethods->xFileControl(real(file), op, arg);
}

int gathering_sector_size(sqlite3_file* file) {
  return real(file)->pMethods->xSectorSize(real(file));
}

int gathering_device_characteristics(sqlite3_file* file) {
  return real(file)->pMethods->xDeviceCharacteristics(real(file));
}

// SQLite maps shared memory and fetches pages through the database file, not its WAL; these
// only pass calls on, for completeness.
int gathering_shm_map(sqlite3_file* file, int page, int page_size, int extend,
                      void volatile** out) {
  const sqlite3_io_methods* m = real(file)->pMethods;
  return m->iVersion >= 2 ? m->xShmMap(real(file), page, page_size, extend, out) : SQLITE_IOERR;
}

int gathering_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  const sqlite3_io_methods* m = real(file)->pMethods;
  return m->iVersion >= 2 ? m->xShmLock(real(file), offset, n, flags) : SQLITE_IOERR;
}

void gathering_shm_barrier(sqlite3_file* file) {
  const sqlite3_io_methods* m = real(file)->pMethods;
  if (m->iVersion >= 2) m->xShmBarrier(real(file));
}

int gathering_shm_unmap(sqlite3_file* file, int delete_flag) {
  const sqlite3_io_methods* m = real(file)->pMethods;
  return m->iVersion >= 2 ? m->xShmUnmap(real(file), delete_flag) : SQLITE_OK;
}

int gathering_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  *out = nullptr;  // SQLite then reads with xRead
  if (int rc = pass_on(gathering(file)); rc != SQLITE_OK) return rc;
  const sqlite3_io_methods* m = real(file)->pMethods;
  return m->iVersion >= 3 ? m->xFetch(real(file), offset, amount, out) : SQLITE_OK;
}

int gathering_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  const sqlite3_io_methods* m = real(file)->pMethods;
  return m->iVersion >= 3 ? m->xUnfetch(real(file), offset, page) : SQLITE_OK;
}

const sqlite3_io_methods kGatheringMethods = {
    3,
    gathering_close,
    gathering_read,
    gathering_write,
    gathering_truncate,
    gathering_sync,
    gathering_file_size,
    gathering_lock,
    gathering_unlock,
    gathering_check_reserved_lock,
    gathering_file_control,
    gathering_sector_size,
    gathering_device_characteristics,
    gathering_shm_map,
    gathering_shm_lock,
    gathering_shm_barrier,
    gathering_shm_unmap,
    gathering_fetch,
    gathering_unfetch,
};

int vfs_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags,
             int* out_flags) {
  sqlite3_vfs* base = default_vfs(vfs);
  // Every file but a WAL is the default VFS's own: its methods are called directly.
  if (!(flags & SQLITE_OPEN_WAL)) return base->xOpen(base, name, file, flags, out_flags);
  GatheringFile* f = gathering(file);
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) +
                                            aligned(static_cast<int>(sizeof(GatheringFile))));
  f->data = nullptr;
  f->start = 0;
  f->size = 0;
  f->capacity = 0;
  int rc = base->xOpen(base, name, f->real, flags, out_flags);
  // A file SQLite could not open is not closed: it must have no methods.
  f->base.pMethods = rc == SQLITE_OK && f->real->pMethods ? &kGatheringMethods : nullptr;
  return rc;
}

int vfs_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  return default_vfs(vfs)->xDelete(default_vfs(vfs), name, sync_dir);
}
int vfs_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
  return default_vfs(vfs)->xAccess(default_vfs(vfs), name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs* vfs, const char* name, int size, char* out) {
  return default_vfs(vfs)->xFullPathname(default_vfs(vfs), name, size, out);
}
void* vfs_dl_open(sqlite3_vfs* vfs, const char* name) {
  return default_vfs(vfs)->xDlOpen(default_vfs(vfs), name);
}
void vfs_dl_error(sqlite3_vfs* vfs, int size, char* out) {
  default_vfs(vfs)->xDlError(default_vfs(vfs), size, out);
}
void (*vfs_dl_sym(sqlite3_vfs* vfs, void* handle, const char* symbol))(void) {
  return default_vfs(vfs)->xDlSym(default_vfs(vfs), handle, symbol);
}
void vfs_dl_close(sqlite3_vfs* vfs, void* handle) {
  default_vfs(vfs)->xDlClose(default_vfs(vfs), handle);
}
int vfs_randomness(sqlite3_vfs* vfs, int size, char* out) {
  return default_vfs(vfs)->xRandomness(default_vfs(vfs), size, out);
}
int vfs_sleep(sqlite3_vfs* vfs, int microseconds) {
  return default_vfs(vfs)->xSleep(default_vfs(vfs), microseconds);
}
int vfs_current_time(sqlite3_vfs* vfs, double* out) {
  return default_vfs(vfs)->xCurrentTime(default_vfs(vfs), out);
}
int vfs_get_last_error(sqlite3_vfs* vfs, int size, char* out) {
  sqlite3_vfs* base = default_vfs(vfs);
  return base->xGetLastError ? base->xGetLastError(base, size, out) : 0;
}
int vfs_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
  return default_vfs(vfs)->xCurrentTimeInt64(default_vfs(vfs), out);
}

const char* register_vfs() {
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  if (!base) return nullptr;
  const bool has_time_int64 = base->iVersion >= 2 && base->xCurrentTimeInt64;
  static sqlite3_vfs vfs = {
      .iVersion = has_time_int64 ? 2 : 1,
      .szOsFile = aligned(static_cast<int>(sizeof(GatheringFile))) + base->szOsFile,
      .mxPathname = base->mxPathname,
      .pNext = nullptr,
      .zName = "herald-gathering-wal",
      .pAppData = base,
      .xOpen = vfs_open,
      .xDelete = vfs_delete,
      .xAccess = vfs_access,
      .xFullPathname = vfs_full_pathname,
      .xDlOpen = vfs_dl_open,
      .xDlError = vfs_dl_error,
      .xDlSym = vfs_dl_sym,
      .xDlClose = vfs_dl_close,
      .xRandomness = vfs_randomness,
      .xSleep = vfs_sleep,
      .xCurrentTime = vfs_current_time,
      .xGetLastError = vfs_get_last_error,
      .xCurrentTimeInt64 = has_time_int64 ? vfs_current_time_int64 : nullptr,
      .xSetSystemCall = nullptr,
      .xGetSystemCall = nullptr,
      .xNextSystemCall = nullptr,
  };
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return vfs.zName;
}

}  // namespace

const char* gathering_wal_vfs() {
  static const char* name = register_vfs();
  return name;
}

}  // namespace herald
