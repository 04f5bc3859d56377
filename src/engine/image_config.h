// The parts of an OCI image config (application/vnd.oci.image.config.v1+json, the same keys
// as docker's) that a container is made from; its JSON form; and the Dockerfile-style
// `--change` instructions `hull import` applies to it.
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

// A config blob as read from a store or an archive: the config and the layers' diff_ids.
struct ParsedImageConfig {
  ImageConfig config;
  std::vector<std::string> diff_ids;  // "sha256:<hex>", bottom first
};

// Parses a config blob; errors name `where` (a file) and the JSON key that is wrong.
base::Result<ParsedImageConfig> parse_image_config(const std::string& text,
                                                   const std::string& where);
// The config blob of a new image: config, rootfs.diff_ids and one history entry.
std::string image_config_json(const ImageConfig& config, const std::vector<std::string>& diff_ids,
                              const std::string& created_by);

// Applies one `--change` instruction: CMD, ENTRYPOINT (JSON array or shell form), ENV K=V,
// WORKDIR, USER, EXPOSE 80[/tcp], LABEL k=v, STOPSIGNAL. The error names the instruction.
base::Result<void> apply_change(ImageConfig& config, const std::string& instruction);

}  // namespace hull::engine
