#include "engine/network_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/sys.h"
#include "engine/container_store.h"

namespace hull::engine {

using base::Error;
using base::Fd;
using base::Result;

namespace {

// Where a free subnet is looked for, in order: docker's default pools (172.17-31/16, then
// 192.168.0.0/16 in /20s), so hull's networks look like docker's.
std::vector<Cidr> candidate_pool() {
  std::vector<Cidr> out;
  for (uint32_t b = 17; b <= 31; ++b) out.push_back({Ipv4{(172u << 24) | (b << 16)}, 16});
  for (uint32_t c = 0; c < 256; c += 16) {
    out.push_back({Ipv4{(192u << 24) | (168u << 16) | (c << 8)}, 20});
  }
  return out;
}

nlohmann::json to_json(const NetworkConfig& n) {
  return {{"name", n.name},           {"id", n.id},
          {"driver", "bridge"},       {"bridge", n.bridge},
          {"subnet", n.subnet.str()}, {"gateway", n.gateway.str()},
          {"internal", n.internal},   {"mtu", n.mtu},
          {"created", n.created},     {"labels", n.labels}};
}

Result<NetworkConfig> from_json(const nlohmann::json& j, const std::string& where) {
  try {
    NetworkConfig n;
    n.name = j.at("name").get<std::string>();
    n.id = j.at("id").get<std::string>();
    n.bridge = j.at("bridge").get<std::string>();
    ASSIGN_OR_RETURN(n.subnet, Cidr::parse(j.at("subnet").get<std::string>()));
    auto gw = Ipv4::parse(j.at("gateway").get<std::string>());
    if (!gw) return Error(where + ": gateway: not an IPv4 address");
    n.gateway = *gw;
    n.internal = j.value("internal", false);
    n.mtu = j.value("mtu", 0);
    n.created = j.value("created", "");
    n.labels = j.value("labels", std::map<std::string, std::string>{});
    return n;
  } catch (const nlohmann::json::exception& e) {
    return Error(where + ": " + e.what());
  }
}

}  // namespace

Result<void> validate_network_name(const std::string& name) {
  if (!docker_name(name, 1, 64)) {
    return Error("invalid network name \"" + name + "\"")
        .hint("use letters, digits, '_', '.' and '-', starting with a letter or digit");
  }
  return {};
}

Result<Cidr> choose_subnet(const SubnetChoice& c, const std::string& wanted) {
  auto clash = [&](const Cidr& s) -> const std::pair<Cidr, std::string>* {
    for (const auto& t : c.taken) {
      if (t.first.overlaps(s)) return &t;
    }
    return nullptr;
  };
  if (!wanted.empty()) {
    ASSIGN_OR_RETURN(Cidr s, Cidr::parse(wanted));
    if (s.prefix > 30) {
      return Error("--subnet " + wanted +
                   ": too small (a /30 at most, for a gateway and one "
                   "container)");
    }
    if (const auto* t = clash(s)) {
      return Error("--subnet " + wanted + " overlaps " + t->first.str() + " (" + t->second + ")")
          .hint("choose a subnet that no route or network of this host uses");
    }
    return s;
  }
  for (const Cidr& s : candidate_pool()) {
    if (!clash(s)) return s;
  }
  return Error("no free subnet left in 172.17.0.0-172.31.255.255 or 192.168.0.0/16")
      .hint("give one with --subnet");
}

Result<Fd> NetworkStore::lock() const {
  TRY(base::sys::mkdir_all(dir_, 0700));
  return base::sys::lock_file(dir_ + "/.lock");
}

Result<void> NetworkStore::save(const NetworkConfig& n) const {
  TRY(base::sys::mkdir_all(net_dir(n.name) + "/ips", 0700));
  TRY(base::sys::mkdir_all(net_dir(n.name) + "/live", 0700));
  return base::sys::write_file_atomic(net_dir(n.name) + "/network.json", to_json(n).dump(2), 0600);
}

Result<NetworkConfig> NetworkStore::load(const std::string& name) const {
  std::string path = net_dir(name) + "/network.json";
  auto text = base::sys::read_file(path);
  if (!text) {
    if (text.error().code() == ENOENT) return Error("no such network: " + name);
    return std::move(text.error());
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded()) return Error(path + ": not valid JSON");
  return from_json(j, path);
}

std::vector<NetworkConfig> NetworkStore::list() const {
  std::vector<NetworkConfig> out;
  for (const auto& name : base::sys::list_dir(dir_)) {
    if (name[0] == '.') continue;
    if (auto n = load(name)) out.push_back(std::move(*n));
  }
  std::sort(out.begin(), out.end(),
            [](const NetworkConfig& a, const NetworkConfig& b) { return a.name < b.name; });
  return out;
}

Result<NetworkConfig> NetworkStore::find(const std::string& ref) const {
  if (validate_network_name(ref)) {
    if (auto n = load(ref)) return n;
  }
  std::optional<NetworkConfig> hit;
  for (auto& n : list()) {
    if (ref.size() >= 3 && n.id.rfind(ref, 0) == 0) {
      if (hit) return Error("network id prefix " + ref + " is ambiguous");
      hit = std::move(n);
    }
  }
  if (!hit) {
    return Error("no such network: " + ref).hint("`hull network ls` lists the networks");
  }
  return std::move(*hit);
}

Result<void> NetworkStore::erase(const std::string& name) const {
  return base::sys::remove_all(net_dir(name));
}

Result<Ipv4> NetworkStore::allocate(const NetworkConfig& n, const std::string& id,
                                    std::optional<Ipv4> want) const {
  std::string ips = net_dir(n.name) + "/ips/";
  auto claim = [&](Ipv4 a) { return base::sys::create_exclusive(ips + a.str(), id, 0600); };
  if (want) {
    if (!n.subnet.contains(*want) || *want == n.subnet.base || *want == n.subnet.broadcast()) {
      return Error("--ip " + want->str() + " is not a host address of network " + n.name + " (" +
                   n.subnet.str() + ")");
    }
    if (*want == n.gateway) {
      return Error("--ip " + want->str() + " is the gateway of network " + n.name);
    }
    auto r = claim(*want);
    if (!r && r.error().code() == EEXIST) {
      std::string holder = base::sys::read_file(ips + want->str()).value_or("?");
      return Error("--ip " + want->str() + " is already in use on network " + n.name +
                   " by container " + holder.substr(0, 12));
    }
    if (!r) return std::move(r.error());
    return *want;
  }
  // The lowest free address: files are few (one per container), so a scan of the
  // directory and then O_EXCL (which settles a race with another start) is cheap.
  std::vector<std::string> used = base::sys::list_dir(ips);
  std::sort(used.begin(), used.end());
  for (uint64_t i = 1; i + 1 < n.subnet.size(); ++i) {
    Ipv4 a = n.subnet.at(static_cast<uint32_t>(i));
    if (a == n.gateway || std::binary_search(used.begin(), used.end(), a.str())) continue;
    auto r = claim(a);
    if (r) return a;
    if (r.error().code() != EEXIST) return std::move(r.error());
  }
  return Error("network " + n.name + " (" + n.subnet.str() + ") has no free address left");
}

void NetworkStore::release(const std::string& network, const std::string& id) const {
  std::string ips = net_dir(network) + "/ips/";
  for (const auto& name : base::sys::list_dir(ips)) {
    if (base::sys::read_file(ips + name).value_or("") == id) ::unlink((ips + name).c_str());
  }
  ::unlink((net_dir(network) + "/live/" + id).c_str());
}

std::map<Ipv4, std::string> NetworkStore::holders(const std::string& network) const {
  std::map<Ipv4, std::string> out;
  std::string ips = net_dir(network) + "/ips/";
  for (const auto& name : base::sys::list_dir(ips)) {
    auto a = Ipv4::parse(name);
    auto id = base::sys::read_file(ips + name);
    if (a && id) out[*a] = *id;
  }
  return out;
}

Result<void> NetworkStore::set_live(const std::string& network, const std::string& id,
                                    bool live) const {
  std::string path = net_dir(network) + "/live/" + id;
  if (!live) {
    ::unlink(path.c_str());
    return {};
  }
  auto r = base::sys::create_exclusive(path, "", 0600);
  if (!r && r.error().code() != EEXIST) return r;
  return {};
}

std::vector<std::string> NetworkStore::live(const std::string& network) const {
  return base::sys::list_dir(net_dir(network) + "/live");
}

Result<Fd> NetworkStore::lock_members(const std::string& network) const {
  return base::sys::lock_file(net_dir(network) + "/members.lock");
}

}  // namespace hull::engine
