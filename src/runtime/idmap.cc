#include "runtime/idmap.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/sys.h"

namespace hull::runtime {

using base::Error;
using base::Result;

std::string format_id_map(const std::vector<oci::IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps) {
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size) + "\n";
  }
  return out;
}

bool maps_only_self(const std::vector<oci::IdMapping>& maps, unsigned self) {
  return maps.size() == 1 && maps[0].host_id == self && maps[0].size == 1;
}

namespace {

// newuidmap PID cid hid size ...: a setuid helper, the one program we run, and only for an
// ordinary user who maps more than its own id.
Result<void> run_map_helper(const char* helper, pid_t pid, const std::vector<oci::IdMapping>& m) {
  std::vector<std::string> args{helper, std::to_string(pid)};
  for (const auto& e : m) {
    args.push_back(std::to_string(e.container_id));
    args.push_back(std::to_string(e.host_id));
    args.push_back(std::to_string(e.size));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t child = ::fork();
  if (child < 0) return Error(std::string("fork for ") + helper, errno);
  if (child == 0) {
    ::execvp(helper, argv.data());
    ::_exit(127);
  }
  ASSIGN_OR_RETURN(int status, base::sys::waitpid(child));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    return Error(std::string(helper) + ": not found")
        .hint(
            "install Debian's uidmap package and give the user ranges in /etc/subuid and "
            "/etc/subgid");
  }
  if (status != 0) {
    return Error(std::string(helper) + " exited with status " +
                 std::to_string(base::sys::exit_code_of(status)))
        .hint("check the user's ranges in /etc/subuid and /etc/subgid");
  }
  return {};
}

}  // namespace

Result<bool> write_id_maps(pid_t pid, const oci::Linux& l) {
  std::string proc = "/proc/" + std::to_string(pid);
  if (::geteuid() == 0) {
    TRY_CTX(base::sys::write_file(proc + "/uid_map", format_id_map(l.uid_mappings)),
            "linux.uidMappings");
    TRY_CTX(base::sys::write_file(proc + "/gid_map", format_id_map(l.gid_mappings)),
            "linux.gidMappings");
    return false;
  }
  bool denied = false;
  if (maps_only_self(l.uid_mappings, ::geteuid())) {
    TRY_CTX(base::sys::write_file(proc + "/uid_map", format_id_map(l.uid_mappings)),
            "linux.uidMappings");
  } else {
    TRY_CTX(run_map_helper("newuidmap", pid, l.uid_mappings), "linux.uidMappings");
  }
  if (maps_only_self(l.gid_mappings, ::getegid())) {
    // An unprivileged gid_map needs setgroups denied first, or dropping groups could
    // grant access that negative group permissions had withheld.
    TRY_CTX(base::sys::write_file(proc + "/setgroups", "deny"), "linux.gidMappings");
    TRY_CTX(base::sys::write_file(proc + "/gid_map", format_id_map(l.gid_mappings)),
            "linux.gidMappings");
    denied = true;
  } else {
    TRY_CTX(run_map_helper("newgidmap", pid, l.gid_mappings), "linux.gidMappings");
  }
  return denied;
}

std::string user_namespace_hint() {
  auto max = base::sys::read_file("/proc/sys/user/max_user_namespaces");
  if (max && std::atol(max->c_str()) == 0) {
    return "user namespaces are disabled: /proc/sys/user/max_user_namespaces is 0; enable them "
           "with `sysctl -w user.max_user_namespaces=15000`";
  }
  auto unpriv = base::sys::read_file("/proc/sys/kernel/unprivileged_userns_clone");
  if (::geteuid() != 0 && unpriv && std::atoi(unpriv->c_str()) == 0) {
    return "unprivileged user namespaces are disabled: enable them with "
           "`sysctl -w kernel.unprivileged_userns_clone=1`";
  }
  return "";
}

}  // namespace hull::runtime
