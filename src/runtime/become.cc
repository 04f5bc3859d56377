#include "runtime/become.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/sys.h"
#include "runtime/process.h"

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

namespace {
Result<void> load_filter(const SeccompProgram& prog, const Channel& chan) {
  ASSIGN_OR_RETURN(Fd listener, load_seccomp(prog));
  if (listener) TRY(chan.send(Msg::kSeccompListener, "", listener.get()));
  return {};
}
}  // namespace

Result<std::string> become_process(const oci::Process& p, bool setgroups_denied,
                                   const SeccompProgram* seccomp, const Channel& chan) {
  // Without no_new_privs the kernel wants CAP_SYS_ADMIN to load a filter: load it while
  // we still have it, as runc does; the profile must then allow what follows (setuid,
  // capset, the exec fifo, execve). With no_new_privs it is the very last step.
  bool seccomp_late = p.no_new_privileges;
  if (seccomp && !seccomp_late) TRY(load_filter(*seccomp, chan));
  if (p.capabilities) TRY_CTX(apply_bounding_set(*p.capabilities), "capabilities");
  // cwd before the uid change (the user may not be able to reach it as root can), and after
  // it again in case root was refused on a root-squashed mount.
  bool cwd_done = ::chdir(p.cwd.c_str()) == 0;
  // A cwd the image lacks is made, as runc and docker do (`-w /work` on a bare image).
  if (!cwd_done && errno == ENOENT && base::sys::mkdir_all(p.cwd, 0755)) {
    cwd_done = ::chdir(p.cwd.c_str()) == 0;
  }
  TRY(apply_user(p.user, setgroups_denied));
  if (!cwd_done && ::chdir(p.cwd.c_str()) != 0) {
    return Error("chdir " + p.cwd, errno).context("process.cwd");
  }
  ASSIGN_OR_RETURN(std::string exe, find_executable(p.args[0], p.env));
  if (p.capabilities) TRY_CTX(apply_capabilities(*p.capabilities), "capabilities");
  if (p.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return Error("prctl PR_SET_NO_NEW_PRIVS", errno);
  }
  if (seccomp && seccomp_late) TRY(load_filter(*seccomp, chan));
  return exe;
}

std::optional<int> exec_failure_code(const Error& e) {
  if (e.what().rfind("exec ", 0) != 0) return std::nullopt;
  return e.code() == 0 || e.code() == ENOENT || e.code() == ENOTDIR ? 127 : 126;
}

Error exec_image(const oci::Process& p, const std::string& exe, int preserve_fds) {
  // No fd of ours may reach the container: everything past the preserved ones closes on
  // exec; the preserved ones must not.
  for (int fd = 3; fd < 3 + preserve_fds; ++fd) ::fcntl(fd, F_SETFD, 0);
  ::syscall(SYS_close_range, 3 + preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
  std::vector<char*> argv, envp;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execve(exe.c_str(), argv.data(), envp.data());
  return Error("exec " + exe, errno);
}

}  // namespace hull::runtime
