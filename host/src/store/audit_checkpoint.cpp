#include "store/audit_checkpoint.hpp"

#include "store/audit_chain.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <charconv>
#include <vector>

namespace herald {
namespace {

/// "— " (U+2014 EM DASH, then a space): how a signature line of a note begins.
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";
constexpr unsigned char kEd25519Type = 0x01;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct ContextFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

Status not_a_key(const char* what) {
  return Status(ErrorCode::config,
                std::string("the audit checkpoint key is not ") + what +
                    " (make one with `openssl genpkey -algorithm ed25519 -out audit-key.pem`)");
}

}  // namespace

void CheckpointKey::Free::operator()(void* key) const {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(key));
}

Result<CheckpointKey> CheckpointKey::from_private_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status(ErrorCode::internal, "OpenSSL could not allocate a buffer");
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!raw) return not_a_key("a PEM private key");
  CheckpointKey key;
  key.key_ = std::shared_ptr<void>(raw, Free{});
  if (EVP_PKEY_id(raw) != EVP_PKEY_ED25519) return not_a_key("an Ed25519 key");
  size_t size = key.public_key_.size();
  if (EVP_PKEY_get_raw_public_key(raw, key.public_key_.data(), &size) != 1 || size != 32)
    return not_a_key("a usable Ed25519 key");
  key.can_sign_ = true;
  return key;
}

Result<CheckpointKey> CheckpointKey::from_public_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status(ErrorCode::internal, "OpenSSL could not allocate a buffer");
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (!raw)
    return Status(ErrorCode::invalid_argument,
                  "not a PEM public key (BEGIN PUBLIC KEY; `herald audit public-key` prints it)");
  CheckpointKey key;
  key.key_ = std::shared_ptr<void>(raw, Free{});
  if (EVP_PKEY_id(raw) != EVP_PKEY_ED25519)
    return Status(ErrorCode::invalid_argument, "the public key is not an Ed25519 key");
  size_t size = key.public_key_.size();
  if (EVP_PKEY_get_raw_public_key(raw, key.public_key_.data(), &size) != 1 || size != 32)
    return Status(ErrorCode::invalid_argument, "the public key is not a usable Ed25519 key");
  return key;
}

std::string CheckpointKey::public_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), static_cast<EVP_PKEY*>(key_.get())) != 1) return "";
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::array<unsigned char, 4> CheckpointKey::key_id(const std::string& name) const {
  std::string material = name;
  material += '\n';
  material += static_cast<char>(kEd25519Type);
  material.append(reinterpret_cast<const char*>(public_key_.data()), public_key_.size());
  Digest digest = sha256(material);
  return {digest[0], digest[1], digest[2], digest[3]};
}

std::string CheckpointKey::verifier(const std::string& name) const {
  std::array<unsigned char, 33> typed{};
  typed[0] = kEd25519Type;
  std::copy(public_key_.begin(), public_key_.end(), typed.begin() + 1);
  std::array<unsigned char, 4> id = key_id(name);
  return name + "+" + to_hex(id.data(), id.size()) + "+" +
         base64_encode(typed.data(), typed.size());
}

Result<std::string> CheckpointKey::sign(std::string_view message) const {
  if (!can_sign_) return Status(ErrorCode::invalid_argument, "a public key cannot sign");
  std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
  std::string signature(64, '\0');
  size_t size = signature.size();
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr,
                         static_cast<EVP_PKEY*>(key_.get())) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      size != 64)
    return Status(ErrorCode::internal, "OpenSSL could not sign the audit checkpoint");
  return signature;
}

