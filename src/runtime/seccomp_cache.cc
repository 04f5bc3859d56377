// The on-disk cache of compiled seccomp programs. Compiling a podman-sized profile with
// libseccomp costs milliseconds per container start; the BPF depends only on the profile,
// the libseccomp version and the kernel (libseccomp probes which actions it supports), so
// those are hashed into the file name and a hit is a single small read.
//
// File layout (host byte order: the key includes the machine, so files never travel):
//   "HULLBPF1" | u32 flags | u32 notify | u32 n_skipped | n_skipped x (u32 len, bytes)
//   | u32 n_insns | n_insns x sock_filter | SHA-256 of everything before it
#include <seccomp.h>
#include <sys/utsname.h>

#include <cstring>
#include <string_view>

#include "base/sha256.h"
#include "base/sys.h"
#include "runtime/seccomp.h"

namespace hull::runtime {

using base::Result;

namespace {

constexpr std::string_view kMagic = "HULLBPF1";

// Length-prefixed fields: no two different profiles serialise to the same text.
class Canon {
 public:
  Canon& str(std::string_view s) {
    out_ += std::to_string(s.size());
    out_ += ':';
    out_ += s;
    return *this;
  }
  Canon& num(uint64_t v) { return str(std::to_string(v)); }
  Canon& opt(const std::optional<unsigned>& v) { return v ? num(1).num(*v) : num(0); }
  Canon& strs(const std::vector<std::string>& v) {
    num(v.size());
    for (const auto& s : v) str(s);
    return *this;
  }
  const std::string& text() const { return out_; }

 private:
  std::string out_;
};

void put_u32(std::string& out, uint32_t v) { out.append(reinterpret_cast<const char*>(&v), 4); }

// Reads the fields of a cache file in order; any overrun marks the reader failed.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  std::string_view take(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    std::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  uint32_t u32() {
    uint32_t v = 0;
    std::string_view b = take(4);
    if (ok_) std::memcpy(&v, b.data(), 4);
    return v;
  }
  bool at_end() const { return ok_ && pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::string encode(const SeccompProgram& p) {
  std::string out(kMagic);
  put_u32(out, p.flags);
  put_u32(out, p.notify ? 1 : 0);
  put_u32(out, static_cast<uint32_t>(p.skipped.size()));
  for (const auto& name : p.skipped) {
    put_u32(out, static_cast<uint32_t>(name.size()));
    out += name;
  }
  put_u32(out, static_cast<uint32_t>(p.filter.size()));
  out.append(reinterpret_cast<const char*>(p.filter.data()), p.filter.size() * sizeof(sock_filter));
  auto sum = base::sha256(out);
  out.append(reinterpret_cast<const char*>(sum.data()), sum.size());
  return out;
}

// nullopt for anything short, foreign or damaged: the caller recompiles and rewrites.
std::optional<SeccompProgram> decode(std::string_view data) {
  constexpr size_t kSum = sizeof(base::Sha256::Digest);
  if (data.size() < kMagic.size() + kSum) return std::nullopt;
  std::string_view body = data.substr(0, data.size() - kSum);
  auto sum = base::sha256(body);
  if (std::memcmp(sum.data(), data.data() + body.size(), kSum) != 0) return std::nullopt;
  Reader r(body);
  if (r.take(kMagic.size()) != kMagic) return std::nullopt;
  SeccompProgram p;
  p.flags = r.u32();
  p.notify = r.u32() != 0;
  uint32_t n_skipped = r.u32();
  for (uint32_t i = 0; i < n_skipped && r.ok(); ++i) p.skipped.emplace_back(r.take(r.u32()));
  uint32_t n = r.u32();
  if (!r.ok() || n == 0 || n > BPF_MAXINSNS) return std::nullopt;
  std::string_view insns = r.take(size_t{n} * sizeof(sock_filter));
  if (!r.at_end()) return std::nullopt;
  p.filter.resize(n);
  std::memcpy(p.filter.data(), insns.data(), insns.size());
  return p;
}

}  // namespace

std::string seccomp_cache_key(const oci::Seccomp& s) {
  Canon c;
  c.str("hull-seccomp-cache-v1");
  c.str(s.default_action).opt(s.default_errno_ret).strs(s.architectures).strs(s.flags);
  c.num(s.syscalls.size());
  for (const auto& call : s.syscalls) {
    c.strs(call.names).str(call.action).opt(call.errno_ret).num(call.args.size());
    for (const auto& a : call.args) c.num(a.index).num(a.value).num(a.value_two).str(a.op);
  }
  // seccomp_version() reads a static struct: it does not initialise libseccomp.
  const scmp_version* v = seccomp_version();
  c.num(v->major).num(v->minor).num(v->micro);
  utsname u{};
  ::uname(&u);
  c.str(u.release).str(u.machine);
  return base::sha256_hex(c.text());
}

Result<SeccompProgram> compile_seccomp_cached(const oci::Seccomp& s, const std::string& cache_dir) {
  std::string path = cache_dir + "/" + seccomp_cache_key(s);
  if (auto data = base::sys::read_file(path)) {
    if (auto p = decode(*data)) {
      p->from_cache = true;
      return std::move(*p);
    }
  }
  ASSIGN_OR_RETURN(SeccompProgram p, compile_seccomp(s));
  // The cache is only an optimisation: failing to write it leaves the program good.
  if (base::sys::mkdir_all(cache_dir, 0700)) {
    (void)base::sys::write_file_atomic(path, encode(p), 0600);
  }
  return p;
}

}  // namespace hull::runtime
