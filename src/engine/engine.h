// The engine behind `hull`: container records, images, and the per-container monitor,
// over the runtime library (called in-process, never by exec of hull-oci).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/container_store.h"
#include "engine/image_store.h"
#include "engine/paths.h"
#include "engine/run_options.h"

namespace hull::engine {

const char* version();

class Engine {
 public:
  explicit Engine(Paths paths);

  const Paths& paths() const { return paths_; }
  ImageStore& images() { return images_; }

  // By name, full id or unique id prefix; the record's state is checked against the
  // living processes (a dead monitor means exited, exit code unknown).
  base::Result<ContainerRecord> find(const std::string& ref) const;
  std::vector<ContainerRecord> list() const;
  // The log file of a container.
  std::string log_path(const ContainerRecord& c) const;
  // Image ids that containers (any state) are made from: rmi refuses them.
  std::set<std::string> images_in_use() const;

 private:
  Paths paths_;
  ImageStore images_;
};

}  // namespace hull::engine
