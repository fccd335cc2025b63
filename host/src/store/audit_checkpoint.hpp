// Signed checkpoints of the audit trail. A checkpoint says "this trail had N entries and its
// N-th entry's hash was H", signed with an Ed25519 key. Kept outside the database, it lets
// `herald audit verify` catch what the hash chain alone cannot: newest entries deleted, the
// whole chain rewritten consistently, or an old copy of the database put back.
//
// The text is a C2SP signed note (https://c2sp.org/signed-note) whose body is a C2SP
// tlog-checkpoint (https://c2sp.org/tlog-checkpoint):
//
//   <origin>\n
//   <size, decimal>\n
//   <head hash, base64 of 32 bytes>\n
//   \n
//   — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>\n
//
// The signature covers the body (the three lines, each with its newline). The key name is the
// origin; the key id is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key), as for
// any Ed25519 note key. Herald's trail is a hash chain, not a Merkle tree, so the third line is
// the hash of entry N (the chain's head), not a Merkle root: tools that check notes' signatures
// accept these checkpoints; tools that check Merkle proofs do not apply.
#pragma once

#include "engine/model.hpp"

#include <herald/result.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace herald {

/// An Ed25519 key: a private key signs, a public key verifies.
class CheckpointKey {
 public:
  /// From a PEM private key (PKCS#8, as `openssl genpkey -algorithm ed25519` writes it).
  /// Errors never quote the key.
  static Result<CheckpointKey> from_private_pem(std::string_view pem);
  /// From a PEM public key (as `herald audit public-key` or `openssl pkey -pubout` write it).
  static Result<CheckpointKey> from_public_pem(std::string_view pem);

  bool can_sign() const { return can_sign_; }
  const std::array<unsigned char, 32>& public_key() const { return public_key_; }
  /// The public key as PEM (SubjectPublicKeyInfo).
  std::string public_pem() const;
  /// The note verifier key: <name>+<key id, 8 hex digits>+<base64(0x01 || public key)>.
  std::string verifier(const std::string& name) const;
  /// The first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
  std::array<unsigned char, 4> key_id(const std::string& name) const;

  Result<std::string> sign(std::string_view message) const;
  bool verify(std::string_view message, std::string_view signature) const;

 private:
  struct Free {
    void operator()(void* key) const;
  };
  std::shared_ptr<void> key_;  // EVP_PKEY
  std::array<unsigned char, 32> public_key_{};
  bool can_sign_ = false;
};

struct Checkpoint {
  std::string origin;
  int64_t size = 0;  // entries covered: 1..size
  Digest head{};     // the hash of entry `size` (all zeros when size is 0)
};

/// The signed note for `checkpoint`.
Result<std::string> format_checkpoint(const Checkpoint& checkpoint, const CheckpointKey& key);

/// Reads a checkpoint and checks its signature by `key` under the name `checkpoint.origin`.
/// `source` names the file in errors. ErrorCode::invalid_argument for text that is not a
/// checkpoint; ErrorCode::failed_precondition for one whose signature does not verify.
Result<Checkpoint> read_checkpoint(std::string_view text, const CheckpointKey& key,
                                   const std::string& source);

std::string base64_encode(const unsigned char* bytes, size_t size);
/// nullopt for anything that is not canonical, padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace herald
