#include "engine/paths.h"

#include <unistd.h>

#include <cstdlib>

namespace hull::engine {

namespace {

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

}  // namespace

Paths Paths::defaults() {
  Paths p;
  if (::geteuid() == 0) {
    p.root = "/var/lib/hull";
    p.run_root = "/run/hull";
  } else {
    std::string home = env_or("HOME", "/tmp");
    p.root = env_or("XDG_DATA_HOME", home + "/.local/share") + "/hull";
    p.run_root =
        env_or("XDG_RUNTIME_DIR", "/tmp/hull-run-" + std::to_string(::geteuid())) + "/hull";
  }
  p.root = env_or("HULL_ROOT", p.root);
  p.run_root = env_or("HULL_RUNROOT", p.run_root);
  p.cgroup_parent = env_or("HULL_CGROUP_PARENT", p.cgroup_parent);
  return p;
}

}  // namespace hull::engine
