#include "runtime/seccomp.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "base/sys.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

namespace {

// One table per vocabulary: the config.json names and what libseccomp / the kernel call them.
struct ActionName {
  std::string_view name;
  uint32_t action;
  bool takes_errno;  // the low 16 bits carry errnoRet (EPERM when absent)
};
constexpr ActionName kActions[] = {
    // runc maps the historical SCMP_ACT_KILL to killing the thread, as libseccomp does.
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP, false},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG, false},
    {"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false},
};

struct OpName {
  std::string_view name;
  scmp_compare op;
};
constexpr OpName kOps[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

// Parses linux.seccomp.flags (the entries marked in_spec) and prints the flags of a load.
struct FlagName {
  std::string_view name;
  unsigned flag;
  bool in_spec;  // NEW_LISTENER and TSYNC_ESRCH are hull's to set, never the profile's
};
constexpr FlagName kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, true},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, true},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, true},
    {"SECCOMP_FILTER_FLAG_NEW_LISTENER", SECCOMP_FILTER_FLAG_NEW_LISTENER, false},
#ifdef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
    {"SECCOMP_FILTER_FLAG_TSYNC_ESRCH", SECCOMP_FILTER_FLAG_TSYNC_ESRCH, false},
#endif
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, true},
#endif
};

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string flag_names(unsigned flags) {
  std::string out;
  for (const auto& f : kFlags) {
    if (!(flags & f.flag)) continue;
    out += (out.empty() ? "" : "|") + std::string(f.name.substr(sizeof "SECCOMP_FILTER_FLAG_" - 1));
    flags &= ~f.flag;
  }
  if (flags) out += (out.empty() ? "" : "|") + std::to_string(flags);
  return out.empty() ? "0" : out;
}

// The action value for a config.json action; the fields are named in errors.
Result<uint32_t> action_value(const std::string& name, std::optional<unsigned> errno_ret,
                              const std::string& action_field, const std::string& errno_field) {
  for (const auto& a : kActions) {
    if (a.name != name) continue;
    if (!a.takes_errno) return a.action;
    unsigned e = errno_ret.value_or(EPERM);
    // The kernel keeps only SECCOMP_RET_DATA (16 bits) of the return value.
    if (e > 0xffff) return Error(errno_field + ": " + std::to_string(e) + " exceeds 65535");
    return a.action | e;
  }
  return Error(action_field + ": unknown action " + quote(name));
}

using FilterCtx = std::unique_ptr<void, decltype(&seccomp_release)>;

// libseccomp reports failures as negative errno values.
Error scmp_error(const std::string& what, int rc) { return Error(what, -rc); }

Result<void> add_architectures(scmp_filter_ctx ctx, const std::vector<std::string>& archs) {
  for (size_t i = 0; i < archs.size(); ++i) {
    std::string where = "linux.seccomp.architectures[" + std::to_string(i) + "]";
    // libseccomp names architectures as the spec does, lower case and without the prefix.
    std::string name = archs[i];
    if (name.starts_with("SCMP_ARCH_")) name = name.substr(sizeof "SCMP_ARCH_" - 1);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    uint32_t arch = seccomp_arch_resolve_name(name.c_str());
    if (arch == 0) return Error(where + ": unknown architecture " + quote(archs[i]));
    int rc = seccomp_arch_add(ctx, arch);
    // The native architecture is in every new filter already.
    if (rc != 0 && rc != -EEXIST) return scmp_error(where + ": add " + quote(archs[i]), rc);
  }
  return {};
}

