// The engine's networks: create/ls/inspect/rm/prune/connect/disconnect, what a container
// gets at create (addresses, host ports, its /etc files), and `system prune`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "base/clock.h"
#include "base/sys.h"
#include "engine/engine.h"
#include "engine/netlink.h"
#include "engine/network_attach.h"
#include "engine/network_files.h"

namespace hull::engine {

using base::Error;
using base::Result;

namespace {

bool link_exists(netlink::Socket& host, const std::string& name) {
  return static_cast<bool>(host.link_index(name));
}

}  // namespace

Result<NetworkConfig> Engine::network_create(const NetworkRequest& req) {
  TRY(validate_network_name(req.name));
  if (req.name == "bridge" || req.name == "host" || req.name == "none") {
    return Error("network name \"" + req.name + "\" is reserved (--network " + req.name +
                 " means something already)");
  }
  if (req.mtu != 0 && (req.mtu < 68 || req.mtu > 65535)) {
    return Error("--opt mtu=" + std::to_string(req.mtu) + ": expected 68 to 65535");
  }
  ASSIGN_OR_RETURN(base::Fd lock, networks_.lock());
  if (networks_.load(req.name)) {
    return Error("network with name " + req.name + " already exists");
  }
  ASSIGN_OR_RETURN(netlink::Socket host, netlink::Socket::open());
  SubnetChoice choice;
  std::vector<NetworkConfig> others = networks_.list();
  for (const auto& n : others) choice.taken.push_back({n.subnet, "network " + n.name});
  ASSIGN_OR_RETURN(std::vector<netlink::Route> routes, host.routes());
  for (const auto& r : routes) {
    bool ours = std::any_of(others.begin(), others.end(),
                            [&](const NetworkConfig& n) { return n.bridge == r.dev; });
    if (r.dst.prefix > 0 && !ours) {
      choice.taken.push_back(
          {r.dst, "the route " + r.dst.str() + " dev " + r.dev + " of this host"});
    }
  }
  NetworkConfig n;
  n.name = req.name;
  n.id = new_container_id();
  ASSIGN_OR_RETURN(n.subnet, choose_subnet(choice, req.subnet));
  n.gateway = n.subnet.at(1);
  if (!req.gateway.empty()) {
    auto gw = Ipv4::parse(req.gateway);
    if (!gw || !n.subnet.contains(*gw) || *gw == n.subnet.base || *gw == n.subnet.broadcast()) {
      return Error("--gateway " + req.gateway + ": not a host address of " + n.subnet.str());
    }
    n.gateway = *gw;
  }
  n.internal = req.internal;
  n.mtu = req.mtu;
  n.created = base::rfc3339_now();
  n.labels = req.labels;
  // The default network's bridge is hull0, as docker's is docker0, unless another engine
  // root has that name; the others get one made from their id.
  n.bridge = n.is_default() && !link_exists(host, "hull0") ? "hull0" : "hull-" + n.id.substr(0, 10);
  TRY(networks_.save(n));
  lock.reset();  // ensure_bridge takes it again
  if (auto r = ensure_bridge(paths_, n); !r) {
    (void)networks_.erase(n.name);
    return std::move(r.error());
  }
  return n;
}

Result<NetworkConfig> Engine::network(const std::string& ref) const {
  if (ref == "bridge") return networks_.find(kDefaultNetwork);
  return networks_.find(ref);
}

std::vector<NetworkConfig> Engine::network_list() const { return networks_.list(); }

Result<NetworkConfig> Engine::default_network() {
  if (auto n = networks_.load(kDefaultNetwork)) return n;
  auto made = network_create({kDefaultNetwork, "", "", false, 0, {}});
  if (made) return made;
  if (auto n = networks_.load(kDefaultNetwork)) return n;  // made by a concurrent first use
  return std::move(made.error()).context("the default network " + std::string(kDefaultNetwork));
}

std::vector<std::pair<ContainerRecord, NetworkAttachment>> Engine::network_members(
    const NetworkConfig& n) const {
  std::vector<std::pair<ContainerRecord, NetworkAttachment>> out;
  for (const auto& [ip, id] : networks_.holders(n.name)) {
    auto rec = find(id);
    if (!rec) continue;
    for (const auto& a : rec->networks) {
      if (a.network == n.name) out.emplace_back(*rec, a);
    }
  }
  return out;
}

Result<void> Engine::network_remove(const std::string& ref) {
  ASSIGN_OR_RETURN(NetworkConfig n, network(ref));
  release_stale(n);
  auto members = network_members(n);
  if (!members.empty()) {
    std::string names;
    for (const auto& [rec, a] : members) names += (names.empty() ? "" : ", ") + rec.name;
    return Error("network " + n.name + " is in use by container" +
                 (members.size() > 1 ? "s " : " ") + names)
        .hint("remove those containers, or `hull network disconnect " + n.name + " NAME`");
  }
  TRY(remove_bridge(paths_, n));
  return networks_.erase(n.name);
}

Result<std::vector<std::string>> Engine::network_prune() {
  std::vector<std::string> removed;
  for (const auto& n : networks_.list()) {
    if (n.is_default()) continue;  // as docker's prune: the default network stays
    release_stale(n);
    if (!network_members(n).empty()) continue;
    TRY(remove_bridge(paths_, n));
    TRY(networks_.erase(n.name));
    removed.push_back(n.name);
  }
  return removed;
}

size_t Engine::release_stale(const NetworkConfig& n) const {
  size_t freed = 0;
  for (const auto& [ip, id] : networks_.holders(n.name)) {
    // The address of a container whose record is gone (a `hull run` killed between taking
    // it and writing the record).
    if (!base::sys::exists(store_.dir_of(id))) {
      networks_.release(n.name, id);
      ++freed;
    }
  }
  return freed;
}

Result<void> Engine::network_connect(const std::string& net, const std::string& ref,
                                     const std::string& ip,
                                     const std::vector<std::string>& aliases) {
  ASSIGN_OR_RETURN(NetworkConfig n, network(net));
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  if (r.networks.empty() && r.run_options.value("network", "") != "" &&
      r.run_options.value("network", "") != "bridge") {
    std::string mode = r.run_options.value("network", "");
    if (mode == "host" || mode.rfind("container:", 0) == 0) {
      return Error("container " + ref + " uses --network " + mode +
                   ": it has no network of its own");
    }
  }
  for (const auto& a : r.networks) {
    if (a.network == n.name) return Error("container " + ref + " is already on network " + n.name);
  }
  if (!aliases.empty() && n.is_default()) {
    return Error("--alias: names are only resolved on user-defined networks");
  }
  NetworkAttachment a;
  a.network = n.name;
  a.aliases = aliases;
  for (a.slot = 0; std::any_of(r.networks.begin(), r.networks.end(),
                               [&](const NetworkAttachment& o) { return o.slot == a.slot; });
       ++a.slot) {
  }
  if (a.slot > 9) return Error("container " + ref + " is on ten networks already");
  std::optional<Ipv4> want;
  if (!ip.empty()) {
    want = Ipv4::parse(ip);
    if (!want) return Error("--ip " + ip + ": not an IPv4 address");
  }
  ASSIGN_OR_RETURN(Ipv4 got, networks_.allocate(n, r.id, want));
  a.ip = got.str();
  auto updated = store_.update(r.id, [&](ContainerRecord& c) { c.networks.push_back(a); });
  if (!updated) {
    networks_.release(n.name, r.id);
    return std::move(updated.error());
  }
  if (is_running(*updated)) {
    auto wired = [&]() -> Result<void> {
      ASSIGN_OR_RETURN(
          base::Fd ns,
          base::sys::open("/proc/" + std::to_string(updated->pid) + "/ns/net", O_RDONLY));
      return attach_network(paths_, *updated, updated->networks.size() - 1, ns.get());
    }();
    if (!wired) {
      detach_network(paths_, *updated, updated->networks.size() - 1);
      (void)store_.update(r.id, [&](ContainerRecord& c) { c.networks.pop_back(); });
      networks_.release(n.name, r.id);
      return std::move(wired.error());
    }
    if (!n.is_default()) {
      TRY(networks_.set_live(n.name, r.id, true));
      sync_hosts(paths_, n.name);
    }
  }
  return rewrite_in_place(store_.dir_of(r.id) + "/hosts", hosts_of(paths_, *updated));
}

Result<void> Engine::network_disconnect(const std::string& net, const std::string& ref) {
  ASSIGN_OR_RETURN(NetworkConfig n, network(net));
  ASSIGN_OR_RETURN(ContainerRecord r, find(ref));
  auto it = std::find_if(r.networks.begin(), r.networks.end(),
                         [&](const NetworkAttachment& a) { return a.network == n.name; });
  if (it == r.networks.end()) return Error("container " + ref + " is not on network " + n.name);
  size_t index = static_cast<size_t>(it - r.networks.begin());
  if (is_running(r)) detach_network(paths_, r, index);
  ASSIGN_OR_RETURN(ContainerRecord after, store_.update(r.id, [&](ContainerRecord& c) {
    c.networks.erase(c.networks.begin() + static_cast<long>(index));
  }));
  networks_.release(n.name, r.id);
  if (!n.is_default()) sync_hosts(paths_, n.name);
  return rewrite_in_place(store_.dir_of(r.id) + "/hosts", hosts_of(paths_, after));
}

Result<void> Engine::plan_network(const RunOptions& run, const ImageConfig& image,
                                  ContainerRecord* rec, std::vector<NetworkConfig>* nets) {
  std::string mode = run.network;
  if (mode.empty()) mode = ::geteuid() == 0 ? "bridge" : "none";
  bool bridged = mode != "none" && mode != "host" && mode.rfind("container:", 0) != 0;
  auto only_bridged = [&](bool given, const char* flag) -> Result<void> {
    if (given && !bridged) {
      return Error(std::string(flag) + " needs a bridge network (not --network " + mode + ")");
    }
    return {};
  };
  TRY(only_bridged(!run.ip.empty(), "--ip"));
  TRY(only_bridged(!run.mac_address.empty(), "--mac-address"));
  TRY(only_bridged(!run.network_aliases.empty(), "--network-alias"));
  TRY(only_bridged(!run.publish.empty() || run.publish_all,
                   mode == "host" ? "-p (the container "
                                    "uses the host's ports as they are)"
                                  : "-p"));
  for (const auto& d : run.dns) TRY(validate_dns(d));
  for (const auto& h : run.add_hosts) TRY(parse_add_host(h));
  rec->extra_hosts = run.add_hosts;
  if (!bridged) return {};
  if (::geteuid() != 0) {
    return Error("--network " + mode + ": bridge networks need root")
        .hint("use --network none or host");
  }
  NetworkConfig n;
  if (mode == "bridge" || mode == kDefaultNetwork) {
    ASSIGN_OR_RETURN(n, default_network());
  } else {
    auto found = network(mode);
    if (!found) return std::move(found.error()).context("--network " + mode);
    n = std::move(*found);
  }
  if (!run.network_aliases.empty() && n.is_default()) {
    return Error("--network-alias: names are only resolved on user-defined networks")
        .hint("create one with `hull network create NAME`");
  }
  if (!run.mac_address.empty() && !netlink::parse_mac(run.mac_address)) {
    return Error("--mac-address " + run.mac_address + ": not a unicast MAC address");
  }
  std::optional<Ipv4> want;
  if (!run.ip.empty()) {
    want = Ipv4::parse(run.ip);
    if (!want) return Error("--ip " + run.ip + ": not an IPv4 address");
  }
  std::vector<PublishedPort> ports;
  for (const auto& p : run.publish) {
    ASSIGN_OR_RETURN(auto more, parse_publish(p));
    ports.insert(ports.end(), more.begin(), more.end());
  }
  if (run.publish_all) {
    ASSIGN_OR_RETURN(auto exposed, publish_exposed(image.exposed_ports));
    for (const auto& e : exposed) {
      bool given = std::any_of(ports.begin(), ports.end(), [&](const PublishedPort& p) {
        return p.proto == e.proto && p.container_port == e.container_port;
      });
      if (!given) ports.push_back(e);
    }
  }
  ASSIGN_OR_RETURN(Ipv4 ip, networks_.allocate(n, rec->id, want));
  rec->networks.push_back({n.name, ip.str(), run.mac_address, run.network_aliases, 0});
  if (auto booked = PortBook(paths_).book(&ports, rec->id, rec->name); !booked) {
    networks_.release(n.name, rec->id);
    rec->networks.clear();
    return std::move(booked.error());
  }
  rec->ports = std::move(ports);
  nets->push_back(std::move(n));
  return {};
}

Result<void> Engine::write_etc_files(const RunOptions& run, const ContainerRecord& rec) const {
  std::string dir = store_.dir_of(rec.id);
  std::string hostname = rec.run_options.value("hostname", "");
  bool host_network = run.network == "host";
  std::string host_resolv = base::sys::read_file("/etc/resolv.conf").value_or("");
  // The directory is new and nobody reads these yet: one create each, not a temporary
  // file and a rename (metadata operations are what a start pays for on this disk).
  TRY(base::sys::create_exclusive(dir + "/hostname", hostname + "\n", 0644));
  TRY(base::sys::create_exclusive(dir + "/resolv.conf",
                                  render_resolv(host_resolv, run.dns, host_network), 0644));
  std::string hosts =
      host_network ? base::sys::read_file("/etc/hosts").value_or("") : hosts_of(paths_, rec);
  return base::sys::create_exclusive(dir + "/hosts", hosts, 0644);
}

Result<nlohmann::json> Engine::network_inspect(const std::string& ref) const {
  ASSIGN_OR_RETURN(NetworkConfig n, network(ref));
  nlohmann::json containers = nlohmann::json::object();
  for (const auto& [rec, a] : network_members(n)) {
    containers[rec.id] = {{"Name", rec.name},
                          {"IPv4Address", a.ip + "/" + std::to_string(n.subnet.prefix)},
                          {"MacAddress", a.mac},
                          {"Aliases", a.aliases},
                          {"State", state_name(rec.state)}};
  }
  return nlohmann::json{
      {"Name", n.name},
      {"Id", n.id},
      {"Created", n.created},
      {"Driver", "bridge"},
      {"Internal", n.internal},
      {"IPAM", {{"Config", {{{"Subnet", n.subnet.str()}, {"Gateway", n.gateway.str()}}}}}},
      {"Options", {{"bridge", n.bridge}, {"mtu", n.mtu}}},
      {"Labels", n.labels},
      {"Containers", containers}};
}

Result<Engine::PruneReport> Engine::system_prune() {
  PruneReport out;
  for (const auto& r : list()) {
    if (r.monitor_alive) continue;
    network_cleanup(paths_, r);  // what a killed monitor left
    if (remove(r.id, false)) out.containers.push_back(r.name);
  }
  for (const auto& n : networks_.list()) out.addresses += release_stale(n);
  PortBook ports(paths_);
  for (const auto& [file, id] : ports.all()) {
    if (!base::sys::exists(store_.dir_of(id))) {
      ports.release_file(file);
      ++out.ports;
    }
  }
  ASSIGN_OR_RETURN(out.networks, network_prune());
  return out;
}

}  // namespace hull::engine
