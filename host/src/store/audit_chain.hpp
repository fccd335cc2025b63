// The audit trail is one hash chain: each entry's hash covers the hash of the entry written
// before it (its prev_hash) and every field of its own. Entries are numbered 1, 2, 3, … with no
// gaps. Changing, removing or reordering an entry breaks the chain at that entry, which
// `herald audit verify` reports.
#pragma once

#include "engine/model.hpp"

#include <herald/host.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

// Digest (engine/model.hpp): the store keeps an entry's hash in this form; people and exports
// see it as 64 lowercase hex digits.
Digest sha256(std::string_view data);
std::string to_hex(const Digest& digest);
std::string to_hex(const unsigned char* bytes, size_t size);
/// The digest written as 64 hex digits (either case); nullopt for anything else.
std::optional<Digest> digest_from_hex(std::string_view hex);

/// SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

/// The prev_hash of the first entry: 64 zeros (the hex of an all-zero Digest).
const std::string& audit_genesis_hash();

/// The hash of an entry: SHA-256 over its prev_hash (as hex), id, post, time, actor, action,
/// step, states and detail, each length-prefixed so that no two different entries encode alike.
std::string audit_entry_hash(const std::string& prev_hash, int64_t id, int64_t post_id,
                             int64_t at_ms, std::string_view actor, std::string_view action,
                             std::string_view step, std::string_view from_state,
                             std::string_view to_state, std::string_view detail);
/// The same hash, from and to digests (as the store seals entries).
Digest audit_entry_digest(const Digest& prev, int64_t id, int64_t post_id, int64_t at_ms,
                          std::string_view actor, std::string_view action, std::string_view step,
                          std::string_view from_state, std::string_view to_state,
                          std::string_view detail);

/// Walks the chain entry by entry, in id order.
class AuditChainCheck {
 public:
  /// False (and `problem()` says why) at the first entry that breaks the chain.
  bool next(const AuditRecord& record);
  int64_t entries() const { return entries_; }
  int64_t broken_id() const { return broken_id_; }
  const std::string& problem() const { return problem_; }
  const std::string& head_hash() const { return expected_prev_; }
  int64_t head_id() const { return last_id_; }

 private:
  std::string expected_prev_ = audit_genesis_hash();
  int64_t last_id_ = 0;
  int64_t entries_ = 0;
  int64_t broken_id_ = 0;
  std::string problem_;
};

}  // namespace herald
