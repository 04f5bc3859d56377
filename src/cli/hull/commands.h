// hull's commands: each file adds its subcommands to the app and runs them through the
// engine library. The global flags are parsed once into Globals.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "base/error.h"
#include "engine/engine.h"
#include "engine/registry_auth.h"
#include "runtime/become.h"

namespace hull::cli {

struct Globals {
  engine::Paths paths = engine::Paths::defaults();
  bool debug = false;
  engine::Engine engine() const { return engine::Engine(paths, debug); }
};

// What a command does once its flags are parsed: an exit code, or an error (exit 125, as
// docker's own failures; the container's own exit codes pass through).
using Action = std::function<base::Result<int>()>;

// docker's exit codes for a command that could not be run: decided where the runtime
// makes those errors.
using runtime::exec_failure_code;

// Relays our stdio to a started container until it exits; its exit code (cmd_run.cc).
base::Result<int> attach_and_wait(engine::Engine& e, const std::string& id, base::Fd sock,
                                  bool interactive, bool tty);

void add_image_commands(CLI::App& app, Globals& g, Action& action);  // cmd_image.cc
void add_ns(CLI::App& app, Globals& g, Action& action);              // cmd_ns.cc
void add_logs(CLI::App& app, Globals& g, Action& action);            // cmd_logs.cc
void add_run(CLI::App& app, Globals& g, Action& action);             // cmd_run.cc
void add_container_commands(CLI::App& app, Globals& g, Action& action);  // cmd_container.cc
void add_ps(CLI::App& app, Globals& g, Action& action);              // cmd_ps.cc
void add_inspect_commands(CLI::App& app, Globals& g, Action& action);  // cmd_inspect.cc
void add_exec(CLI::App& app, Globals& g, Action& action);            // cmd_exec.cc
void add_pull(CLI::App& app, Globals& g, Action& action);            // cmd_pull.cc
void add_push(CLI::App& app, Globals& g, Action& action);            // cmd_push.cc
// --insecure, --creds, --certs-dir of pull and push (cmd_pull.cc).
void add_registry_flags(CLI::App* cmd, engine::RegistryFlags& r);
void add_login(CLI::App& app, Globals& g, Action& action);  // cmd_login.cc: login, logout
// cmd_network.cc: network create|ls|inspect|rm|prune|connect|disconnect, system prune
void add_network_commands(CLI::App& app, Globals& g, Action& action);

}  // namespace hull::cli
