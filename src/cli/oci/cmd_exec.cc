// exec: run a new process in a running container, from --process or from the container's
// own process spec with the command and the flags' changes, as runc does.
#include "base/sys.h"
#include "cli/oci/commands.h"
#include "oci/capabilities.h"
#include "runtime/exec.h"

namespace hull::cli {

namespace {

struct ExecFlags {
  runtime::ExecOptions opt;
  std::string process_file;
  bool tty = false;
  std::vector<std::string> env;
  std::string cwd;
  std::string user;
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> caps;
  bool no_new_privs = false;
  std::string ignored;
};

base::Result<oci::Process> build_process(const Globals& g, const ExecFlags& f,
                                         const std::string& id,
                                         const std::vector<std::string>& args) {
  if (!f.process_file.empty()) {
    ASSIGN_OR_RETURN(std::string text, base::sys::read_file(f.process_file));
    auto p = oci::parse_process(text);
    if (!p) return std::move(p.error()).context("--process " + f.process_file);
    return p;
  }
  if (args.empty()) return base::Error("exec: no command given").hint("hull-oci exec ID CMD…");
  runtime::Runtime rt(g.runtime_options());
  ASSIGN_OR_RETURN(oci::Spec spec, runtime::load_container_spec(rt, id));
  oci::Process p = spec.process;
  p.args = args;
  p.terminal = f.tty;
  p.console_size.reset();
  for (const auto& e : f.env) {
    if (e.find('=') == std::string::npos)
      return base::Error("--env " + e + ": expected NAME=VALUE");
    p.env.push_back(e);
  }
  if (!f.cwd.empty()) p.cwd = f.cwd;
  if (!f.user.empty()) {
    size_t colon = f.user.find(':');
    try {
      p.user.uid = static_cast<uint32_t>(std::stoul(f.user.substr(0, colon)));
      if (colon != std::string::npos) {
        p.user.gid = static_cast<uint32_t>(std::stoul(f.user.substr(colon + 1)));
      }
    } catch (const std::exception&) {
      return base::Error("--user " + f.user + ": expected UID[:GID] as numbers");
    }
  }
  if (!f.additional_gids.empty()) p.user.additional_gids = f.additional_gids;
  if (!f.caps.empty() && !p.capabilities) p.capabilities.emplace();
  for (const auto& name : f.caps) {
    auto cap = oci::capability_from_name(name);
    if (!cap) return base::Error("--cap " + name + ": unknown capability");
    for (auto* set :
         {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted}) {
      set->push_back(*cap);
    }
  }
  if (f.no_new_privs) p.no_new_privileges = true;
  return p;
}

}  // namespace

void add_exec(CLI::App& app, Globals& g, Action& action) {
  auto* cmd = app.add_subcommand("exec", "run a new process in a running container");
  auto f = std::make_shared<ExecFlags>();
  cmd->add_option("-p,--process", f->process_file, "process.json to run");
  cmd->add_flag("-t,--tty", f->tty, "allocate a pty");
  cmd->add_option("--console-socket", f->opt.console_socket, "receives the pty master");
  cmd->add_flag("-d,--detach", f->opt.detach, "return once the process runs");
  cmd->add_option("--pid-file", f->opt.pid_file, "file to write the process's pid to");
  cmd->add_option("-e,--env", f->env, "NAME=VALUE to add");
  cmd->add_option("--cwd", f->cwd, "working directory");
  cmd->add_option("-u,--user", f->user, "UID[:GID]");
  cmd->add_option("-g,--additional-gids", f->additional_gids, "supplementary groups");
  cmd->add_option("-c,--cap", f->caps, "capability to add");
  cmd->add_flag("--no-new-privs", f->no_new_privs, "set no_new_privs");
  cmd->add_option("--preserve-fds", f->opt.preserve_fds, "pass N fds after stdio");
  cmd->add_option("--process-label,--apparmor", f->ignored)->group("");
  // Everything from the container id on is the id and the command, flags included.
  cmd->prefix_command();
  cmd->callback([&g, &action, f, cmd] {
    action = [&g, f, rest = cmd->remaining()]() -> base::Result<int> {
      if (rest.empty()) return base::Error("exec: missing container id");
      std::string id = rest[0];
      std::vector<std::string> args(rest.begin() + 1, rest.end());
      if (!args.empty() && args[0] == "--") args.erase(args.begin());
      ASSIGN_OR_RETURN(oci::Process p, build_process(g, *f, id, args));
      runtime::Runtime rt(g.runtime_options());
      return runtime::exec_process(rt, id, p, f->opt);
    };
  });
}

}  // namespace hull::cli
