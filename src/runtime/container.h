// The container lifecycle behind hull-oci's commands: create, start, run, state, list,
// kill and delete, on state kept under the runtime root. Parse-and-validate happens before
// anything is made; a failure at any step undoes the steps before it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "runtime/state_store.h"

namespace hull::runtime {

struct RuntimeOptions {
  std::string root = "/run/hull-oci";
  bool debug = false;
};

// An overlay mounted as the rootfs by the init itself, inside its new mount namespace (the
// engine's image layers): it lives and dies with the container, nothing is mounted on the
// host. The spec's root.path is the (empty) directory it is mounted on.
struct Overlay {
  std::vector<std::string> lower_dirs;  // bottom layer first; absolute
  std::string upper_dir;
  std::string work_dir;
};

struct CreateOptions {
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  // For callers that supervise the container themselves (the engine's monitor):
  const oci::Spec* spec = nullptr;  // the bundle's config.json already parsed (root.path absolute)
  std::optional<Overlay> rootfs_overlay;
  int stdio[3] = {-1, -1, -1};  // fds to become the process's 0, 1, 2 (-1: inherited)
  int parent_death_signal = 0;  // sent to the process when its parent (the monitor) dies
  bool init_reaper = false;      // PID 1 reaps and forwards signals; the process is its child
};

// A running container whose init is our child (Runtime::run_owned).
struct OwnedInit {
  pid_t pid = 0;
  base::Fd pidfd;
  base::Fd pty_master;  // process.terminal: the pty's master side
};

// What `state` and `list` print: the spec's state plus runc's extra fields.
struct ContainerInfo {
  oci::State state;
  std::string rootfs;
  std::string created;
  std::string owner;
};

class Runtime {
 public:
  explicit Runtime(RuntimeOptions opt) : opt_(std::move(opt)), store_(opt_.root) {}

  // Leaves the container's init waiting before exec; returns once it is ready.
  base::Result<void> create(const std::string& id, const CreateOptions& opt);
  // Lets a created container exec its process; runs poststart hooks.
  base::Result<void> start(const std::string& id);
  // create + start + wait: returns the container's exit code and deletes it afterwards.
  // With detach, returns 0 once the process runs and keeps the container.
  base::Result<int> run(const std::string& id, const CreateOptions& opt, bool detach);
  // create + start for a caller that stays the init's parent and supervises it (the
  // engine's monitor): returns once the process runs. The caller reaps it and calls
  // remove() afterwards.
  base::Result<OwnedInit> run_owned(const std::string& id, const CreateOptions& opt);
  base::Result<ContainerInfo> state(const std::string& id) const;
  std::vector<ContainerInfo> list() const;
  base::Result<void> kill(const std::string& id, int sig, bool all);
  // With force: kills a running container first, and an id that does not exist is no error.
  base::Result<void> remove(const std::string& id, bool force);
  bool exists(const std::string& id) const;
  const StateStore& store() const { return store_; }
  const RuntimeOptions& options() const { return opt_; }

 private:
  RuntimeOptions opt_;
  StateStore store_;
};

}  // namespace hull::runtime