Result<std::vector<scmp_arg_cmp>> conditions(const oci::SeccompSyscall& call,
                                             const std::string& where) {
  std::vector<scmp_arg_cmp> out;
  for (size_t j = 0; j < call.args.size(); ++j) {
    const oci::SeccompArg& a = call.args[j];
    std::string at = where + ".args[" + std::to_string(j) + "]";
    if (a.index > 5) {
      return Error(at + ".index: " + std::to_string(a.index) +
                   " is out of range (a syscall has six arguments, 0 to 5)");
    }
    auto op = std::find_if(std::begin(kOps), std::end(kOps),
                           [&](const OpName& o) { return o.name == a.op; });
    if (op == std::end(kOps)) return Error(at + ".op: unknown operator " + quote(a.op));
    // For MASKED_EQ libseccomp reads datum_a as the mask and datum_b as the value to compare
    // with, which is how the spec's value and valueTwo line up; other operators use datum_a.
    uint64_t two = op->op == SCMP_CMP_MASKED_EQ ? a.value_two : 0;
    out.push_back(scmp_arg_cmp{a.index, op->op, a.value, two});
  }
  return out;
}

// True when two conditions test the same argument: libseccomp refuses those in one rule
// (EINVAL), so runc — and hull, to stay compatible — adds each condition as its own rule,
// which makes them alternatives (OR) rather than a conjunction.
bool shares_an_index(const std::vector<scmp_arg_cmp>& conds) {
  unsigned seen = 0;
  for (const auto& c : conds) {
    if (seen & (1u << c.arg)) return true;
    seen |= 1u << c.arg;
  }
  return false;
}

Result<void> add_rules(scmp_filter_ctx ctx, const oci::Seccomp& s, uint32_t default_action,
                       std::vector<std::string>& skipped) {
  for (size_t i = 0; i < s.syscalls.size(); ++i) {
    const oci::SeccompSyscall& call = s.syscalls[i];
    std::string where = "linux.seccomp.syscalls[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(uint32_t action, action_value(call.action, call.errno_ret, where + ".action",
                                                   where + ".errnoRet"));
    ASSIGN_OR_RETURN(auto conds, conditions(call, where));
    // libseccomp rejects a rule that repeats the default action (EACCES); it would change
    // nothing, so it is dropped, as runc does.
    if (action == default_action) continue;
    for (const std::string& name : call.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      // Unknown to libseccomp: a newer syscall or another architecture's. Names that exist
      // on an added architecture only resolve to negative pseudo numbers and work.
      if (nr == __NR_SCMP_ERROR) {
        if (std::find(skipped.begin(), skipped.end(), name) == skipped.end()) {
          skipped.push_back(name);
        }
        continue;
      }
      std::string what = where + ": add rule for " + quote(name);
      if (shares_an_index(conds)) {
        for (const auto& c : conds) {
          int rc = seccomp_rule_add_array(ctx, action, nr, 1, &c);
          if (rc != 0) return scmp_error(what, rc);
        }
        continue;
      }
      int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(conds.size()),
                                      conds.empty() ? nullptr : conds.data());
      if (rc != 0) return scmp_error(what, rc);
    }
  }
  return {};
}

// libseccomp 2.5 has no seccomp_export_bpf_mem (2.6 does): export to a memfd and read back.
Result<std::vector<sock_filter>> export_bpf(scmp_filter_ctx ctx) {
  Fd mem(::memfd_create("hull-seccomp-bpf", MFD_CLOEXEC));
  if (!mem) return Error("memfd_create", errno);
  if (int rc = seccomp_export_bpf(ctx, mem.get()); rc != 0) return scmp_error("export bpf", rc);
  if (::lseek(mem.get(), 0, SEEK_SET) < 0) return Error("export bpf: lseek", errno);
  ASSIGN_OR_RETURN(std::string bytes, base::sys::read_fd(mem.get()));
  if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0) {
    return Error("export bpf: " + std::to_string(bytes.size()) + " bytes is not a program");
  }
  std::vector<sock_filter> out(bytes.size() / sizeof(sock_filter));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace

