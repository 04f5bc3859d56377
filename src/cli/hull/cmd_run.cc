// `hull run` and `hull create`: docker's flags into RunOptions; run then streams the
// container's output (or prints its id with -d) and returns its exit code.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "base/log.h"
#include "cli/hull/commands.h"
#include "engine/attach.h"

namespace hull::cli {

namespace {

// A flag given once per value (`-e A=1 -e B=2`): without this, CLI11 lets a list flag take
// the words after it too, which are the image and its command here.
void multi(CLI::App* cmd, const std::string& name, std::vector<std::string>& into,
           const std::string& help) {
  cmd->add_option(name, into, help)->allow_extra_args(false);
}

void add_run_flags(CLI::App* cmd, engine::RunOptions& o) {
  cmd->set_help_flag("--help", "print this help");  // -h is --hostname, as in docker
  cmd->add_flag("-d,--detach", o.detach, "run in the background and print the id");
  cmd->add_flag("-i,--interactive", o.interactive, "keep stdin open");
  cmd->add_flag("-t,--tty", o.tty, "allocate a pseudo-terminal");
  cmd->add_flag("--rm", o.remove, "remove the container when it exits");
  cmd->add_option("--name", o.name, "a name for the container");
  cmd->add_option("-h,--hostname", o.hostname, "the container's hostname");
  multi(cmd, "-e,--env", o.env, "set an environment variable (KEY=VALUE or KEY)");
  multi(cmd, "--env-file", o.env_files, "read environment variables from a file");
  cmd->add_option("-w,--workdir", o.workdir, "working directory inside the container");
  cmd->add_option("-u,--user", o.user, "user[:group] to run as");
  cmd->add_option("--entrypoint", o.entrypoint, "override the image's entrypoint");
  multi(cmd, "-v,--volume", o.volumes, "bind mount SRC:DST[:ro]");
  multi(cmd, "--mount", o.mounts, "type=bind|tmpfs,source=…,target=…[,readonly]");
  multi(cmd, "--tmpfs", o.tmpfs, "mount a tmpfs: DST[:options]");
  cmd->add_flag("--read-only", o.read_only, "read-only root filesystem");
  cmd->add_option("--network,--net", o.network,
                  "bridge (default) | NETWORK | none | host | container:NAME");
  cmd->add_option("--ip", o.ip, "the container's IPv4 address on its network");
  cmd->add_option("--mac-address", o.mac_address, "the container's MAC address");
  multi(cmd, "--network-alias", o.network_aliases, "another name on a user-defined network");
  multi(cmd, "--dns", o.dns, "a nameserver for /etc/resolv.conf");
  multi(cmd, "--add-host", o.add_hosts, "a line for /etc/hosts: NAME:IP");
  multi(cmd, "-p,--publish", o.publish, "publish [HOSTIP:][HOSTPORT:]PORT[/tcp|udp]");
  cmd->add_flag("-P,--publish-all", o.publish_all, "publish the image's exposed ports");
  cmd->add_option("--pid", o.pid, "host | container:NAME");
  cmd->add_option("--ipc", o.ipc, "private | shareable | host | container:NAME");
  cmd->add_option("--uts", o.uts, "host");
  cmd->add_option("--cgroupns", o.cgroupns, "host | private");
  cmd->add_option("--time", o.time, "host | private (a time namespace)");
  multi(cmd, "--time-offset", o.time_offsets, "monotonic=DURATION,boottime=DURATION");
  cmd->add_option("-m,--memory", o.memory, "memory limit (512m, 1g)");
  cmd->add_option("--memory-swap", o.memory_swap, "memory + swap limit, -1 for unlimited");
  cmd->add_option("--cpus", o.cpus, "number of CPUs (1.5)");
  cmd->add_option("-c,--cpu-shares", o.cpu_shares, "relative CPU weight");
  cmd->add_option("--cpuset-cpus", o.cpuset_cpus, "CPUs to run on (0-1)");
  cmd->add_option("--pids-limit", o.pids_limit, "maximum number of processes, -1 unlimited");
  multi(cmd, "--ulimit", o.ulimits, "resource limit NAME=SOFT[:HARD]");
  multi(cmd, "--cap-add", o.cap_add, "add a capability");
  multi(cmd, "--cap-drop", o.cap_drop, "drop a capability");
  cmd->add_flag("--privileged", o.privileged, "lift the security defaults");
  multi(cmd, "--security-opt", o.security_opts,
                  "seccomp=unconfined|PATH, no-new-privileges[:true]");
  multi(cmd, "--device", o.devices, "add a host device HOST[:CONTAINER][:rwm]");
  multi(cmd, "--sysctl", o.sysctls, "set a namespaced sysctl KEY=VALUE");
  cmd->add_flag("--init", o.init, "run an init as PID 1 that reaps zombies");
  cmd->add_option("--stop-signal", o.stop_signal, "signal to stop the container");
  cmd->add_option("--stop-timeout", o.stop_timeout, "seconds before stop kills");
  multi(cmd, "-l,--label", o.labels, "set a label KEY=VALUE");
  cmd->add_option("--restart", o.restart, "no | on-failure[:N] | always | unless-stopped");
  // Everything from the image on is the container's: `hull run busybox ls -l`.
  cmd->prefix_command();
}

// IMAGE [COMMAND [ARG...]] from what the flags left.
base::Result<void> take_image_and_command(CLI::App* cmd, engine::RunOptions& o) {
  std::vector<std::string> rest = cmd->remaining();
  if (!rest.empty() && rest[0] == "--") rest.erase(rest.begin());
  if (rest.empty()) {
    return base::Error(cmd->get_name() + ": an image is required")
        .hint("hull " + cmd->get_name() + " [OPTIONS] IMAGE [COMMAND] [ARG...]");
  }
  // With prefix_command, a flag CLI11 does not know lands here before the image.
  if (rest[0].size() > 1 && rest[0][0] == '-') {
    return base::Error("unknown flag: " + rest[0])
        .hint("hull " + cmd->get_name() + " --help lists the flags");
  }
  o.image = rest[0];
  o.command.assign(rest.begin() + 1, rest.end());
  return {};
}

}  // namespace

// The exit code of a foreground container as docker reports it: its own, or 255 when the
// monitor could not tell (it was killed).
base::Result<int> attach_and_wait(engine::Engine& e, const std::string& id, base::Fd sock,
                                  bool interactive, bool tty) {
  engine::AttachOptions ao;
  ao.stdin = interactive;
  ao.tty = tty;
  if (!tty) ao.forward_signal = [&e, id](int sig) { (void)e.kill(id, sig); };
  ASSIGN_OR_RETURN(engine::AttachEnd end, engine::attach_session(sock.get(), ao));
  if (end.detached) return 0;
  return end.exit_code.value_or(255);
}

void add_run(CLI::App& app, Globals& g, Action& action) {
  auto opts = std::make_shared<engine::RunOptions>();
  auto* run = app.add_subcommand("run", "run a command in a new container");
  add_run_flags(run, *opts);
  run->callback([&g, &action, opts, run] {
    action = [&g, opts, run]() -> base::Result<int> {
      TRY(take_image_and_command(run, *opts));
      engine::Engine e = g.engine();
      auto started = e.run(*opts);
      if (!started) {
        auto code = exec_failure_code(started.error());
        if (!code) return std::move(started.error());
        base::log::error(started.error().message());
        return *code;
      }
      engine::Started s = std::move(*started);
      if (opts->detach) {
        std::printf("%s\n", s.id.c_str());
        return 0;
      }
      return attach_and_wait(e, s.id, std::move(s.attached), opts->interactive, opts->tty);
    };
  });

  auto copts = std::make_shared<engine::RunOptions>();
  auto* create = app.add_subcommand("create", "create a container without starting it");
  add_run_flags(create, *copts);
  create->callback([&g, &action, copts, create] {
    action = [&g, copts, create]() -> base::Result<int> {
      TRY(take_image_and_command(create, *copts));
      ASSIGN_OR_RETURN(std::string id, g.engine().create(*copts));
      std::printf("%s\n", id.c_str());
      return 0;
    };
  });
}

}  // namespace hull::cli
