// `hull exec`: a new process in a running container, with the container's own process
// settings as defaults; --ns joins only the listed namespaces (host tools in the
// container's network: `hull exec --ns net web ip addr`).
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>

#include "base/log.h"
#include "cli/hull/commands.h"

namespace hull::cli {

extern "C" char** environ;

namespace {

struct ExecFlags {
  bool detach = false, interactive = false, tty = false;
  std::vector<std::string> env;
  std::string user, workdir, ns;
};

base::Result<int> namespace_flags(const std::string& list) {
  int flags = 0;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma == std::string::npos ? comma : comma - start);
    const oci::NamespaceInfo* found = nullptr;
    for (const auto& info : oci::all_namespaces()) {
      if (name == info.proc_name || name == info.spec_name) found = &info;
    }
    if (!found) {
      return base::Error("--ns \"" + list + "\": unknown namespace \"" + name + "\"")
          .hint("use cgroup, ipc, mnt, net, pid, time, user, uts, comma-separated");
    }
    flags |= found->clone_flag;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return flags;
}

}  // namespace

void add_exec(CLI::App& app, Globals& g, Action& action) {
  auto f = std::make_shared<ExecFlags>();
  auto* exec = app.add_subcommand("exec", "run a command in a running container");
  exec->add_flag("-d,--detach", f->detach, "run in the background");
  exec->add_flag("-i,--interactive", f->interactive, "keep stdin open");
  exec->add_flag("-t,--tty", f->tty, "allocate a pseudo-terminal");
  exec->add_option("-e,--env", f->env, "set an environment variable")->allow_extra_args(false);
  exec->add_option("-u,--user", f->user, "user[:group]");
  exec->add_option("-w,--workdir", f->workdir, "working directory");
  exec->add_option("--ns", f->ns, "join only these namespaces (net,pid,…), keep the host's others");
  exec->prefix_command();
  exec->callback([&g, &action, f, exec] {
    action = [&g, f, exec]() -> base::Result<int> {
      std::vector<std::string> rest = exec->remaining();
      if (!rest.empty() && rest[0] == "--") rest.erase(rest.begin());
      if (rest.size() < 2) {
        return base::Error("exec: a container and a command are required")
            .hint("hull exec [OPTIONS] CONTAINER COMMAND [ARG...]");
      }
      engine::Engine e = g.engine();
      ASSIGN_OR_RETURN(engine::ContainerRecord c, e.find(rest[0]));
      ASSIGN_OR_RETURN(oci::Spec spec, e.spec_of(c));
      engine::ExecRequest req;
      req.args.assign(rest.begin() + 1, rest.end());
      req.tty = f->tty;
      req.detach = f->detach;
      req.env = f->env;
      req.user = f->user;
      req.workdir = f->workdir;
      if (!f->ns.empty()) {
        ASSIGN_OR_RETURN(req.only_namespaces, namespace_flags(f->ns));
        for (char** p = environ; *p; ++p) req.host_env.push_back(*p);
      }
      if (!f->interactive && !f->detach) req.stdin_null = true;
      // By the name given, which errors then show ("container web is not running").
      auto code = e.exec(rest[0], req);
      if (!code) {
        auto failed = exec_failure_code(code.error());
        if (!failed) return std::move(code.error());
        base::log::error(code.error().message());
        return *failed;
      }
      return code;
    };
  });
}

}  // namespace hull::cli
