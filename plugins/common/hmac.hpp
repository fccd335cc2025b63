// HMAC-SHA256 as lower-case hex: the webhook publisher signs with it and herald-netsim checks it.
#pragma once

#include <openssl/hmac.h>

#include <string>

namespace herald::builtin {

inline std::string hmac_sha256_hex(const std::string& key, const std::string& body) {
  unsigned char digest[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

}  // namespace herald::builtin
