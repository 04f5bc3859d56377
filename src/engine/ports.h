// Published ports (`-p`, `-P`): parsing docker's syntax, and the bookings that keep two
// containers from publishing one host port. A booking is a file <root>/ports/<proto>-<port>
// holding the container's id and name, made with O_EXCL (no lock, no race); it lives from create
// to rm, as docker's. The packets are steered by nft (nft.h), while the container runs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/ipv4.h"
#include "engine/paths.h"

namespace hull::engine {

struct PublishedPort {
  std::string proto = "tcp";  // tcp | udp
  Ipv4 host_ip;               // 0.0.0.0: every address of the host
  uint16_t host_port = 0;     // 0 until booked: chosen then
  uint16_t container_port = 0;
  bool operator==(const PublishedPort&) const = default;
};

// One -p value: [HOSTIP:][HOSTPORT[-END]:]PORT[-END][/tcp|/udp]; ranges expand to one
// entry per port. A missing host port is 0 (chosen at booking).
base::Result<std::vector<PublishedPort>> parse_publish(const std::string& value);
// -P: the image's ExposedPorts ("80/tcp"), each on a chosen host port.
base::Result<std::vector<PublishedPort>> publish_exposed(const std::vector<std::string>& exposed);
// "0.0.0.0:8080->80/tcp", as docker ps shows it.
std::string port_str(const PublishedPort& p);

nlohmann::json ports_json(const std::vector<PublishedPort>& ports);
std::vector<PublishedPort> ports_from_json(const nlohmann::json& j);

class PortBook {
 public:
  explicit PortBook(const Paths& paths) : dir_(paths.root + "/ports") {}
  // Books every port for container id, choosing host ports that are 0; all or none. A port
  // booked by another container, or in use by a process of the host, is an error naming
  // the holder.
  base::Result<void> book(std::vector<PublishedPort>* ports, const std::string& id,
                          const std::string& name) const;
  // Frees the bookings of id (those of another container are left alone).
  void release(const std::vector<PublishedPort>& ports, const std::string& id) const;
  // Every booking: file name -> id (system prune frees those of removed containers).
  std::vector<std::pair<std::string, std::string>> all() const;
  void release_file(const std::string& name) const;

 private:
  std::string path_of(const PublishedPort& p) const;
  std::string dir_;
};

}  // namespace hull::engine
