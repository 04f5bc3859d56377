// hull-oci: an OCI runtime with runc's command line, so podman, containerd and CRI-O can
// drive it. Parses the global flags, hands the command to its file, maps errors to exit 1.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/log.h"
#include "cli/parse.h"
#include "cli/oci/commands.h"

int main(int argc, char** argv) {
  using namespace hull;
  cli::Globals g;
  cli::Action action;
  CLI::App app{"hull-oci: a runc-compatible OCI container runtime", "hull-oci"};
  app.require_subcommand(1);
  app.set_version_flag("-v,--version",
                       std::string("hull-oci version ") + HULL_VERSION + "\nspec: 1.2.0");
  // As DESIGN.md's table of places: an ordinary user's state lives in its runtime dir.
  if (::geteuid() != 0) {
    if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg && *xdg) {
      g.root = std::string(xdg) + "/hull-oci";
    } else {
      g.root = "/tmp/hull-oci-" + std::to_string(::geteuid());
    }
  }
  app.add_option("--root", g.root, "state directory")->capture_default_str();
  app.add_option("--log", g.log, "log file (default: stderr)");
  app.add_option("--log-format", g.log_format, "log format")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", g.debug, "debug logging");
  app.add_flag("--systemd-cgroup", g.systemd_cgroup, "let systemd manage cgroups");
  // Accepted for runc compatibility; hull-oci needs no criu and has no rootless mode switch.
  std::string ignored;
  app.add_option("--criu", ignored)->group("");
  app.add_option("--rootless", ignored)->group("");

  cli::add_spec(app, g, action);
  cli::add_create(app, g, action);
  cli::add_run(app, g, action);
  cli::add_start(app, g, action);
  cli::add_state(app, g, action);
  cli::add_list(app, g, action);
  cli::add_kill(app, g, action);
  cli::add_delete(app, g, action);
  cli::add_features(app, g, action);
  cli::add_ps(app, g, action);
  cli::add_pause(app, g, action);
  cli::add_resume(app, g, action);
  cli::add_update(app, g, action);
  cli::add_events(app, g, action);
  cli::add_exec(app, g, action);

  if (auto code = cli::parse_args(app, argc, argv, "hull-oci", 1)) return *code;
  base::log::configure("hull-oci", g.log,
                       g.log_format == "json" ? base::log::Format::kJson : base::log::Format::kText,
                       g.debug);
  if (g.systemd_cgroup) {
    // No systemd unit is made (no D-Bus); the "slice:prefix:name" cgroupsPath such clients
    // send is mapped to the cgroupfs directory systemd would use (cgroup.h).
    base::log::debug(
        "--systemd-cgroup: cgroupsPath slice:prefix:name maps to cgroupfs "
        "<slice path>/<prefix>-<name>.scope; no systemd unit is made");
  }
  auto r = action();
  if (!r) {
    base::log::error(r.error().message());
    return 1;
  }
  return *r;
}
