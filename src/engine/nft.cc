#include "engine/nft.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "engine/nft_lib.h"

namespace hull::engine {

namespace {

// Names go into nft's command language unquoted (table names cannot be quoted) or between
// double quotes (interface names): what is allowed here can never end a token early.
base::Result<void> check_table(const std::string& t) {
  bool ok = !t.empty() && t.size() <= 64 && t[0] >= 'a' && t[0] <= 'z' &&
            std::all_of(t.begin(), t.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            });
  if (!ok) return base::Error("nft table name \"" + t + "\": not [a-z][a-z0-9_]*");
  return {};
}

base::Result<void> check_ifname(const std::string& n) {
  bool ok = !n.empty() && n.size() <= 15 && std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  if (!ok) return base::Error("interface name \"" + n + "\": not 1 to 15 of [A-Za-z0-9_.-]");
  return {};
}

base::Result<void> check_port(const PortMapping& p) {
  if (p.proto != "tcp" && p.proto != "udp") {
    return base::Error("publish " + nft_plan::host_port_name(p) + ": protocol \"" + p.proto +
                       "\" is not tcp or udp");
  }
  if (p.host_port == 0 || p.container_port == 0 || p.container_ip.is_zero()) {
    return base::Error("publish " + nft_plan::host_port_name(p) +
                       ": port 0 or no container address");
  }
  return {};
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Two mappings want the same host port: same protocol and port, and the same address or
// either on every address.
bool clash(const PortMapping& a, const PortMapping& b) {
  return a.proto == b.proto && a.host_port == b.host_port &&
         (a.host_ip == b.host_ip || a.host_ip.is_zero() || b.host_ip.is_zero());
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// `verb element ip T ports { k : v, ... }` and the same for ports_ip; keys only for delete.
std::string port_elements(const std::string& verb, const std::string& table,
                          const std::vector<PortMapping>& ports) {
  std::string any, one;
  for (const auto& p : ports) {
    std::string key = p.proto + " . " + std::to_string(p.host_port);
    if (verb != "delete") {
      key += " : " + p.container_ip.str() + " . " + std::to_string(p.container_port);
    }
    std::string& list = p.host_ip.is_zero() ? any : one;
    list += (list.empty() ? "" : ", ") + (p.host_ip.is_zero() ? "" : p.host_ip.str() + " . ") + key;
  }
  std::string out;
  if (!any.empty()) out += verb + " element ip " + table + " ports { " + any + " }\n";
  if (!one.empty()) out += verb + " element ip " + table + " ports_ip { " + one + " }\n";
  return out;
}

// The table's declarations and rules. The rules are flushed and added again each time, in
// the same transaction (see nft.h).
std::string skeleton(const std::string& t) {
  const std::string at = " ip " + t + " ";
  const std::string to_world = "ip saddr @subnets_nat oifname != @bridges_nat masquerade";
  const std::string hairpin =
      "ct status dnat ip saddr @subnets_nat ip daddr @subnets_nat masquerade";
  const std::string from_lo = "ct status dnat ip saddr 127.0.0.0/8 masquerade";
  const std::string isolate = " @bridges_internal iifname . oifname != @internal_self drop";
  // Between two networks: nothing, as docker's isolation chains, except what a published
  // port let in (its DNAT made it the host's traffic).
  const std::string between =
      "iifname @bridges_nat oifname @bridges_nat iifname . oifname != @nat_self drop";
  std::string s = "add table ip " + t + "\n";
  s += "add set" + at + "bridges_nat { type ifname; }\n";
  s += "add set" + at + "subnets_nat { type ipv4_addr; flags interval; }\n";
  s += "add set" + at + "bridges_internal { type ifname; }\n";
  s += "add set" + at + "internal_self { type ifname . ifname; }\n";
  s += "add set" + at + "nat_self { type ifname . ifname; }\n";
  s += "add map" + at + "ports { type inet_proto . inet_service : ipv4_addr . inet_service; }\n";
  s += "add map" + at +
       "ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }\n";
  s += "add chain" + at + "publish\n";
  s += "add chain" + at + "prerouting { type nat hook prerouting priority dstnat; }\n";
  s += "add chain" + at + "output { type nat hook output priority -100; }\n";
  s += "add chain" + at + "postrouting { type nat hook postrouting priority srcnat; }\n";
  s += "add chain" + at + "forward { type filter hook forward priority filter; }\n";
  for (const char* chain : {"publish", "prerouting", "output", "postrouting", "forward"}) {
    s += "flush chain" + at + chain + "\n";
  }
  s += "add rule" + at + "publish dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n";
  s += "add rule" + at + "publish dnat ip to meta l4proto . th dport map @ports\n";
  s += "add rule" + at + "prerouting fib daddr type local jump publish\n";
  s += "add rule" + at + "output fib daddr type local jump publish\n";
  s += "add rule" + at + "postrouting " + to_world + "\n";
  s += "add rule" + at + "postrouting " + hairpin + "\n";
  s += "add rule" + at + "postrouting " + from_lo + "\n";
  s += "add rule" + at + "forward iifname" + isolate + "\n";
  s += "add rule" + at + "forward oifname" + isolate + "\n";
  s += "add rule" + at + "forward ct status dnat accept\n";
  s += "add rule" + at + "forward " + between + "\n";
  return s;
}

// Parsing helpers for nft's JSON elements; they throw (nlohmann) on an unexpected shape.
using Json = nlohmann::json;

std::string proto_name(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  int n = j.get<int>();
  return n == 6 ? "tcp" : n == 17 ? "udp" : std::to_string(n);
}

Ipv4 address(const Json& j) {
  auto a = Ipv4::parse(j.get<std::string>());
  if (!a) throw std::runtime_error("not an address: " + j.dump());
  return *a;
}

Cidr subnet(const Json& j) {
  if (j.is_string()) return Cidr{address(j), 32};
  const Json& p = j.at("prefix");
  return Cidr{address(p.at("addr")), p.at("len").get<int>()};
}

// One element of ports ([tcp . 80 : addr . port]) or ports_ip ([addr . tcp . 80 : ...]).
PortMapping port_element(const Json& e, bool one_address) {
  const Json& key = e.at(0).at("concat");
  const Json& to = e.at(1).at("concat");
  PortMapping p;
  size_t k = 0;
  if (one_address) p.host_ip = address(key.at(k++));
  p.proto = proto_name(key.at(k++));
  p.host_port = key.at(k).get<uint16_t>();
  p.container_ip = address(to.at(0));
  p.container_port = to.at(1).get<uint16_t>();
  return p;
}

void parse_object(const Json& obj, NftState& s) {
  if (obj.contains("table")) s.exists = true;
  const char* kind = obj.contains("set") ? "set" : obj.contains("map") ? "map" : nullptr;
  if (!kind) return;
  const Json& set = obj.at(kind);
  std::string name = set.at("name").get<std::string>();
  if (!set.contains("elem")) return;
  for (const Json& e : set.at("elem")) {
    if (name == "bridges_nat") s.bridges_nat.push_back(e.get<std::string>());
    if (name == "bridges_internal") s.bridges_internal.push_back(e.get<std::string>());
    if (name == "subnets_nat") s.subnets_nat.push_back(subnet(e));
    if (name == "internal_self") s.internal_self.push_back(e.at("concat").at(0).get<std::string>());
    if (name == "nat_self") s.nat_self.push_back(e.at("concat").at(0).get<std::string>());
    if (name == "ports") s.ports.push_back(port_element(e, false));
    if (name == "ports_ip") s.ports.push_back(port_element(e, true));
  }
}

}  // namespace

namespace nft_plan {

std::string host_port_name(const PortMapping& p) {
  return p.host_ip.str() + ":" + std::to_string(p.host_port) + "/" + p.proto;
}

base::Result<std::string> add_network(const std::string& table, const NatNetwork& net) {
  TRY(check_table(table));
  TRY(check_ifname(net.bridge));
  const std::string at = " ip " + table + " ";
  std::string s = skeleton(table);
  if (net.internal) {
    s += "add element" + at + "bridges_internal { " + quoted(net.bridge) + " }\n";
    s += "add element" + at + "internal_self { " + quoted(net.bridge) + " . " + quoted(net.bridge) +
         " }\n";
  } else {
    s += "add element" + at + "bridges_nat { " + quoted(net.bridge) + " }\n";
    s += "add element" + at + "subnets_nat { " + net.subnet.str() + " }\n";
    s += "add element" + at + "nat_self { " + quoted(net.bridge) + " . " + quoted(net.bridge) +
         " }\n";
  }
  return s;
}

base::Result<std::string> remove_network(const std::string& table, const NatNetwork& net,
                                         const NftState& state) {
  TRY(check_table(table));
  TRY(check_ifname(net.bridge));
  if (!state.exists) return std::string();
  // Whichever set holds the bridge: the caller's `internal` is not trusted to have stayed
  // the same since add_network.
  size_t left = state.bridges_nat.size() + state.bridges_internal.size() -
                contains(state.bridges_nat, net.bridge) -
                contains(state.bridges_internal, net.bridge);
  if (left == 0) return "delete table ip " + table + "\n";
  const std::string at = " ip " + table + " ";
  const std::string br = quoted(net.bridge);
  std::string s;
  if (contains(state.bridges_nat, net.bridge)) {
    s += "delete element" + at + "bridges_nat { " + br + " }\n";
  }
  if (std::find(state.subnets_nat.begin(), state.subnets_nat.end(), net.subnet) !=
      state.subnets_nat.end()) {
    s += "delete element" + at + "subnets_nat { " + net.subnet.str() + " }\n";
  }
  if (contains(state.bridges_internal, net.bridge)) {
    s += "delete element" + at + "bridges_internal { " + br + " }\n";
  }
  if (contains(state.internal_self, net.bridge)) {
    s += "delete element" + at + "internal_self { " + br + " . " + br + " }\n";
  }
  if (contains(state.nat_self, net.bridge)) {
    s += "delete element" + at + "nat_self { " + br + " . " + br + " }\n";
  }
  // Ports left behind by a container that died with the network (a crash): an address
  // handed out again later must not receive them.
  std::vector<PortMapping> stale;
  for (const auto& p : state.ports) {
    if (net.subnet.contains(p.container_ip)) stale.push_back(p);
  }
  return s + port_elements("delete", table, stale);
}

base::Result<std::string> add_ports(const std::string& table, const std::vector<PortMapping>& ports,
                                    const NftState& state) {
  TRY(check_table(table));
  if (!state.exists) {
    return base::Error("publish ports: no nftables table ip " + table + " (no network added)");
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    const PortMapping& p = ports[i];
    TRY(check_port(p));
    for (size_t j = 0; j < i; ++j) {
      if (clash(p, ports[j])) {
        return base::Error("publish " + host_port_name(p) + ": port published twice (also as " +
                           host_port_name(ports[j]) + ")");
      }
    }
    for (const auto& old : state.ports) {
      if (clash(p, old)) {
        return base::Error("publish " + host_port_name(p) + ": port is already published (" +
                           host_port_name(old) + " to " + old.container_ip.str() + ":" +
                           std::to_string(old.container_port) + ")");
      }
    }
  }
  return port_elements("create", table, ports);
}

base::Result<std::string> remove_ports(const std::string& table,
                                       const std::vector<PortMapping>& ports,
                                       const NftState& state) {
  TRY(check_table(table));
  std::vector<PortMapping> present;
  for (const auto& p : ports) {
    TRY(check_port(p));
    // Exactly this mapping: the same host port sent elsewhere now belongs to someone else.
    bool there = std::find(state.ports.begin(), state.ports.end(), p) != state.ports.end();
    bool listed = std::find(present.begin(), present.end(), p) != present.end();
    if (there && !listed) present.push_back(p);
  }
  return port_elements("delete", table, present);
}

base::Result<NftState> parse_state(const std::string& json) {
  NftState s;
  try {
    Json j = Json::parse(json);
    for (const auto& obj : j.at("nftables")) parse_object(obj, s);
  } catch (const std::exception& e) {
    return base::Error(std::string("nft json listing: ") + e.what());
  }
  return s;
}

}  // namespace nft_plan

base::Result<NftState> Nft::read() {
  TRY(check_table(table_));
  auto out = nft_run("list table ip " + table_, true);
  if (!out) {
    // nft says no more than ENOENT's text for a table that is not there (with "; did you
    // mean …" when one of a similar name is).
    if (out.error().what().starts_with("nft: no such file or directory")) return NftState{};
    return std::move(out.error()).context("table ip " + table_ + ": list");
  }
  return nft_plan::parse_state(*out);
}

base::Result<bool> Nft::table_exists() {
  ASSIGN_OR_RETURN(NftState s, read());
  return s.exists;
}

base::Result<void> Nft::add_network(const NatNetwork& net) {
  ASSIGN_OR_RETURN(std::string cmds, nft_plan::add_network(table_, net));
  TRY_CTX(nft_run(cmds, false), "table ip " + table_ + ": add network " + net.bridge);
  return {};
}

base::Result<void> Nft::remove_network(const NatNetwork& net) {
  ASSIGN_OR_RETURN(NftState state, read());
  ASSIGN_OR_RETURN(std::string cmds, nft_plan::remove_network(table_, net, state));
  if (!cmds.empty())
    TRY_CTX(nft_run(cmds, false), "table ip " + table_ + ": remove network " + net.bridge);
  return {};
}

base::Result<void> Nft::add_ports(const std::vector<PortMapping>& ports) {
  if (ports.empty()) return {};
  ASSIGN_OR_RETURN(NftState state, read());
  ASSIGN_OR_RETURN(std::string cmds, nft_plan::add_ports(table_, ports, state));
  auto done = nft_run(cmds, false);
  if (!done) {
    // Lost a race for one of the ports: name it, as when it was there before.
    auto again = read();
    if (again) {
      auto named = nft_plan::add_ports(table_, ports, *again);
      if (!named) return std::move(named.error());
    }
    return std::move(done.error()).context("table ip " + table_ + ": publish ports");
  }
  return {};
}

base::Result<void> Nft::remove_ports(const std::vector<PortMapping>& ports) {
  // A second try covers another process deleting one of the same elements between our
  // read and our delete (two cleanups of one container).
  for (int attempt = 0;; ++attempt) {
    ASSIGN_OR_RETURN(NftState state, read());
    ASSIGN_OR_RETURN(std::string cmds, nft_plan::remove_ports(table_, ports, state));
    if (cmds.empty()) return {};
    auto done = nft_run(cmds, false);
    if (done) return {};
    if (attempt == 1)
      return std::move(done.error()).context("table ip " + table_ + ": unpublish ports");
  }
}

}  // namespace hull::engine
