// The bridge driver: puts a container on its networks for one start, and takes it off.
// The monitor makes the container's network namespace itself (new_netns), wires a veth per
// network into it (the container's end named eth0, eth1…, made directly inside), publishes
// the ports, then has the runtime join that namespace. Nothing is mounted: the namespace
// lives as long as the monitor's fd and the container's processes, so a monitor killed by
// SIGKILL takes the veths with it. docs/networks.md has the whole picture.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "engine/container_store.h"
#include "engine/network_store.h"
#include "engine/paths.h"

namespace hull::engine {

// The nft table of an engine root: "hull" for /var/lib/hull, "hull_<8 hex>" for another
// root (tests run their own), so two roots never touch each other's rules.
std::string nft_table_of(const Paths& paths);

// The bridge of a network, made if missing (at `network create`, or after a reboot):
// address, up, route_localnet, NAT rules. Idempotent.
base::Result<void> ensure_bridge(const Paths& paths, const NetworkConfig& n);
// Deletes the bridge and the network's rules (a missing bridge is fine).
base::Result<void> remove_bridge(const Paths& paths, const NetworkConfig& n);

// The host's end of a container's veth in a slot: "hv" + 12 hex of the id + the slot.
std::string veth_name(const std::string& id, int slot);

class ContainerNetwork {
 public:
  // A new network namespace with lo up and the record's networks and ports in it. nets: the
  // networks' configs if the caller has them (`hull run` read them at create), else read.
  static base::Result<ContainerNetwork> up(const Paths& paths, const ContainerRecord& rec,
                                           const std::vector<NetworkConfig>* nets = nullptr);
  ContainerNetwork(ContainerNetwork&&) = default;
  ContainerNetwork& operator=(ContainerNetwork&&) = default;
  ~ContainerNetwork() { down(); }

  int netns_fd() const { return netns_.get(); }
  // Unpublishes the ports, deletes the veths, leaves name resolution. Idempotent.
  void down();

 private:
  ContainerNetwork(Paths paths, ContainerRecord rec)
      : paths_(std::move(paths)), rec_(std::move(rec)) {}
  Paths paths_;
  ContainerRecord rec_;
  std::vector<NetworkConfig> nets_;
  base::Fd netns_;
  bool up_ = false;
};

// Wires one more network into a running container's namespace (`network connect`): the
// attachment is the record's n-th.
base::Result<void> attach_network(const Paths& paths, const ContainerRecord& rec, size_t n,
                                  int netns_fd);
// Takes the n-th network's veth out (`network disconnect`, and down()).
void detach_network(const Paths& paths, const ContainerRecord& rec, size_t n);

// What a container left if its monitor died: ports unpublished, veths deleted, name
// resolution updated. Safe to call for a container that left nothing.
void network_cleanup(const Paths& paths, const ContainerRecord& rec);
// Frees what a removed container held: its addresses and port bookings.
void network_release(const Paths& paths, const ContainerRecord& rec);

// The container's /etc/hosts as it should read now.
std::string hosts_of(const Paths& paths, const ContainerRecord& rec);
// Rewrites /etc/hosts of every live member of a user-defined network.
void sync_hosts(const Paths& paths, const std::string& network);

}  // namespace hull::engine
