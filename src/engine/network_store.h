// Networks of the engine and their address management, on disk under <root>/networks:
// <name>/network.json (written atomically), <name>/ips/<address> (one file per address in
// use, holding the container's id: made with O_EXCL, so two containers can never get one
// address, and nothing is rewritten on the start path), <name>/live/<id> (containers whose
// interface is up: the members name resolution lists). Creating and removing networks is
// serialised by <root>/networks/.lock; addresses need no lock.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "engine/ipv4.h"
#include "engine/paths.h"

namespace hull::engine {

// The network `hull run` uses when --network is not given (docker's "bridge").
inline constexpr const char* kDefaultNetwork = "hull0";

struct NetworkConfig {
  std::string name;
  std::string id;      // 64 hex
  std::string bridge;  // the host's bridge device
  Cidr subnet;
  Ipv4 gateway;           // the bridge's own address
  bool internal = false;  // no route out, no NAT
  int mtu = 0;            // 0: the kernel's default
  std::string created;    // RFC 3339
  std::map<std::string, std::string> labels;
  bool is_default() const { return name == kDefaultNetwork; }
};

struct NetworkRequest {
  std::string name;
  std::string subnet;   // "" = choose a free one
  std::string gateway;  // "" = the subnet's first address
  bool internal = false;
  int mtu = 0;
  std::map<std::string, std::string> labels;
};

// The subnets a new network must not overlap: the host's routes (the default route aside)
// and the other networks'. Pure, for tests.
struct SubnetChoice {
  std::vector<std::pair<Cidr, std::string>> taken;  // with what holds it, for the error
};
base::Result<Cidr> choose_subnet(const SubnetChoice& c, const std::string& wanted);

class NetworkStore {
 public:
  explicit NetworkStore(const Paths& paths) : dir_(paths.root + "/networks") {}

  // Held while networks are made or removed.
  base::Result<base::Fd> lock() const;
  // Writes network.json; the caller holds lock() and made the choices.
  base::Result<void> save(const NetworkConfig& n) const;
  base::Result<NetworkConfig> load(const std::string& name) const;
  // By name, id or unique id prefix.
  base::Result<NetworkConfig> find(const std::string& ref) const;
  std::vector<NetworkConfig> list() const;
  // Deletes the network's directory; the caller checked it has no containers.
  base::Result<void> erase(const std::string& name) const;

  // An address for container id: `want`, or the lowest free one after the gateway.
  base::Result<Ipv4> allocate(const NetworkConfig& n, const std::string& id,
                              std::optional<Ipv4> want) const;
  // Frees every address of id on the network (none is fine).
  void release(const std::string& network, const std::string& id) const;
  // Who holds which address: address -> container id.
  std::map<Ipv4, std::string> holders(const std::string& network) const;

  // Members whose interface is up (name resolution): ids.
  base::Result<void> set_live(const std::string& network, const std::string& id, bool live) const;
  std::vector<std::string> live(const std::string& network) const;
  // Held while a network's members' hosts files are rewritten.
  base::Result<base::Fd> lock_members(const std::string& network) const;

 private:
  std::string net_dir(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

base::Result<void> validate_network_name(const std::string& name);

}  // namespace hull::engine
