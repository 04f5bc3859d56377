// (These read errno, which STYLE reserves for base/sys; they move there if another part of
// hull ever needs bpf(2).)
#include "runtime/cgroup_bpf.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hull::runtime {

namespace {

uint64_t ptr(const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

// bpf(2) has no glibc wrapper. The fds it returns are close-on-exec.
long bpf(int cmd, bpf_attr& attr) { return ::syscall(__NR_bpf, cmd, &attr, sizeof(attr)); }

// The kernel reads a program's license only to allow the helpers it marks GPL-only; the
// device filter calls no helper at all, so it declares none.
constexpr char kLicense[] = "";

// The last non-empty line of a verifier log: what it objected to.
std::string last_line(const std::string& log) {
  size_t end = log.find_last_not_of("\n\0", std::string::npos, 2);
  if (end == std::string::npos) return "";
  size_t start = log.rfind('\n', end);
  return log.substr(start == std::string::npos ? 0 : start + 1, end - start);
}

base::Result<base::Fd> load(const std::vector<bpf_insn>& insns, std::string* log) {
  bpf_attr a;
  std::memset(&a, 0, sizeof(a));
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insns = ptr(insns.data());
  a.insn_cnt = static_cast<uint32_t>(insns.size());
  a.license = ptr(kLicense);
  if (log) {
    log->assign(64 * 1024, '\0');
    a.log_buf = ptr(log->data());
    a.log_size = static_cast<uint32_t>(log->size());
    a.log_level = 1;
  }
  long fd = bpf(BPF_PROG_LOAD, a);
  if (fd < 0) {
    return base::Error(
        "bpf BPF_PROG_LOAD (device filter, " + std::to_string(insns.size()) + " instructions)",
        errno);
  }
  return base::Fd(static_cast<int>(fd));
}

}  // namespace

base::Result<base::Fd> load_device_program(const std::vector<bpf_insn>& insns) {
  auto fd = load(insns, nullptr);
  if (fd || (fd.error().code() != EINVAL && fd.error().code() != EACCES)) return fd;
  // Rejected by the verifier: load again with its log, for the reason.
  std::string log;
  auto again = load(insns, &log);
  if (!again && !last_line(log).empty()) again.error().hint("verifier: " + last_line(log));
  return again;
}

base::Result<std::vector<uint32_t>> attached_device_programs(int cgroup_fd) {
  std::vector<uint32_t> ids(16);
  for (;;) {
    bpf_attr a;
    std::memset(&a, 0, sizeof(a));
    a.query.target_fd = static_cast<uint32_t>(cgroup_fd);
    a.query.attach_type = BPF_CGROUP_DEVICE;
    a.query.prog_ids = ptr(ids.data());
    a.query.prog_cnt = static_cast<uint32_t>(ids.size());
    if (bpf(BPF_PROG_QUERY, a) == 0) {
      ids.resize(a.query.prog_cnt);
      return ids;
    }
    // ENOSPC: more programs than room; prog_cnt now holds how many there are.
    if (errno != ENOSPC) return base::Error("bpf BPF_PROG_QUERY (device programs)", errno);
    ids.resize(a.query.prog_cnt + 16);
  }
}

base::Result<void> replace_device_program(int cgroup_fd, int prog_fd) {
  ASSIGN_OR_RETURN(std::vector<uint32_t> old, attached_device_programs(cgroup_fd));
  bpf_attr a;
  std::memset(&a, 0, sizeof(a));
  a.target_fd = static_cast<uint32_t>(cgroup_fd);
  a.attach_bpf_fd = static_cast<uint32_t>(prog_fd);
  a.attach_type = BPF_CGROUP_DEVICE;
  // ALLOW_MULTI: the new program is added beside the old one instead of taking its place, so
  // there is no moment without a filter. (A cgroup whose program was attached without the flag
  // refuses it with EPERM; hull never attaches without it.)
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, a) != 0) {
    return base::Error("bpf BPF_PROG_ATTACH (device filter, BPF_F_ALLOW_MULTI)", errno);
  }
  for (uint32_t id : old) {
    auto r = detach_device_program(cgroup_fd, id);
    if (!r && r.error().code() != ENOENT) return r;  // ENOENT: detached by someone else
  }
  return {};
}

base::Result<void> detach_device_program(int cgroup_fd, uint32_t id) {
  bpf_attr a;
  std::memset(&a, 0, sizeof(a));
  a.prog_id = id;
  long fd = bpf(BPF_PROG_GET_FD_BY_ID, a);
  if (fd < 0) return base::Error("bpf BPF_PROG_GET_FD_BY_ID (" + std::to_string(id) + ")", errno);
  base::Fd prog(static_cast<int>(fd));
  std::memset(&a, 0, sizeof(a));
  a.target_fd = static_cast<uint32_t>(cgroup_fd);
  a.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  a.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, a) != 0) {
    return base::Error("bpf BPF_PROG_DETACH (device program " + std::to_string(id) + ")", errno);
  }
  return {};
}

}  // namespace hull::runtime
