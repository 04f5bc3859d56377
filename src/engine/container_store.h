// Container records of the engine: one directory per container under Paths::containers()
// (record.json written atomically, config.json, the log, the overlay's upper and work dirs),
// names as symlinks under Paths::names() (a name is taken by one symlink(2): two creates
// cannot both get it), lookups by name, full id or unique id prefix, like docker.
// Liveness is a lock, not a pid: the monitor holds monitor.lock for its whole life (the
// creating command holds it until the record is complete), so a monitor killed by SIGKILL,
// or a `hull run` that crashed half-way, is seen at once by the next command.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fd.h"
#include "engine/paths.h"
#include "engine/ports.h"

namespace hull::engine {

enum class ContainerState { kCreating, kCreated, kRunning, kPaused, kExited };
const char* state_name(ContainerState s);  // "created", "running", …

// A container's place on a bridge network (network_attach.h plumbs it at each start).
struct NetworkAttachment {
  std::string network;  // name
  std::string ip;       // held from create to rm (network_store.h)
  std::string mac;      // --mac-address; "" = the kernel's choice
  std::vector<std::string> aliases;  // --network-alias: more names on that network
  int slot = 0;  // the interfaces are eth<slot> inside and veth_name(id, slot) outside
};

struct ContainerRecord {
  std::string id;        // 64 hex
  std::string name;      // unique
  std::string image;     // as the user named it
  std::string image_id;  // "sha256:…"
  std::vector<std::string> command;  // the process's args, as made
  std::string created, started_at, finished_at;  // RFC 3339; "" when not yet
  ContainerState state = ContainerState::kCreating;
  pid_t pid = 0;  // the container's init as the host sees it; 0 when not running
  std::optional<int> exit_code;  // absent while running, or unknown (the monitor died)
  int restart_count = 0;
  bool stop_requested = false;  // stop/kill/rm asked: no restart, as docker
  bool monitor_alive = false;   // not stored: filled from the lock by load()

  // What the monitor needs to (re)start the container, fixed at create.
  bool tty = false;
  bool interactive = false;
  bool auto_remove = false;
  bool init = false;  // --init: PID 1 is a reaper, the process its child
  std::string restart_policy = "no";
  int stop_signal = 15;
  int stop_timeout = 10;
  std::vector<std::string> layer_dirs;  // the image's, bottom first
  std::map<std::string, std::string> labels;
  nlohmann::json run_options;  // the flags as typed, for inspect
  // Bridge networks (none for --network none|host|container:X), the first the default
  // route; published ports (host ports booked); --add-host lines (NAME:IP).
  std::vector<NetworkAttachment> networks;
  std::vector<PublishedPort> ports;
  std::vector<std::string> extra_hosts;
};

nlohmann::json record_json(const ContainerRecord& r);
base::Result<ContainerRecord> record_from_json(const nlohmann::json& j);

class ContainerStore {
 public:
  explicit ContainerStore(const Paths& paths)
      : dir_(paths.containers()), names_(paths.names()), trash_(paths.root + "/trash") {}

  std::string dir_of(const std::string& id) const { return dir_ + "/" + id; }

  // Takes the name, makes the directory and writes the record (state creating). Returns
  // monitor.lock held: the caller keeps it until the record is complete, and hands it to
  // the monitor it forks.
  base::Result<base::Fd> create(const ContainerRecord& r) const;
  // Takes monitor.lock for a monitor about to start. With wait, waits for a monitor that
  // is finishing (its container exited); otherwise fails if one holds it.
  base::Result<base::Fd> lock_monitor(const std::string& id, bool wait) const;

  // By name, full id or unique prefix of an id.
  base::Result<std::string> resolve(const std::string& ref) const;
  base::Result<ContainerRecord> load(const std::string& id) const;
  std::vector<ContainerRecord> load_all() const;
  // Read-modify-write under record.lock.
  base::Result<ContainerRecord> update(const std::string& id,
                                       const std::function<void(ContainerRecord&)>& change) const;
  base::Result<void> rename(const std::string& id, const std::string& new_name) const;
  // Removes the directory and the name (only if the name still points at this id).
  base::Result<void> remove(const ContainerRecord& r) const;
  // The fast half of remove: the name is freed and the directory renamed into trash/, so
  // the container is gone for every command at once; purge() deletes it. (rmdir costs
  // milliseconds on some disks: a --rm container reports its exit before paying them.)
  base::Result<void> detach(const ContainerRecord& r) const;
  void purge(const std::string& id) const;
  // Deletes trash left by a monitor that died before purging.
  void purge_stale() const;

 private:
  std::string dir_;
  std::string names_;
  std::string trash_;
};

// 64 hex from getrandom(2).
std::string new_container_id();
// "quirky_hopper": a free, readable name, as docker makes.
std::string random_name();
base::Result<void> validate_name(const std::string& name);
// docker's names of containers and networks: [a-zA-Z0-9][a-zA-Z0-9_.-]*, min to max long.
bool docker_name(const std::string& name, size_t min, size_t max);
// Running or paused, with its monitor alive.
bool is_running(const ContainerRecord& r);

}  // namespace hull::engine
