#pragma once

namespace herald {

/// The name of a SQLite VFS, registered on first call, that is the platform's default VFS except
/// for one thing: the frames SQLite writes to a write-ahead log are gathered, and written with
/// one system call when SQLite syncs the log (or reads it, or asks its size, or closes it).
///
/// SQLite writes each frame of a WAL with two calls (a 24-byte header, then the page), so a
/// group commit of a few hundred pages otherwise makes a few hundred system calls before its
/// sync. The data that reaches the disk, and when it is durable, do not change: everything is
/// written before the sync that makes a commit durable.
///
/// Only for connections that keep `synchronous=FULL` in WAL mode (as Herald's store does): there,
/// SQLite syncs the log before it publishes a commit to other connections, so none of them can
/// read a frame that is still gathered. Null when the default VFS could not be found.
const char* gathering_wal_vfs();

}  // namespace herald
