// Commands on existing containers: start, stop, kill, restart, rm, wait, pause, unpause,
// rename, attach. Several containers may be named; each is handled and reported in turn,
// as docker does, and the command fails if any failed.
#include <cstdio>

#include "base/log.h"
#include "base/signals.h"
#include "cli/hull/commands.h"
#include "engine/attach.h"

namespace hull::cli {

namespace {

using Each = std::function<base::Result<void>(engine::Engine&, const std::string&)>;

// A command taking CONTAINER...: runs `each` on every one, printing the name as docker does.
void add_each(CLI::App& app, Globals& g, Action& action, const std::string& name,
              const std::string& help, std::function<void(CLI::App*)> flags, Each each,
              bool print = true) {
  auto refs = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand(name, help);
  if (flags) flags(cmd);
  cmd->add_option("CONTAINER", *refs, "containers (name, id or id prefix)")->required();
  cmd->callback([&g, &action, refs, each, print] {
    action = [&g, refs, each, print]() -> base::Result<int> {
      engine::Engine e = g.engine();
      int failed = 0;
      for (const auto& ref : *refs) {
        if (auto r = each(e, ref); !r) {
          base::log::error(r.error().message());
          ++failed;
        } else if (print) {
          std::printf("%s\n", ref.c_str());
        }
      }
      return failed ? 1 : 0;
    };
  });
}

}  // namespace

void add_container_commands(CLI::App& app, Globals& g, Action& action) {
  auto attach_start = std::make_shared<bool>(false);
  auto interactive_start = std::make_shared<bool>(false);
  auto start_refs = std::make_shared<std::vector<std::string>>();
  auto* start = app.add_subcommand("start", "start stopped containers");
  start->add_flag("-a,--attach", *attach_start, "attach to the container's output");
  start->add_flag("-i,--interactive", *interactive_start, "attach stdin");
  start->add_option("CONTAINER", *start_refs, "containers")->required();
  start->callback([&g, &action, attach_start, interactive_start, start_refs] {
    action = [&g, attach_start, interactive_start, start_refs]() -> base::Result<int> {
      engine::Engine e = g.engine();
      if (*attach_start && start_refs->size() == 1) {
        ASSIGN_OR_RETURN(engine::ContainerRecord c, e.find(start_refs->front()));
        ASSIGN_OR_RETURN(engine::Started s, e.start(c.id, true));
        return attach_and_wait(e, s.id, std::move(s.attached), *interactive_start, c.tty);
      }
      for (const auto& ref : *start_refs) {
        ASSIGN_OR_RETURN(engine::Started s, e.start(ref, false));
        std::printf("%s\n", ref.c_str());
      }
      return 0;
    };
  });

  auto stop_timeout = std::make_shared<std::optional<int>>();
  auto timeout_flag = [stop_timeout](CLI::App* c) {
    c->add_option("-t,--time", *stop_timeout, "seconds to wait before killing");
  };
  add_each(app, g, action, "stop", "stop running containers", timeout_flag,
           [stop_timeout](engine::Engine& e, const std::string& ref) {
             return e.stop(ref, *stop_timeout);
           });
  add_each(app, g, action, "restart", "restart containers", timeout_flag,
           [stop_timeout](engine::Engine& e, const std::string& ref) {
             return e.restart(ref, *stop_timeout);
           });

  auto signal = std::make_shared<std::string>("SIGKILL");
  add_each(
      app, g, action, "kill", "send a signal to containers",
      [signal](CLI::App* c) {
        c->add_option("-s,--signal", *signal, "signal (default SIGKILL)");
      },
      [signal](engine::Engine& e, const std::string& ref) -> base::Result<void> {
        auto sig = base::parse_signal(*signal);
        if (!sig) return base::Error("--signal \"" + *signal + "\": unknown signal");
        return e.kill(ref, *sig);
      });

  auto force = std::make_shared<bool>(false);
  add_each(
      app, g, action, "rm", "remove containers",
      [force](CLI::App* c) {
        c->add_flag("-f,--force", *force, "kill a running container first");
      },
      [force](engine::Engine& e, const std::string& ref) { return e.remove(ref, *force); });

  add_each(
      app, g, action, "wait", "wait for containers to stop; print their exit codes", nullptr,
      [](engine::Engine& e, const std::string& ref) -> base::Result<void> {
        ASSIGN_OR_RETURN(std::optional<int> code, e.wait(ref));
        std::printf("%d\n", code.value_or(-1));
        return {};
      },
      /*print=*/false);
  add_each(app, g, action, "pause", "freeze every process of containers", nullptr,
           [](engine::Engine& e, const std::string& ref) { return e.pause(ref); });
  add_each(app, g, action, "unpause", "thaw paused containers", nullptr,
           [](engine::Engine& e, const std::string& ref) { return e.unpause(ref); });

  auto names = std::make_shared<std::vector<std::string>>();
  auto* rename = app.add_subcommand("rename", "rename a container");
  rename->add_option("NAMES", *names, "CONTAINER NEW_NAME")->required()->expected(2);
  rename->callback([&g, &action, names] {
    action = [&g, names]() -> base::Result<int> {
      TRY(g.engine().rename((*names)[0], (*names)[1]));
      return 0;
    };
  });

  auto attach_ref = std::make_shared<std::string>();
  auto keys = std::make_shared<std::string>("ctrl-p,ctrl-q");
  auto no_stdin = std::make_shared<bool>(false);
  auto* attach = app.add_subcommand("attach", "attach to a running container's stdio");
  attach->add_option("--detach-keys", *keys, "keys that detach (default ctrl-p,ctrl-q)");
  attach->add_flag("--no-stdin", *no_stdin, "do not attach stdin");
  attach->add_option("CONTAINER", *attach_ref, "the container")->required();
  attach->callback([&g, &action, attach_ref, keys, no_stdin] {
    action = [&g, attach_ref, keys, no_stdin]() -> base::Result<int> {
      engine::Engine e = g.engine();
      ASSIGN_OR_RETURN(engine::ContainerRecord c, e.find(*attach_ref));
      ASSIGN_OR_RETURN(base::Fd sock, e.attach(*attach_ref));  // errors name it as given
      engine::AttachOptions ao;
      ao.stdin = !*no_stdin && c.interactive;
      ao.tty = c.tty;
      ao.detach_keys = *keys;
      ASSIGN_OR_RETURN(engine::AttachEnd end, engine::attach_session(sock.get(), ao));
      if (end.detached) return 0;
      return end.exit_code.value_or(255);
    };
  });
}

}  // namespace hull::cli
