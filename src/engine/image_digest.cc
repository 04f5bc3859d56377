#include "engine/image_digest.h"

#include <fcntl.h>
#include <openssl/evp.h>

#include "base/sys.h"

namespace hull::engine {

namespace {
std::string hex(const unsigned char* p, unsigned n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}
}  // namespace

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Stream::update(const void* data, size_t len) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, len);
}

std::string Sha256Stream::digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &n);
  return "sha256:" + hex(md, n);
}

std::string sha256_digest(std::string_view data) {
  Sha256Stream s;
  s.update(data.data(), data.size());
  return s.digest();
}

base::Result<std::string> sha256_file(const std::string& path) {
  ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(path, O_RDONLY));
  Sha256Stream s;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return base::sys_error("read " + path, errno);
    }
    if (n == 0) break;
    s.update(buf, static_cast<size_t>(n));
  }
  return s.digest();
}

}  // namespace hull::engine