Result<SeccompProgram> compile_seccomp(const oci::Seccomp& s) {
  SeccompProgram p;
  for (size_t i = 0; i < s.flags.size(); ++i) {
    auto f = std::find_if(std::begin(kFlags), std::end(kFlags),
                          [&](const FlagName& n) { return n.in_spec && n.name == s.flags[i]; });
    if (f == std::end(kFlags)) {
      return Error("linux.seccomp.flags[" + std::to_string(i) + "]: unsupported flag " +
                   quote(s.flags[i]));
    }
    p.flags |= f->flag;
  }
  for (const auto& call : s.syscalls) p.notify = p.notify || call.action == "SCMP_ACT_NOTIFY";

  ASSIGN_OR_RETURN(uint32_t def,
                   action_value(s.default_action, s.default_errno_ret,
                                "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet"));
  FilterCtx ctx(seccomp_init(def), seccomp_release);
  if (!ctx) return Error("linux.seccomp: seccomp_init failed for " + quote(s.default_action));
  // hull sets no_new_privs itself, in its own place among the child's steps.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc != 0) {
    return scmp_error("linux.seccomp: clear the no_new_privs attribute", rc);
  }
  TRY(add_architectures(ctx.get(), s.architectures));
  TRY(add_rules(ctx.get(), s, def, p.skipped));
  ASSIGN_OR_RETURN(p.filter, export_bpf(ctx.get()));
  // Checked here rather than left to seccomp(2)'s bare EINVAL in the child.
  if (p.filter.size() > BPF_MAXINSNS) {
    return Error("linux.seccomp: the filter has " + std::to_string(p.filter.size()) +
                 " instructions; the kernel loads at most " + std::to_string(BPF_MAXINSNS))
        .hint("list fewer architectures or merge rules");
  }
  return p;
}

Result<Fd> load_seccomp(const SeccompProgram& p) {
  if (p.filter.empty()) return Error("seccomp: empty program");
  unsigned flags = p.flags;
  if (p.notify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
#ifdef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
    // TSYNC reports a failing thread's id as the return value, which collides with the
    // listener fd; the kernel refuses the pair (EINVAL) unless TSYNC_ESRCH makes that ESRCH.
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
#endif
  }
#ifdef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
  // It only changes how a notification waits; without a listener the kernel says EINVAL.
  if (!p.notify) flags &= ~static_cast<unsigned>(SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
#endif
  sock_fprog prog{};
  prog.len = static_cast<unsigned short>(p.filter.size());
  prog.filter = const_cast<sock_filter*>(p.filter.data());
  long r = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0) {
    int err = errno;  // read before building the message allocates
    Error e("seccomp(SET_MODE_FILTER, " + flag_names(flags) + ")", err);
    if (err == EACCES) e.hint("set no_new_privs first, or keep CAP_SYS_ADMIN until seccomp");
    return e;
  }
  // With NEW_LISTENER the return value is the listener, created close-on-exec by the kernel.
  return p.notify ? Fd(static_cast<int>(r)) : Fd();
}

Result<void> send_seccomp_listener(const std::string& listener_path, const std::string& metadata,
                                   int listener_fd, int pid, const std::string& state_json) {
  std::string where = "linux.seccomp.listenerPath " + listener_path;
  nlohmann::json state = nlohmann::json::parse(state_json, nullptr, /*allow_exceptions=*/false);
  if (state.is_discarded()) return Error(where + ": the container state is not valid JSON");
  nlohmann::json msg = {
      {"ociVersion", oci::kSpecVersion},
      {"fds", {"seccompFd"}},
      {"pid", pid},
      {"state", std::move(state)},
  };
  if (!metadata.empty()) msg["metadata"] = metadata;

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (listener_path.size() >= sizeof addr.sun_path) {
    return Error(where + ": longer than a unix socket path may be (" +
                 std::to_string(sizeof addr.sun_path - 1) + " bytes)");
  }
  listener_path.copy(addr.sun_path, listener_path.size());
  Fd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) {
    int err = errno;
    return Error(where + ": socket", err);
  }
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    return Error(where + ": connect", err).hint("is the seccomp agent listening?");
  }
  TRY_CTX(base::sys::send_with_fd(sock.get(), msg.dump(), listener_fd), where);
  return {};
}

}  // namespace hull::runtime
