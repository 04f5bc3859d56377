// SHA-256 (FIPS 180-4), self-contained so base/ needs no crypto library: used to key caches
// (compiled seccomp programs) by the content they were built from. Not constant-time; never
// use it for secrets.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hull::base {

class Sha256 {
 public:
  using Digest = std::array<uint8_t, 32>;

  Sha256();
  void update(const void* data, size_t len);
  void update(std::string_view s) { update(s.data(), s.size()); }
  // Pads and returns the digest; the object must not be updated afterwards.
  Digest finish();

 private:
  void block(const uint8_t* p);

  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buf_len_ = 0;
  uint64_t total_ = 0;  // bytes hashed so far
};

Sha256::Digest sha256(std::string_view data);
// Lower-case hex of the digest: 64 characters.
std::string sha256_hex(std::string_view data);
std::string to_hex(const Sha256::Digest& d);

}  // namespace hull::base
