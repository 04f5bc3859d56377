// `hull exec` through the runtime's exec: the container's process settings as defaults,
// -e/-u/-w/-t over them; with --ns, the caller's own process in some of the container's
// namespaces.
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/sys.h"
#include "engine/engine.h"
#include "engine/spec_user.h"
#include "runtime/exec.h"

namespace hull::engine {

using base::Error;
using base::Result;

namespace {

// KEY=VALUE entries of `add` replace those of `env` with the same KEY; a bare KEY takes our
// own environment's value, as docker.
void merge_env(std::vector<std::string>& env, const std::vector<std::string>& add) {
  for (std::string e : add) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      const char* v = std::getenv(e.c_str());
      if (!v) continue;
      e += "=" + std::string(v);
      eq = e.find('=');
    }
    std::string key = e.substr(0, eq + 1);
    bool replaced = false;
    for (auto& old : env) {
      if (old.rfind(key, 0) == 0) {
        old = e;
        replaced = true;
      }
    }
    if (!replaced) env.push_back(e);
  }
}

}  // namespace

Result<int> Engine::exec(const std::string& ref, const ExecRequest& req) {
  ASSIGN_OR_RETURN(ContainerRecord c, find(ref));
  if (!c.monitor_alive || c.state != ContainerState::kRunning) {
    return Error("container " + ref + " is not running");
  }
  ASSIGN_OR_RETURN(oci::Spec spec, spec_of(c));
  oci::Process p = spec.process;
  p.args = req.args;
  p.terminal = req.tty;
  p.console_size.reset();
  // The pty gets our terminal's size before the process runs: set afterwards, a quick
  // command (`exec -t web stty size`) could read 0 0.
  if (winsize ws{}; req.tty && ::ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) {
    p.console_size = oci::ConsoleSize{ws.ws_row, ws.ws_col};
  }
  runtime::ExecOptions opt;
  opt.detach = req.detach;
  if (req.only_namespaces) {
    // The caller's own process: its environment, root with its capabilities, its cwd.
    p.env = req.host_env;
    p.user = oci::User{};
    p.capabilities.reset();
    p.no_new_privileges = false;
    p.rlimits.clear();
    char cwd[PATH_MAX];
    p.cwd = ::getcwd(cwd, sizeof cwd) ? cwd : "/";
    opt.only_namespaces = req.only_namespaces;
  } else {
    merge_env(p.env, req.env);
    if (!req.workdir.empty()) p.cwd = req.workdir;
    if (!req.user.empty()) {
      std::vector<std::string> lookup = {store_.dir_of(c.id) + "/upper"};
      lookup.insert(lookup.end(), c.layer_dirs.rbegin(), c.layer_dirs.rend());
      auto u = spec_detail::resolve_user(req.user, lookup);
      if (!u) return std::move(u.error()).context("--user");
      p.user.uid = u->uid;
      p.user.gid = u->gid;
      p.user.additional_gids = u->additional_gids;
    }
  }
  base::Fd null;
  if (req.stdin_null || req.detach) {
    ASSIGN_OR_RETURN(null, base::sys::open("/dev/null", O_RDWR));
    opt.stdio[0] = null.get();
    if (req.detach) opt.stdio[1] = opt.stdio[2] = null.get();
  }
  opt.relay_stdin = !req.stdin_null;
  return runtime::exec_process(rt(), c.id, p, opt);
}

}  // namespace hull::engine
