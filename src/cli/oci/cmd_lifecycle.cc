// create, run, start, kill and delete: the lifecycle commands, each a few lines over Runtime.
#include <unistd.h>

#include "base/signals.h"
#include "cli/oci/commands.h"

namespace hull::cli {

void add_create_flags(CLI::App& cmd, runtime::CreateOptions& opt) {
  cmd.add_option("-b,--bundle", opt.bundle, "path to the bundle directory")->capture_default_str();
  cmd.add_option("--pid-file", opt.pid_file, "file to write the init's pid to");
  cmd.add_option("--console-socket", opt.console_socket,
                 "unix socket that receives the pty master when process.terminal is true");
  cmd.add_flag("--no-pivot", opt.no_pivot, "use MS_MOVE and chroot instead of pivot_root");
  cmd.add_flag("--no-new-keyring", opt.no_new_keyring, "keep the caller's session keyring");
  cmd.add_option("--preserve-fds", opt.preserve_fds, "pass N fds after stdio to the container")
      ->check(CLI::NonNegativeNumber);
}

void add_create(CLI::App& app, Globals& g, Action& action) {
  auto* cmd = app.add_subcommand("create", "create a container, stopped before its process");
  auto opt = std::make_shared<runtime::CreateOptions>();
  auto id = std::make_shared<std::string>();
  add_create_flags(*cmd, *opt);
  cmd->add_option("container-id", *id)->required();
  cmd->callback([&g, &action, opt, id] {
    action = [&g, opt, id]() -> base::Result<int> {
      runtime::Runtime rt(g.runtime_options());
      TRY(rt.create(*id, *opt));
      return 0;
    };
  });
}

void add_run(CLI::App& app, Globals& g, Action& action) {
  auto* cmd = app.add_subcommand("run", "create and start a container, wait for it");
  auto opt = std::make_shared<runtime::CreateOptions>();
  auto id = std::make_shared<std::string>();
  auto detach = std::make_shared<bool>(false);
  add_create_flags(*cmd, *opt);
  cmd->add_flag("-d,--detach", *detach, "return once the process runs");
  bool keep = false;
  cmd->add_flag("--keep", keep, "accepted for runc compatibility")->group("");
  cmd->add_option("container-id", *id)->required();
  cmd->callback([&g, &action, opt, id, detach] {
    action = [&g, opt, id, detach]() -> base::Result<int> {
      runtime::Runtime rt(g.runtime_options());
      return rt.run(*id, *opt, *detach);
    };
  });
}

void add_start(CLI::App& app, Globals& g, Action& action) {
  auto* cmd = app.add_subcommand("start", "start the process of a created container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id)->required();
  cmd->callback([&g, &action, id] {
    action = [&g, id]() -> base::Result<int> {
      runtime::Runtime rt(g.runtime_options());
      TRY(rt.start(*id));
      return 0;
    };
  });
}

void add_kill(CLI::App& app, Globals& g, Action& action) {
  auto* cmd = app.add_subcommand("kill", "send a signal (default SIGTERM) to the container");
  auto id = std::make_shared<std::string>();
  auto sig = std::make_shared<std::string>("SIGTERM");
  auto all = std::make_shared<bool>(false);
  cmd->add_flag("-a,--all", *all, "signal every process of the container");
  cmd->add_option("container-id", *id)->required();
  cmd->add_option("signal", *sig, "name or number");
  cmd->callback([&g, &action, id, sig, all] {
    action = [&g, id, sig, all]() -> base::Result<int> {
      auto s = base::parse_signal(*sig);
      if (!s) return base::Error("kill: invalid signal \"" + *sig + "\"");
      runtime::Runtime rt(g.runtime_options());
      TRY(rt.kill(*id, *s, *all));
      return 0;
    };
  });
}

void add_delete(CLI::App& app, Globals& g, Action& action) {
  auto* cmd = app.add_subcommand("delete", "delete a container and everything it holds");
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "kill the container first if it runs");
  cmd->add_option("container-id", *id)->required();
  cmd->callback([&g, &action, id, force] {
    action = [&g, id, force]() -> base::Result<int> {
      runtime::Runtime rt(g.runtime_options());
      TRY(rt.remove(*id, *force));
      return 0;
    };
  });
}

}  // namespace hull::cli
