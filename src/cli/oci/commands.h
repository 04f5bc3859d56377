// hull-oci's commands: each file adds one subcommand to the app and runs it through the
// runtime library. The global flags (runc's) are parsed once into Globals.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "base/error.h"
#include "runtime/container.h"

namespace hull::cli {

struct Globals {
  std::string root = "/run/hull-oci";
  std::string log;
  std::string log_format = "text";
  bool debug = false;
  bool systemd_cgroup = false;
  runtime::RuntimeOptions runtime_options() const { return {root, debug}; }
};

// What a command does once its flags are parsed: an exit code, or an error (exit 1).
using Action = std::function<base::Result<int>()>;

void add_spec(CLI::App& app, Globals& g, Action& action);
void add_create(CLI::App& app, Globals& g, Action& action);
void add_run(CLI::App& app, Globals& g, Action& action);
void add_start(CLI::App& app, Globals& g, Action& action);
void add_state(CLI::App& app, Globals& g, Action& action);
void add_list(CLI::App& app, Globals& g, Action& action);
void add_kill(CLI::App& app, Globals& g, Action& action);
void add_delete(CLI::App& app, Globals& g, Action& action);
void add_features(CLI::App& app, Globals& g, Action& action);
void add_ps(CLI::App& app, Globals& g, Action& action);
void add_pause(CLI::App& app, Globals& g, Action& action);
void add_resume(CLI::App& app, Globals& g, Action& action);
void add_update(CLI::App& app, Globals& g, Action& action);
void add_events(CLI::App& app, Globals& g, Action& action);
void add_exec(CLI::App& app, Globals& g, Action& action);

// The flags create and run share (bundle, pid-file, console-socket, …).
void add_create_flags(CLI::App& cmd, runtime::CreateOptions& opt);

}  // namespace hull::cli
