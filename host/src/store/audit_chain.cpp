#include "store/audit_chain.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace herald {
namespace {

void add_field(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += ';';
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  // OpenSSL 3 looks an algorithm up on every EVP_sha256() use; fetch it once, and keep one
  // context per thread.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!sha256 || !context.ctx || EVP_DigestInit_ex2(context.ctx, sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, digest, &size) != 1)
    throw std::runtime_error("OpenSSL could not compute SHA-256");
  static constexpr char hex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (unsigned int i = 0; i < size; ++i) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 15];
  }
  return out;
}

const std::string& audit_genesis_hash() {
  static const std::string zeros(64, '0');
  return zeros;
}

std::string audit_entry_hash(const std::string& prev_hash, int64_t id, int64_t post_id,
                             int64_t at_ms, std::string_view actor, std::string_view action,
                             std::string_view step, std::string_view from_state,
                             std::string_view to_state, std::string_view detail) {
  std::string encoded;
  encoded.reserve(160 + actor.size() + action.size() + step.size() + detail.size());
  encoded += "herald-audit-1;";
  add_field(encoded, prev_hash);
  add_field(encoded, std::to_string(id));
  add_field(encoded, std::to_string(post_id));
  add_field(encoded, std::to_string(at_ms));
  add_field(encoded, actor);
  add_field(encoded, action);
  add_field(encoded, step);
  add_field(encoded, from_state);
  add_field(encoded, to_state);
  add_field(encoded, detail);
  return sha256_hex(encoded);
}

bool AuditChainCheck::next(const AuditRecord& r) {
  if (!problem_.empty()) return false;
  auto broken = [&](std::string why) {
    broken_id_ = r.id;
    problem_ = "audit entry " + std::to_string(r.id) + " (post " + std::to_string(r.post_id) +
               ", " + r.action + " by " + r.actor + "): " + why;
    return false;
  };
  if (r.id <= last_id_)
    return broken("it is out of order (after entry " + std::to_string(last_id_) + ")");
  if (r.prev_hash != expected_prev_)
    return broken(last_id_ == 0 && r.id > 1
                      ? "the entries before it are missing"
                      : "its link to entry " + std::to_string(last_id_) +
                            " does not match: an entry before it was removed or changed");
  std::string hash = audit_entry_hash(r.prev_hash, r.id, r.post_id, r.at_ms, r.actor, r.action,
                                      r.step, r.from_state, r.to_state, r.detail);
  if (hash != r.hash) return broken("its contents were changed after it was written");
  expected_prev_ = r.hash;
  last_id_ = r.id;
  ++entries_;
  return true;
}

}  // namespace herald
