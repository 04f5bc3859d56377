// Container state under the runtime root (--root): one directory per container holding
// state.json (written atomically) and, between create and start, exec.fifo. Every command
// takes the directory's flock first, so concurrent commands on one id never interleave.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"
#include "oci/state.h"

namespace hull::runtime {

// What a container's state.json holds: enough for every later command without the bundle.
struct Record {
  std::string id;
  pid_t pid = 0;
  uint64_t start_time = 0;  // of pid, from /proc/<pid>/stat: guards against pid reuse
  oci::Status status = oci::Status::kCreating;  // as last written: created, running, paused
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339 with nanoseconds, UTC
  std::string owner;
  std::map<std::string, std::string> annotations;
  std::string cgroups_path;  // "" when the container has no cgroup of ours (rootless)
  std::vector<oci::Hook> poststart;
  std::vector<oci::Hook> poststop;
};

// A locked container directory. The lock lives as long as this object.
class ContainerDir {
 public:
  ContainerDir(std::string path, base::Fd dir) : path_(std::move(path)), dir_(std::move(dir)) {}
  const std::string& path() const { return path_; }
  int fd() const { return dir_.get(); }
  base::Result<Record> load() const;
  base::Result<void> save(const Record& r) const;
  // Removes the directory and everything in it.
  base::Result<void> remove() const;

 private:
  std::string path_;
  base::Fd dir_;
};

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }
  // Makes and locks the directory of a new container; an existing id is an error.
  base::Result<ContainerDir> create(const std::string& id) const;
  // Locks the directory of an existing container; "container x does not exist" otherwise.
  base::Result<ContainerDir> open(const std::string& id) const;
  // Opens without taking the lock, for readers that must not wait for a create in progress
  // (state.json is replaced atomically, so a reader sees a whole one).
  base::Result<ContainerDir> peek(const std::string& id) const;
  // Whether a command holds the container's lock now (a create still running, say).
  static bool locked(const ContainerDir& dir);
  // Every container id under the root, sorted.
  std::vector<std::string> ids() const;

 private:
  std::string root_;
};

// Checks a container id: letters, digits, '_', '+', '-', '.', not "." or "..".
base::Result<void> validate_id(const std::string& id);

// The status now: a pid that is gone, a zombie, or reused means stopped.
oci::Status live_status(const Record& r);

}  // namespace hull::runtime
