// Container records of the engine: one directory per container under Paths::containers()
// (record.json written atomically, config.json, the log, the overlay's upper and work
// dirs), names as symlinks under Paths::names() (a name is taken by one symlink(2), so two
// creates cannot both get it), lookups by name, full id or unique id prefix, like docker.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "engine/paths.h"

namespace hull::engine {

enum class ContainerState { kCreating, kCreated, kRunning, kPaused, kExited };
const char* state_name(ContainerState s);  // "created", "running", …

struct ContainerRecord {
  std::string id;    // 64 hex
  std::string name;  // unique
  std::string image;     // as the user named it
  std::string image_id;  // "sha256:…"
  std::vector<std::string> command;  // entrypoint + cmd, as run
  std::string created, started_at, finished_at;  // RFC 3339, "" when not yet
  ContainerState state = ContainerState::kCreating;
  pid_t pid = 0;          // the container's init, as the host sees it; 0 when not running
  pid_t monitor_pid = 0;  // 0 when no monitor runs
  uint64_t monitor_start_time = 0;  // guards against pid reuse
  std::optional<int> exit_code;     // absent: unknown (the monitor died)
  int restart_count = 0;
  bool stop_requested = false;  // by stop/kill/rm: no restart, as docker
  std::map<std::string, std::string> labels;
};

}  // namespace hull::engine
