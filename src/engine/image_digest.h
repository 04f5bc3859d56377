// SHA-256 of blobs and layers through OpenSSL's libcrypto: ~20x faster than base/sha256 on
// this machine (900 vs 48 MB/s), which matters for layers of hundreds of megabytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/error.h"

namespace hull::engine {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void update(const void* data, size_t len);
  // "sha256:<hex>"; the stream must not be updated afterwards.
  std::string digest();

 private:
  void* ctx_;  // EVP_MD_CTX, kept out of the header
};

// "sha256:<hex>" of a string (a manifest or config blob).
std::string sha256_digest(std::string_view data);
// "sha256:ab…" -> "ab…": the name of a blob or layer in the store.
inline std::string digest_hex(const std::string& digest) {
  return digest.substr(digest.find(':') + 1);
}
// "sha256:<hex>" of a file's content.
base::Result<std::string> sha256_file(const std::string& path);

}  // namespace hull::engine
