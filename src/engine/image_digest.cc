#include "engine/image_digest.h"

#include <fcntl.h>
#include <openssl/evp.h>


#include "base/dynlib.h"
#include "base/hex.h"
#include "base/sys.h"

namespace hull::engine {

namespace {

// libcrypto is loaded on first use, like libarchive (archive_lib.h): most `hull` commands
// (run above all) never hash, and should not pay for loading it.
struct Crypto {
  decltype(&::EVP_MD_CTX_new) md_ctx_new;
  decltype(&::EVP_MD_CTX_free) md_ctx_free;
  decltype(&::EVP_DigestInit_ex) digest_init;
  decltype(&::EVP_DigestUpdate) digest_update;
  decltype(&::EVP_DigestFinal_ex) digest_final;
  decltype(&::EVP_sha256) sha256;
};

const Crypto& crypto() {
  static const Crypto table = [] {
    base::DynLib lib("libcrypto.so.3", "libssl3");
    Crypto c{};
    auto sym = [&](const char* name) { return lib.symbol(name); };
    c.md_ctx_new = reinterpret_cast<decltype(c.md_ctx_new)>(sym("EVP_MD_CTX_new"));
    c.md_ctx_free = reinterpret_cast<decltype(c.md_ctx_free)>(sym("EVP_MD_CTX_free"));
    c.digest_init = reinterpret_cast<decltype(c.digest_init)>(sym("EVP_DigestInit_ex"));
    c.digest_update = reinterpret_cast<decltype(c.digest_update)>(sym("EVP_DigestUpdate"));
    c.digest_final = reinterpret_cast<decltype(c.digest_final)>(sym("EVP_DigestFinal_ex"));
    c.sha256 = reinterpret_cast<decltype(c.sha256)>(sym("EVP_sha256"));
    return c;
  }();
  return table;
}

}  // namespace

Sha256Stream::Sha256Stream() : ctx_(crypto().md_ctx_new()) {
  crypto().digest_init(static_cast<EVP_MD_CTX*>(ctx_), crypto().sha256(), nullptr);
}

Sha256Stream::~Sha256Stream() { crypto().md_ctx_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Stream::update(const void* data, size_t len) {
  crypto().digest_update(static_cast<EVP_MD_CTX*>(ctx_), data, len);
}

std::string Sha256Stream::digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  crypto().digest_final(static_cast<EVP_MD_CTX*>(ctx_), md, &n);
  return "sha256:" + base::hex(md, n);
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