bool CheckpointKey::verify(std::string_view message, std::string_view signature) const {
  if (!key_ || signature.size() != 64) return false;
  std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
  return ctx &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr,
                              static_cast<EVP_PKEY*>(key_.get())) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string base64_encode(const unsigned char* bytes, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes, static_cast<int>(size));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.size() > 1 << 20) return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool padding = c == '=' && i + 2 >= text.size();
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || padding))
      return std::nullopt;
    if (c != '=' && i > 0 && text[i - 1] == '=') return std::nullopt;
  }
  std::string out(text.size() / 4 * 3, '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (written < 0) return std::nullopt;
  size_t pad = text.back() == '=' ? (text[text.size() - 2] == '=' ? 2 : 1) : 0;
  out.resize(static_cast<size_t>(written) - pad);
  if (base64_encode(reinterpret_cast<const unsigned char*>(out.data()), out.size()) != text)
    return std::nullopt;  // not canonical (stray bits in the last character)
  return out;
}

Result<std::string> format_checkpoint(const Checkpoint& checkpoint, const CheckpointKey& key) {
  std::string body = checkpoint.origin + "\n" + std::to_string(checkpoint.size) + "\n" +
                     base64_encode(checkpoint.head.data(), checkpoint.head.size()) + "\n";
  Result<std::string> signature = key.sign(body);
  if (!signature) return signature.status();
  std::array<unsigned char, 4> id = key.key_id(checkpoint.origin);
  std::string blob(reinterpret_cast<const char*>(id.data()), id.size());
  blob += *signature;
  return body + "\n" + std::string(kSignaturePrefix) + checkpoint.origin + " " +
         base64_encode(reinterpret_cast<const unsigned char*>(blob.data()), blob.size()) + "\n";
}

Result<Checkpoint> read_checkpoint(std::string_view text, const CheckpointKey& key,
                                   const std::string& source) {
  auto malformed = [&](const std::string& why) {
    return Status(ErrorCode::invalid_argument, source + ": not an audit checkpoint: " + why);
  };
  if (text.size() > 1 << 16) return malformed("larger than 64 KiB");
  size_t split = text.find("\n\n");
  if (split == std::string_view::npos) return malformed("no blank line before the signatures");
  std::string_view body = text.substr(0, split + 1);
  std::vector<std::string> lines = split_lines(std::string(body));
  if (lines.size() < 3) return malformed("the body needs origin, size and hash lines");
  Checkpoint checkpoint;
  checkpoint.origin = std::string(lines[0]);
  if (checkpoint.origin.empty()) return malformed("line 1: no origin");
  std::string_view size_text = lines[1];
  auto [end, ec] =
      std::from_chars(size_text.data(), size_text.data() + size_text.size(), checkpoint.size);
  if (ec != std::errc() || end != size_text.data() + size_text.size() || checkpoint.size < 0 ||
      size_text.empty() || (size_text.size() > 1 && size_text[0] == '0'))
    return malformed("line 2: the size is not a decimal number");
  std::optional<std::string> head = base64_decode(lines[2]);
  if (!head || head->size() != checkpoint.head.size())
    return malformed("line 3: the head hash is not 32 bytes of base64");
  std::copy(head->begin(), head->end(), checkpoint.head.begin());

  std::array<unsigned char, 4> id = key.key_id(checkpoint.origin);
  bool any_signature = false;
  for (const std::string& signature_line : split_lines(std::string(text.substr(split + 2)))) {
    std::string_view line = signature_line;
    if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix)
      return malformed("a signature line must begin with an em dash and a space");
    line.remove_prefix(kSignaturePrefix.size());
    size_t space = line.rfind(' ');
    if (space == std::string_view::npos) return malformed("a signature line needs a key name");
    any_signature = true;
    if (line.substr(0, space) != checkpoint.origin) continue;  // another key's (a witness's)
    std::optional<std::string> blob = base64_decode(line.substr(space + 1));
    if (!blob || blob->size() != 4 + 64) continue;
    if (!std::equal(id.begin(), id.end(), reinterpret_cast<const unsigned char*>(blob->data())))
      continue;
    if (key.verify(body, std::string_view(*blob).substr(4))) return checkpoint;
  }
  if (!any_signature) return malformed("no signature");
  return Status(ErrorCode::failed_precondition,
                source + ": the checkpoint's signature does not verify with the key for '" +
                    checkpoint.origin +
                    "': the checkpoint was altered, or signed with another key");
}

}  // namespace herald
