#include "runtime/process.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "base/sys.h"
#include "oci/capabilities.h"

namespace hull::runtime {

using base::Error;
using base::Result;

Result<void> apply_rlimits(const oci::Process& p) {
  for (size_t i = 0; i < p.rlimits.size(); ++i) {
    const auto& r = p.rlimits[i];
    rlimit lim{r.soft, r.hard};
    if (::setrlimit(r.resource, &lim) != 0) {
      int err = errno;
      Error e("process.rlimits[" + std::to_string(i) + "]: setrlimit " + r.type + " soft " +
                  std::to_string(r.soft) + " hard " + std::to_string(r.hard),
              err);
      rlimit cur{};
      if (err == EPERM && ::getrlimit(r.resource, &cur) == 0 && r.hard > cur.rlim_max) {
        e.hint("the hard limit here is " + std::to_string(cur.rlim_max) +
               "; raising it needs CAP_SYS_RESOURCE");
      }
      return e;
    }
  }
  return {};
}

Result<void> apply_oom_score_adj(const oci::Process& p) {
  if (!p.oom_score_adj) return {};
  auto r = base::sys::write_file("/proc/self/oom_score_adj", std::to_string(*p.oom_score_adj));
  if (!r && r.error().code() == EACCES) {
    return std::move(r.error())
        .context("process.oomScoreAdj")
        .hint("lowering the score needs CAP_SYS_RESOURCE");
  }
  if (!r) return std::move(r.error()).context("process.oomScoreAdj");
  return {};
}

Result<void> apply_user(const oci::User& u, bool setgroups_denied) {
  if (!setgroups_denied) {
    std::vector<gid_t> groups(u.additional_gids.begin(), u.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) != 0) {
      return Error("setgroups", errno).context("process.user.additionalGids");
    }
  } else if (!u.additional_gids.empty()) {
    return Error(
        "process.user.additionalGids: cannot be set: setgroups is denied in this user "
        "namespace");
  }
  // Keep the permitted set across the uid change; apply_capabilities sets it exactly after.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Error("prctl PR_SET_KEEPCAPS", errno);
  if (::setresgid(u.gid, u.gid, u.gid) != 0) {
    return Error("setresgid " + std::to_string(u.gid), errno)
        .context("process.user.gid")
        .hint("is the gid mapped in the user namespace?");
  }
  if (::setresuid(u.uid, u.uid, u.uid) != 0) {
    return Error("setresuid " + std::to_string(u.uid), errno)
        .context("process.user.uid")
        .hint("is the uid mapped in the user namespace?");
  }
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return Error("prctl PR_SET_KEEPCAPS", errno);
  if (u.umask)
    ::umask(*u.umask);
  else
    ::umask(022);
  return {};
}

namespace {
int last_cap() {
  static int cached = -1;
  if (cached < 0) {
    auto t = base::sys::read_file("/proc/sys/kernel/cap_last_cap");
    cached = t ? std::atoi(t->c_str()) : CAP_LAST_CAP;
  }
  return cached;
}

void add_bits(const std::vector<int>& caps, uint32_t (&words)[2]) {
  for (int c : caps) {
    if (c > last_cap()) continue;
    words[c / 32] |= 1u << (c % 32);
  }
}
}  // namespace

Result<void> apply_bounding_set(const oci::Capabilities& c) {
  int last = last_cap();
  std::vector<bool> keep(static_cast<size_t>(last) + 1, false);
  for (int cap : c.bounding) {
    if (cap <= last) keep[static_cast<size_t>(cap)] = true;
  }
  for (int cap = 0; cap <= last; ++cap) {
    if (keep[static_cast<size_t>(cap)]) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return Error("drop " + oci::capability_name(cap) + " from the bounding set", errno);
    }
  }
  return {};
}

Result<void> apply_capabilities(const oci::Capabilities& c) {
  int last = last_cap();
  uint32_t eff[2] = {}, perm[2] = {}, inh[2] = {};
  add_bits(c.effective, eff);
  add_bits(c.permitted, perm);
  add_bits(c.inheritable, inh);
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = eff[i];
    data[i].permitted = perm[i];
    data[i].inheritable = inh[i];
  }
  if (::syscall(SYS_capset, &hdr, data) != 0) {
    return Error("capset", errno)
        .context("process.capabilities")
        .hint("effective and inheritable must be subsets of permitted and bounding");
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return Error("clear ambient capabilities", errno);
  }
  for (int cap : c.ambient) {
    if (cap > last) continue;
    // An ambient capability must also be permitted and inheritable. runc's own default
    // spec lists ambient caps with an empty inheritable set, and runc carries on when the
    // kernel refuses them; so do we, saying so in --debug.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
      base::log::debug("process.capabilities.ambient: " + oci::capability_name(cap) +
                       " not raised (not both permitted and inheritable)");
    }
  }
  return {};
}

Result<std::string> find_executable(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) {
    struct stat st;
    if (::stat(name.c_str(), &st) != 0) return Error("exec \"" + name + "\"", errno);
    return name;
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  size_t start = 0;
  for (;;) {
    size_t end = path.find(':', start);
    std::string dir = path.substr(start, end == std::string::npos ? end : end - start);
    if (dir.empty()) dir = ".";
    std::string cand = dir + "/" + name;
    struct stat st;
    if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
      return cand;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return Error("exec \"" + name + "\": executable file not found in $PATH");
}

}  // namespace hull::runtime
