#include "engine/network_attach.h"

#include <cerrno>
#include <optional>
#include <set>

#include "base/hex.h"
#include "base/sha256.h"
#include "base/sys.h"
#include "engine/netlink.h"
#include "engine/netns.h"
#include "engine/network_files.h"
#include "engine/nft.h"

namespace hull::engine {

using base::Error;
using base::Result;

namespace {

// One netlink socket in our own namespace for the life of the process.
Result<netlink::Socket*> host_socket() {
  static std::optional<netlink::Socket> sock;
  if (!sock) {
    ASSIGN_OR_RETURN(netlink::Socket s, netlink::Socket::open());
    sock.emplace(std::move(s));
  }
  return &*sock;
}

// The network that gives the container its default route: the first that is not internal.
std::optional<size_t> route_network(const std::vector<NetworkConfig>& nets) {
  for (size_t i = 0; i < nets.size(); ++i) {
    if (!nets[i].internal) return i;
  }
  return std::nullopt;
}

std::vector<NetworkConfig> configs_of(const Paths& paths, const ContainerRecord& rec) {
  NetworkStore store(paths);
  std::vector<NetworkConfig> out;
  for (const auto& a : rec.networks) {
    auto n = store.load(a.network);
    if (n) {
      out.push_back(std::move(*n));
    } else {
      NetworkConfig gone;  // removed under us: no bridge to reach, no route
      gone.name = a.network;
      gone.internal = true;
      out.push_back(std::move(gone));
    }
  }
  return out;
}

// The published ports, to the address on the network that has the default route.
std::vector<PortMapping> mappings_of(const ContainerRecord& rec,
                                     const std::vector<NetworkConfig>& nets) {
  std::vector<PortMapping> out;
  if (rec.ports.empty() || rec.networks.empty()) return out;
  size_t n = route_network(nets).value_or(0);
  Ipv4 ip = Ipv4::parse(rec.networks[n].ip).value_or(Ipv4{});
  for (const auto& p : rec.ports) {
    out.push_back({p.proto, p.host_ip, p.host_port, ip, p.container_port});
  }
  return out;
}

std::string hostname_of(const ContainerRecord& rec) {
  return rec.run_options.value("hostname", rec.id.substr(0, 12));
}

}  // namespace

std::string nft_table_of(const Paths& paths) {
  if (paths.root == "/var/lib/hull") return "hull";
  base::Sha256 h;
  h.update(paths.root);
  auto d = h.finish();
  return "hull_" + base::hex(d.data(), 4);
}

std::string veth_name(const std::string& id, int slot) {
  return "hv" + id.substr(0, 12) + std::to_string(slot);
}

Result<void> ensure_bridge(const Paths& paths, const NetworkConfig& n) {
  ASSIGN_OR_RETURN(netlink::Socket * host, host_socket());
  if (host->link_index(n.bridge)) return {};
  NetworkStore store(paths);
  ASSIGN_OR_RETURN(base::Fd lock, store.lock());
  if (host->link_index(n.bridge)) return {};  // made by another start meanwhile
  auto made = [&]() -> Result<void> {
    TRY(host->create_bridge(n.bridge, n.mtu));
    ASSIGN_OR_RETURN(int index, host->link_index(n.bridge));
    TRY(host->add_address(index, n.gateway, n.subnet.prefix));
    TRY(host->set_up(index));
    // The host's own 127.0.0.1:PORT is steered into the bridge by nft: the kernel drops
    // packets from 127/8 leaving by a device unless the device allows it.
    TRY(base::sys::write_file("/proc/sys/net/ipv4/conf/" + n.bridge + "/route_localnet", "1"));
    if (!n.internal) TRY(base::sys::write_file("/proc/sys/net/ipv4/ip_forward", "1"));
    return Nft(nft_table_of(paths)).add_network({n.bridge, n.subnet, n.internal});
  }();
  if (!made) {
    if (auto index = host->link_index(n.bridge)) (void)host->delete_link(*index);
    return std::move(made.error()).context("network " + n.name + ": bridge " + n.bridge);
  }
  return {};
}

Result<void> remove_bridge(const Paths& paths, const NetworkConfig& n) {
  ASSIGN_OR_RETURN(netlink::Socket * host, host_socket());
  if (auto index = host->link_index(n.bridge)) TRY(host->delete_link(*index));
  return Nft(nft_table_of(paths)).remove_network({n.bridge, n.subnet, n.internal});
}

namespace {

// The n-th network's veth pair, made and set up on both sides; inside is a netlink socket
// in the container's namespace.
Result<void> wire(const Paths& paths, const ContainerRecord& rec,
                  const std::vector<NetworkConfig>& nets, size_t n, int netns_fd,
                  netlink::Socket& inside) {
  const NetworkAttachment& a = rec.networks[n];
  const NetworkConfig& cfg = nets[n];
  if (cfg.id.empty()) return Error("no such network: " + a.network);
  auto ip = Ipv4::parse(a.ip);
  if (!ip) return Error("network " + a.network + ": the container has no address on it");
  TRY(ensure_bridge(paths, cfg));
  ASSIGN_OR_RETURN(netlink::Socket * host, host_socket());
  ASSIGN_OR_RETURN(int bridge, host->link_index(cfg.bridge));
  std::string outside = veth_name(rec.id, a.slot);
  std::string inside_name = "eth" + std::to_string(a.slot);
  TRY(host->create_veth(outside, inside_name, netns_fd, cfg.mtu));
  ASSIGN_OR_RETURN(int out_index, host->link_index(outside));
  TRY(host->set_master(out_index, bridge));
  TRY(host->set_hairpin(out_index));  // a container reaching its own published port
  TRY(host->set_up(out_index));
  ASSIGN_OR_RETURN(int in_index, inside.link_index(inside_name));
  if (!a.mac.empty()) {
    auto mac = netlink::parse_mac(a.mac);
    if (!mac) return Error("--mac-address " + a.mac + ": not a unicast MAC address");
    TRY(inside.set_mac(in_index, *mac));
  }
  TRY(inside.add_address(in_index, *ip, cfg.subnet.prefix));
  TRY(inside.set_up(in_index));
  if (route_network(nets) == n) TRY(inside.add_default_route(cfg.gateway));
  return {};
}

}  // namespace

Result<void> attach_network(const Paths& paths, const ContainerRecord& rec, size_t n,
                            int netns_fd) {
  ASSIGN_OR_RETURN(netlink::Socket inside, netlink::Socket::open_in(netns_fd));
  return wire(paths, rec, configs_of(paths, rec), n, netns_fd, inside);
}

void detach_network(const Paths&, const ContainerRecord& rec, size_t n) {
  auto host = host_socket();
  if (!host) return;
  std::string name = veth_name(rec.id, rec.networks[n].slot);
  if (auto index = (*host)->link_index(name)) (void)(*host)->delete_link(*index);
}

namespace {

// Ports unpublished, and the container no longer a member for name resolution.
void unpublish(const Paths& paths, const ContainerRecord& rec,
               const std::vector<NetworkConfig>& nets) {
  if (auto ports = mappings_of(rec, nets); !ports.empty()) {
    (void)Nft(nft_table_of(paths)).remove_ports(ports);
  }
  NetworkStore store(paths);
  for (const auto& a : rec.networks) {
    if (a.network == kDefaultNetwork) continue;
    (void)store.set_live(a.network, rec.id, false);
    sync_hosts(paths, a.network);
  }
}

}  // namespace

void network_cleanup(const Paths& paths, const ContainerRecord& rec) {
  unpublish(paths, rec, configs_of(paths, rec));
  for (size_t n = 0; n < rec.networks.size(); ++n) detach_network(paths, rec, n);
}

Result<ContainerNetwork> ContainerNetwork::up(const Paths& paths, const ContainerRecord& rec,
                                              const std::vector<NetworkConfig>* nets) {
  ContainerNetwork net(paths, rec);
  ASSIGN_OR_RETURN(net.netns_, new_netns());
  net.up_ = true;  // from here, down() takes back whatever was done
  ASSIGN_OR_RETURN(netlink::Socket inside, netlink::Socket::open_in(net.netns_.get()));
  ASSIGN_OR_RETURN(int lo, inside.link_index("lo"));
  TRY(inside.set_up(lo));
  net.nets_ = nets ? *nets : configs_of(paths, rec);
  for (size_t n = 0; n < rec.networks.size(); ++n) {
    TRY_CTX(wire(paths, rec, net.nets_, n, net.netns_.get(), inside),
            "network " + rec.networks[n].network);
  }
  if (auto ports = mappings_of(rec, net.nets_); !ports.empty()) {
    TRY_CTX(Nft(nft_table_of(paths)).add_ports(ports), "publish ports");
  }
  NetworkStore store(paths);
  for (const auto& a : rec.networks) {
    if (a.network == kDefaultNetwork) continue;
    TRY(store.set_live(a.network, rec.id, true));
    sync_hosts(paths, a.network);
  }
  return net;
}

void ContainerNetwork::down() {
  if (!up_) return;
  up_ = false;
  unpublish(paths_, rec_, nets_);
  // The veths go with the namespace: once the last fd and process of it are gone the
  // kernel destroys it, and every device in it with its peer, in the background. Deleting
  // them ourselves would wait out RCU grace periods (~10 ms) on the exit path.
  netns_.reset();
}

void network_release(const Paths& paths, const ContainerRecord& rec) {
  NetworkStore store(paths);
  for (const auto& a : rec.networks) store.release(a.network, rec.id);
  PortBook(paths).release(rec.ports, rec.id);
}

std::string hosts_of(const Paths& paths, const ContainerRecord& rec) {
  std::vector<HostsLine> own, extra, peers;
  std::string hostname = hostname_of(rec);
  for (const auto& a : rec.networks) {
    std::vector<std::string> names{hostname};
    if (rec.name != hostname) names.push_back(rec.name);
    own.push_back({a.ip, names});
  }
  for (const auto& h : rec.extra_hosts) {
    if (auto line = parse_add_host(h)) extra.push_back(*line);
  }
  NetworkStore networks(paths);
  ContainerStore store(paths);
  std::set<std::string> seen;
  for (const auto& a : rec.networks) {
    if (a.network == kDefaultNetwork) continue;  // as docker: no names on the default bridge
    for (const auto& id : networks.live(a.network)) {
      if (id == rec.id) continue;
      auto peer = store.load(id);
      if (!peer || !peer->monitor_alive) continue;
      for (const auto& pa : peer->networks) {
        if (pa.network != a.network || !seen.insert(pa.ip).second) continue;
        std::vector<std::string> names{peer->name};
        names.insert(names.end(), pa.aliases.begin(), pa.aliases.end());
        names.push_back(peer->id.substr(0, 12));
        peers.push_back({pa.ip, names});
      }
    }
  }
  return render_hosts(own, extra, peers);
}

void sync_hosts(const Paths& paths, const std::string& network) {
  NetworkStore networks(paths);
  ContainerStore store(paths);
  auto lock = networks.lock_members(network);
  if (!lock) return;
  for (const auto& id : networks.live(network)) {
    auto rec = store.load(id);
    if (!rec || !rec->monitor_alive) {
      (void)networks.set_live(network, id, false);  // its monitor died: not a member
      continue;
    }
    (void)rewrite_in_place(store.dir_of(id) + "/hosts", hosts_of(paths, *rec));
  }
}

}  // namespace hull::engine
