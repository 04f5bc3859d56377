// Engine: lookups, reconciliation with the living processes, and the records' view of
// images. The lifecycle commands are in containers.cc, inspect in inspect.cc.
#include "engine/engine.h"

#include "engine/network_attach.h"
#include "runtime/container.h"

namespace hull::engine {

const char* version() { return HULL_VERSION; }

Engine::Engine(Paths paths, bool debug)
    : paths_(std::move(paths)), debug_(debug), images_(paths_.images()), store_(paths_),
      networks_(paths_) {}

std::optional<ContainerRecord> Engine::reconcile(ContainerRecord r) const {
  if (r.monitor_alive) return r;
  switch (r.state) {
    case ContainerState::kCreating: {
      // Its creator died half-way (the creator holds the lock until the record is done):
      // nothing of it may be left.
      (void)rt().remove(r.id, true);
      network_cleanup(paths_, r);
      (void)store_.remove(r);
      network_release(paths_, r);
      return std::nullopt;
    }
    case ContainerState::kRunning:
    case ContainerState::kPaused:
      // The monitor died (SIGKILL, say); its container died with it (parent-death signal).
      r.state = ContainerState::kExited;
      r.pid = 0;
      r.exit_code.reset();
      return r;
    default:
      return r;
  }
}

base::Result<ContainerRecord> Engine::find(const std::string& ref) const {
  ASSIGN_OR_RETURN(std::string id, store_.resolve(ref));
  ASSIGN_OR_RETURN(ContainerRecord r, store_.load(id));
  auto now = reconcile(std::move(r));
  if (!now) return base::Error("no such container: " + ref);
  return std::move(*now);
}

std::vector<ContainerRecord> Engine::list() const {
  store_.purge_stale();
  std::vector<ContainerRecord> out;
  for (auto& r : store_.load_all()) {
    if (auto now = reconcile(std::move(r))) out.push_back(std::move(*now));
  }
  return out;
}

std::string Engine::log_path(const ContainerRecord& c) const {
  return store_.dir_of(c.id) + "/container.log";
}

std::set<std::string> Engine::images_in_use() const {
  std::set<std::string> ids;
  for (const auto& r : store_.load_all()) ids.insert(r.image_id);
  return ids;
}

}  // namespace hull::engine
