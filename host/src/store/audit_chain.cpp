#include "store/audit_chain.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <stdexcept>
#include <tuple>

namespace herald {
namespace {

void add_field(std::string& out, std::string_view value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value.size());
  (void)ec;  // a size always fits
  out.append(digits, end);
  out += ':';
  out += value;
  out += ';';
}

void add_number(std::string& out, int64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  (void)ec;
  add_field(out, std::string_view(digits, static_cast<size_t>(end - digits)));
}

constexpr char kHexDigits[] = "0123456789abcdef";

void write_hex(const unsigned char* bytes, size_t size, char* out) {
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHexDigits[bytes[i] >> 4];
    out[2 * i + 1] = kHexDigits[bytes[i] & 15];
  }
}

/// The bytes an entry's hash is taken over (the buffer is reused by the calling thread).
const std::string& encode_entry(std::string_view prev_hash, int64_t id, int64_t post_id,
                                int64_t at_ms, std::string_view actor, std::string_view action,
                                std::string_view step, std::string_view from_state,
                                std::string_view to_state, std::string_view detail) {
  thread_local std::string encoded;
  encoded.clear();
  encoded += "herald-audit-1;";
  add_field(encoded, prev_hash);
  add_number(encoded, id);
  add_number(encoded, post_id);
  add_number(encoded, at_ms);
  add_field(encoded, actor);
  add_field(encoded, action);
  add_field(encoded, step);
  add_field(encoded, from_state);
  add_field(encoded, to_state);
  add_field(encoded, detail);
  return encoded;
}

}  // namespace

Digest sha256(std::string_view data) {
  // OpenSSL 3 looks an algorithm up on every EVP_sha256() use; fetch it once, and keep one
  // context per thread.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context context;
  Digest digest{};
  unsigned int size = 0;
  if (!sha256 || !context.ctx || EVP_DigestInit_ex2(context.ctx, sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.ctx, digest.data(), &size) != 1 || size != digest.size())
    throw std::runtime_error("OpenSSL could not compute SHA-256");
  return digest;
}

std::string to_hex(const unsigned char* bytes, size_t size) {
  std::string out(2 * size, '0');
  write_hex(bytes, size, out.data());
  return out;
}

std::string to_hex(const Digest& digest) {
  return to_hex(digest.data(), digest.size());
}

std::optional<Digest> digest_from_hex(std::string_view hex) {
  Digest digest{};
  if (hex.size() != 2 * digest.size()) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < digest.size(); ++i) {
    int high = value(hex[2 * i]);
    int low = value(hex[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    digest[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return digest;
}

std::string sha256_hex(std::string_view data) {
  return to_hex(sha256(data));
}

const std::string& audit_genesis_hash() {
  static const std::string zeros(64, '0');
  return zeros;
}

std::string audit_entry_hash(const std::string& prev_hash, int64_t id, int64_t post_id,
                             int64_t at_ms, std::string_view actor, std::string_view action,
                             std::string_view step, std::string_view from_state,
                             std::string_view to_state, std::string_view detail) {
  return to_hex(sha256(encode_entry(prev_hash, id, post_id, at_ms, actor, action, step, from_state,
                                    to_state, detail)));
}

Digest audit_entry_digest(const Digest& prev, int64_t id, int64_t post_id, int64_t at_ms,
                          std::string_view actor, std::string_view action, std::string_view step,
                          std::string_view from_state, std::string_view to_state,
                          std::string_view detail) {
  char prev_hex[2 * std::tuple_size_v<Digest>];
  write_hex(prev.data(), prev.size(), prev_hex);
  return sha256(encode_entry(std::string_view(prev_hex, sizeof prev_hex), id, post_id, at_ms, actor,
                             action, step, from_state, to_state, detail));
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
  // Entries are numbered without gaps: a gap is an entry removed.
  if (r.id != last_id_ + 1)
    return broken(last_id_ == 0 ? "the entries before it are missing"
                                : "the entries between it and entry " + std::to_string(last_id_) +
                                      " are missing: an entry before it was removed");
  if (r.prev_hash != expected_prev_)
    return broken("its link to entry " + std::to_string(last_id_) +
                  " does not match: an entry before it was changed");
  std::string hash = audit_entry_hash(r.prev_hash, r.id, r.post_id, r.at_ms, r.actor, r.action,
                                      r.step, r.from_state, r.to_state, r.detail);
  if (hash != r.hash) return broken("its contents were changed after it was written");
  expected_prev_ = r.hash;
  last_id_ = r.id;
  ++entries_;
  return true;
}

}  // namespace herald
