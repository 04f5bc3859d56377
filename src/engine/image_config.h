// The parts of an OCI image config (application/vnd.oci.image.config.v1+json, the same keys
// as docker's) that a container is made from.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/error.h"

namespace hull::engine {

struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // KEY=VALUE
  std::string working_dir;
  std::string user;                         // "uid", "uid:gid", "name" or "name:group"
  std::vector<std::string> exposed_ports;   // "80/tcp", sorted
  std::string stop_signal;                  // "SIGTERM", or "" for the default
  std::map<std::string, std::string> labels;
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string created;  // RFC 3339
};

}  // namespace hull::engine
