// hull: the docker-style CLI. Parses the global flags, hands the command to its file, and
// maps errors to docker's exit code for the engine's own failures (125).
#include <cstdio>
#include <string>

#include "base/log.h"
#include "cli/parse.h"
#include "cli/hull/commands.h"

int main(int argc, char** argv) {
  using namespace hull;
  cli::Globals g;
  cli::Action action;
  CLI::App app{"hull: containers on Linux namespaces", "hull"};
  app.require_subcommand(1);
  app.set_version_flag("-v,--version", std::string("hull version ") + HULL_VERSION);
  app.add_option("--root", g.paths.root, "engine state: images, containers (HULL_ROOT)")
      ->capture_default_str();
  app.add_option("--runroot", g.paths.run_root, "runtime files: sockets, state (HULL_RUNROOT)")
      ->capture_default_str();
  app.add_option("--cgroup-parent", g.paths.cgroup_parent,
                 "parent cgroup of containers (HULL_CGROUP_PARENT)")
      ->capture_default_str();
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_subcommand("version", "print the version")->callback([&] {
    action = [] () -> base::Result<int> {
      std::printf("hull version %s\n", HULL_VERSION);
      return 0;
    };
  });

  cli::add_run(app, g, action);
  cli::add_container_commands(app, g, action);
  cli::add_ps(app, g, action);
  cli::add_inspect_commands(app, g, action);
  cli::add_exec(app, g, action);
  cli::add_logs(app, g, action);
  cli::add_image_commands(app, g, action);
  cli::add_pull(app, g, action);
  cli::add_push(app, g, action);
  cli::add_login(app, g, action);
  cli::add_ns(app, g, action);
  cli::add_network_commands(app, g, action);

  if (auto code = cli::parse_args(app, argc, argv, "hull", 125)) return *code;
  base::log::configure("hull", "", base::log::Format::kText, g.debug);
  auto r = action();
  if (!r) {
    base::log::error(r.error().message());
    return 125;
  }
  return *r;
}
