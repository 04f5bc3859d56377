// The per-container monitor: a small single-threaded process forked by the command that
// starts a container. It clones the container (through the runtime library, so the init
// is its child), reaps it, records the exit code and time, writes stdout/stderr to the log,
// holds the pty, serves attach clients on <run_root>/sockets/<id>, applies the restart
// policy and, for --rm, removes the container. It holds monitor.lock for its whole life.
#pragma once

#include <string>

#include "base/error.h"
#include "base/fd.h"
#include "engine/network_store.h"
#include "engine/paths.h"
#include "oci/spec.h"

namespace hull::engine {

struct MonitorConfig {
  Paths paths;
  std::string id;
  bool debug = false;
  base::Fd lock;          // monitor.lock, held
  base::Fd status;        // write end: "" (EOF) after a start failure report, or "ok"
  base::Fd first_client;  // attached from the start (`hull run` in the foreground), or none
  // config.json as the forking `hull run` parsed it, for the first start (restarts and
  // `hull start` read the file): nothing is parsed twice on the way to a first start.
  const oci::Spec* first_spec = nullptr;
  // The configs of its networks, as `hull run` read them at create (same reason).
  const std::vector<NetworkConfig>* first_networks = nullptr;
};

// Never returns: the process exits when the container is gone for good.
[[noreturn]] void run_monitor(MonitorConfig cfg);

// Drops the pages of code the monitor ran only to start its container (monitor_memory.cc).
void drop_unused_code();

// The attach socket of a container.
std::string monitor_socket(const Paths& paths, const std::string& id);

}  // namespace hull::engine
