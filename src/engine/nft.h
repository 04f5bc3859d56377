// hull's nftables rules, changed in-process through libnftables (nft_lib.h): NAT for the
// networks, published ports, and the isolation of --internal networks. The `nft` binary is
// never run.
//
// All of an engine root's rules live in ONE table of our own, `ip <table>` ("hull" for the
// default root). Nobody else's tables are touched, flushed or listed. Per-network and
// per-container state lives as elements of the table's sets and maps, so adding or removing
// a network or a container's published ports adds or deletes elements: no rule handles are
// tracked. Each call is one nft transaction (after one read of our table where it needs one):
//
// clang-format off
//   table ip T {
//     set bridges_nat      { type ifname; }                     # bridges of non-internal networks
//     set subnets_nat      { type ipv4_addr; flags interval; }  # and their subnets
//     set bridges_internal { type ifname; }                     # bridges of --internal networks
//     set internal_self    { type ifname . ifname; }            # "br" . "br" for each of those
//     set nat_self         { type ifname . ifname; }            # and for each non-internal one
//     map ports    { type inet_proto . inet_service : ipv4_addr . inet_service; }  # every address
//     map ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
//     chain publish {
//       dnat ip to ip daddr . meta l4proto . th dport map @ports_ip    # one host address first
//       dnat ip to meta l4proto . th dport map @ports }
//     chain prerouting  { type nat hook prerouting priority dstnat;
//                         fib daddr type local jump publish }
//     chain output      { type nat hook output priority -100; fib daddr type local jump publish }
//     chain postrouting { type nat hook postrouting priority srcnat;
//       ip saddr @subnets_nat oifname != @bridges_nat masquerade                # to the world
//       ct status dnat ip saddr @subnets_nat ip daddr @subnets_nat masquerade  # hairpin
//       ct status dnat ip saddr 127.0.0.0/8 masquerade }  # host's 127.0.0.1 -> published port
//     chain forward { type filter hook forward priority filter;
//       iifname @bridges_internal iifname . oifname != @internal_self drop
//       oifname @bridges_internal iifname . oifname != @internal_self drop
//       ct status dnat accept                    # a published port: reachable from any network
//       iifname @bridges_nat oifname @bridges_nat iifname . oifname != @nat_self drop }
//   }
// clang-format on
//
// Why internal_self: with br_netfilter loaded (docker loads it; bridge-nf-call-iptables is 1
// in every new namespace), traffic between two containers of one bridge passes the ip forward
// hook too, with the bridge as both iif and oif. A plain `iifname @bridges_internal drop`
// would cut an internal network's containers off from each other. nat_self does the same for
// the rule that keeps two networks apart (as docker's isolation chains): a container reaches
// another network's containers only through their published ports.
//
// add_network declares the sets, maps and chains with `add` (no-ops when present), and
// flushes and re-adds the chains' few rules in the same transaction: one round trip, the
// same result however often it runs or however many processes run it at once, and a table
// left by an older hull gets today's rules. Traffic never sees the chains empty (a
// transaction is atomic). Reading (for remove_*, conflicts and "is any network left") is
// nft's JSON listing of our table only.
//
// Publishing to host port P on every address conflicts with P on any one address (as a
// bind(2) would). Two processes publishing the same (address, port) at once cannot both win:
// the elements are made with `create`, which the kernel refuses for a key already there
// (every-address against one-address is checked against the read only). Changes of networks
// are serialised by the caller (network_store's lock).
//
// Traffic from the host to 127.0.0.1:PORT also needs route_localnet=1 on the bridge, which
// the engine sets when it makes the bridge.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/ipv4.h"

namespace hull::engine {

struct NatNetwork {
  std::string bridge;
  Cidr subnet;
  bool internal = false;
};

struct PortMapping {
  std::string proto;  // "tcp" | "udp"
  Ipv4 host_ip;       // 0 = every host address
  uint16_t host_port = 0;
  Ipv4 container_ip;
  uint16_t container_port = 0;
  bool operator==(const PortMapping&) const = default;
};

// What our table holds, as read back from nft's JSON listing.
struct NftState {
  bool exists = false;
  std::vector<std::string> bridges_nat;
  std::vector<Cidr> subnets_nat;
  std::vector<std::string> bridges_internal;
  std::vector<std::string> internal_self;  // the bridge of each "br" . "br" element
  std::vector<std::string> nat_self;       // the same, for the other networks
  std::vector<PortMapping> ports;          // both maps; host_ip 0 for `ports`
};

class Nft {
 public:
  explicit Nft(std::string table) : table_(std::move(table)) {}

  // Makes the table, sets, maps and chains if missing (idempotent) and adds the network.
  base::Result<void> add_network(const NatNetwork& net);
  // Deletes the network's elements (those still there) and the published ports pointing
  // into its subnet; deletes the whole table when no network is left in it.
  base::Result<void> remove_network(const NatNetwork& net);
  // One transaction; a host port already published (or twice in `ports`) is an error naming
  // it, and then nothing is added.
  base::Result<void> add_ports(const std::vector<PortMapping>& ports);
  // Elements already gone (or now mapped elsewhere) are skipped: cleanup after a crash may
  // call it again.
  base::Result<void> remove_ports(const std::vector<PortMapping>& ports);
  base::Result<bool> table_exists();
  // The table's sets and maps (exists = false when there is no table).
  base::Result<NftState> read();

 private:
  std::string table_;
};

// The pure half, for tests: the command buffers the calls above run.
namespace nft_plan {

base::Result<std::string> add_network(const std::string& table, const NatNetwork& net);
// "" when there is nothing to do.
base::Result<std::string> remove_network(const std::string& table, const NatNetwork& net,
                                         const NftState& state);
base::Result<std::string> add_ports(const std::string& table, const std::vector<PortMapping>& ports,
                                    const NftState& state);
base::Result<std::string> remove_ports(const std::string& table,
                                       const std::vector<PortMapping>& ports,
                                       const NftState& state);
// nft's JSON listing of our table (`nft -j list table ip T`).
base::Result<NftState> parse_state(const std::string& json);
// "127.0.0.1:8080/tcp", "0.0.0.0:8080/tcp" for every address: how errors name a host port.
std::string host_port_name(const PortMapping& p);

}  // namespace nft_plan

}  // namespace hull::engine
