// The engine behind `hull`: container records, images, and the per-container monitor,
// over the runtime library (called in-process, never by exec of hull-oci).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/fd.h"
#include "engine/container_store.h"
#include "engine/image_store.h"
#include "engine/network_store.h"
#include "engine/paths.h"
#include "engine/run_options.h"
#include "oci/spec.h"
#include "runtime/container.h"

namespace hull::engine {

const char* version();

// A started container, and for a foreground start the stream attached before it started.
struct Started {
  std::string id;
  base::Fd attached;  // attach.h protocol; empty unless asked for
};

// `hull exec`: what to run; unset fields take the container's own process settings.
struct ExecRequest {
  std::vector<std::string> args;
  std::vector<std::string> env;  // added to (or replacing) the container's
  std::string user;              // user[:group], names looked up in the container
  std::string workdir;
  bool tty = false;
  bool detach = false;
  bool stdin_null = false;  // no -i: the process reads /dev/null
  // --ns: only these namespaces (CLONE_NEW* flags); the process then runs as the caller
  // with host_env, in the caller's cwd, without the container's cgroup or seccomp.
  int only_namespaces = 0;
  std::vector<std::string> host_env;
};

class Engine {
 public:
  explicit Engine(Paths paths, bool debug = false);

  const Paths& paths() const { return paths_; }
  ImageStore& images() { return images_; }
  const ContainerStore& containers() const { return store_; }

  // --- containers ---------------------------------------------------------------------
  // Makes the record, the spec and the writable layer: `hull create`. Returns the id.
  base::Result<std::string> create(const RunOptions& run);
  // Forks the container's monitor, which starts it; returns once the process runs (or
  // with the error that kept it from running). With attach, the returned stream is
  // connected before the process starts, so no output is missed.
  base::Result<Started> start(const std::string& ref, bool attach);
  // create + start; a container that failed to start is removed again.
  base::Result<Started> run(const RunOptions& run);
  // stop_signal, then SIGKILL after timeout seconds (the container's own default if unset).
  base::Result<void> stop(const std::string& ref, std::optional<int> timeout);
  base::Result<void> kill(const std::string& ref, int sig);
  base::Result<void> restart(const std::string& ref, std::optional<int> timeout);
  // With force a running container is killed first.
  base::Result<void> remove(const std::string& ref, bool force);
  // Blocks until the container is not running; its exit code (absent: unknown).
  base::Result<std::optional<int>> wait(const std::string& ref);
  base::Result<void> pause(const std::string& ref);
  base::Result<void> unpause(const std::string& ref);
  base::Result<void> rename(const std::string& ref, const std::string& new_name);
  // The container's attach stream (`hull attach`).
  base::Result<base::Fd> attach(const std::string& ref);
  // Runs a process in the container; its exit code (0 once it runs, with detach).
  base::Result<int> exec(const std::string& ref, const ExecRequest& req);
  // The container's spec, as made (exec's defaults).
  base::Result<oci::Spec> spec_of(const ContainerRecord& c) const;
  // The pids in the container (`hull top`).
  base::Result<std::vector<pid_t>> pids(const std::string& ref);
  // One sample of the container's cgroup: runc's stats event ({"cpu":…,"memory":…,
  // "pids":…}).
  base::Result<nlohmann::json> stats(const std::string& ref);
  // `hull inspect`: record, state, config and namespaces.
  base::Result<nlohmann::json> inspect(const std::string& ref);

  // --- networks (networks.cc) -------------------------------------------------------
  // At create: the container's networks (addresses taken) and ports (host ports booked);
  // their configs are appended to nets (the first start of `hull run` has them so).
  base::Result<void> plan_network(const RunOptions& run, const ImageConfig& image,
                                  ContainerRecord* rec, std::vector<NetworkConfig>* nets);
  // The container's /etc/hosts, /etc/hostname and /etc/resolv.conf in its directory.
  base::Result<void> write_etc_files(const RunOptions& run, const ContainerRecord& rec) const;
  base::Result<NetworkConfig> network_create(const NetworkRequest& req);
  // By name ("bridge" is the default network), id or unique id prefix.
  base::Result<NetworkConfig> network(const std::string& ref) const;
  std::vector<NetworkConfig> network_list() const;
  base::Result<nlohmann::json> network_inspect(const std::string& ref) const;
  // Refused while a container holds an address on it.
  base::Result<void> network_remove(const std::string& ref);
  // The user-defined networks no container uses; their names.
  base::Result<std::vector<std::string>> network_prune();
  base::Result<void> network_connect(const std::string& net, const std::string& container,
                                     const std::string& ip,
                                     const std::vector<std::string>& aliases);
  base::Result<void> network_disconnect(const std::string& net, const std::string& container);
  // Containers holding an address on the network, with their attachment.
  std::vector<std::pair<ContainerRecord, NetworkAttachment>> network_members(
      const NetworkConfig& n) const;

  // `hull system prune`: stopped containers, unused networks, and what crashed commands and
  // monitors left (addresses and host ports of containers that no longer exist, veths).
  struct PruneReport {
    std::vector<std::string> containers, networks;
    size_t addresses = 0, ports = 0;
  };
  base::Result<PruneReport> system_prune();

  // By name, full id or unique id prefix; a record whose monitor is gone reads as exited
  // (exit code unknown), and one whose creator died half-way is cleaned up and not found.
  base::Result<ContainerRecord> find(const std::string& ref) const;
  std::vector<ContainerRecord> list() const;
  // The log file of a container.
  std::string log_path(const ContainerRecord& c) const;
  // Image ids that containers (any state) are made from: rmi refuses them.
  std::set<std::string> images_in_use() const;

 private:
  // A record as it is now: the monitor's lock says whether it still runs.
  std::optional<ContainerRecord> reconcile(ContainerRecord r) const;
  // The runtime library on this engine's runtime root.
  runtime::Runtime rt() const { return runtime::Runtime({paths_.runtime_root(), debug_}); }
  base::Result<void> resolve_namespaces(const RunOptions& run,
                                        std::map<oci::NamespaceType, std::string>* join) const;
  base::Result<NetworkConfig> default_network();
  // Frees addresses held by containers whose record is gone; how many.
  size_t release_stale(const NetworkConfig& n) const;

  Paths paths_;
  bool debug_;
  ImageStore images_;
  ContainerStore store_;
  NetworkStore networks_;
};

}  // namespace hull::engine
