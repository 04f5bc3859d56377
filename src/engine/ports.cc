#include "engine/ports.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "base/fd.h"
#include "base/sys.h"
#include "engine/spec_flags.h"

namespace hull::engine {

using base::Error;
using base::Result;

namespace {

struct Range {
  uint16_t first = 0, last = 0;  // 0,0: not given
  size_t size() const { return first == 0 ? 0 : size_t{last} - first + 1; }
};

Result<Range> parse_range(std::string_view text, const std::string& value, bool optional) {
  auto bad = [&](const std::string& why) { return Error("-p " + value + ": " + why); };
  if (text.empty()) {
    if (optional) return Range{};
    return bad("the container port is missing");
  }
  auto number = [&](std::string_view t) -> std::optional<uint16_t> {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc() || p != t.data() + t.size() || v == 0 || v > 65535) return std::nullopt;
    return static_cast<uint16_t>(v);
  };
  size_t dash = text.find('-');
  auto first = number(text.substr(0, dash));
  auto last = dash == std::string_view::npos ? first : number(text.substr(dash + 1));
  if (!first || !last) return bad("invalid port \"" + std::string(text) + "\" (1 to 65535)");
  if (*last < *first) return bad("invalid port range \"" + std::string(text) + "\"");
  return Range{*first, *last};
}

}  // namespace

Result<std::vector<PublishedPort>> parse_publish(const std::string& value) {
  std::string_view rest = value;
  std::string proto = "tcp";
  if (size_t slash = rest.rfind('/'); slash != std::string_view::npos) {
    proto = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (proto != "tcp" && proto != "udp") {
      return Error("-p " + value + ": unknown protocol \"" + proto + "\" (tcp or udp)");
    }
  }
  // From the right: container port, host port, host address.
  std::vector<std::string> parts = spec_detail::split(std::string(rest), ':');
  if (parts.size() > 3) {
    return Error("-p " + value + ": expected [HOSTIP:][HOSTPORT:]CONTAINERPORT[/PROTO]");
  }
  Ipv4 host_ip;
  if (parts.size() == 3 && !parts[0].empty()) {
    auto a = Ipv4::parse(parts[0]);
    if (!a)
      return Error("-p " + value + ": invalid host address \"" + std::string(parts[0]) + "\"");
    host_ip = *a;
  }
  ASSIGN_OR_RETURN(Range inside, parse_range(parts.back(), value, false));
  Range outside;
  if (parts.size() >= 2) {
    ASSIGN_OR_RETURN(outside, parse_range(parts[parts.size() - 2], value, true));
  }
  if (outside.size() != 0 && outside.size() != inside.size() && outside.size() != 1) {
    return Error("-p " + value + ": the host and container port ranges differ in size");
  }
  if (outside.size() == 1 && inside.size() > 1) {
    return Error("-p " + value + ": one host port for a range of container ports");
  }
  std::vector<PublishedPort> out;
  for (size_t i = 0; i < inside.size(); ++i) {
    PublishedPort p;
    p.proto = proto;
    p.host_ip = host_ip;
    p.container_port = static_cast<uint16_t>(inside.first + i);
    p.host_port = outside.size() == 0 ? 0 : static_cast<uint16_t>(outside.first + i);
    out.push_back(p);
  }
  return out;
}

Result<std::vector<PublishedPort>> publish_exposed(const std::vector<std::string>& exposed) {
  std::vector<PublishedPort> out;
  for (const auto& e : exposed) {
    ASSIGN_OR_RETURN(auto ports, parse_publish(e));
    out.insert(out.end(), ports.begin(), ports.end());
  }
  return out;
}

std::string port_str(const PublishedPort& p) {
  return p.host_ip.str() + ":" + std::to_string(p.host_port) + "->" +
         std::to_string(p.container_port) + "/" + p.proto;
}

nlohmann::json ports_json(const std::vector<PublishedPort>& ports) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : ports) {
    out.push_back({{"proto", p.proto},
                   {"host_ip", p.host_ip.str()},
                   {"host_port", p.host_port},
                   {"container_port", p.container_port}});
  }
  return out;
}

std::vector<PublishedPort> ports_from_json(const nlohmann::json& j) {
  std::vector<PublishedPort> out;
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    PublishedPort p;
    p.proto = e.value("proto", "tcp");
    p.host_ip = Ipv4::parse(e.value("host_ip", "0.0.0.0")).value_or(Ipv4{});
    p.host_port = e.value("host_port", uint16_t{0});
    p.container_port = e.value("container_port", uint16_t{0});
    out.push_back(p);
  }
  return out;
}

namespace {

// A socket bound to the host port: EADDRINUSE when a process of the host has it (the
// published port would hide it). Port 0 asks the kernel for a free one.
Result<uint16_t> probe_host_port(const PublishedPort& p) {
  base::Fd s(::socket(AF_INET, (p.proto == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  if (!s) return Error("socket", errno);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(p.host_port);
  a.sin_addr.s_addr = p.host_ip.network_order();
  if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    int err = errno;
    if (err == EADDRINUSE) {
      return Error("host port " + std::to_string(p.host_port) + "/" + p.proto +
                   " is in use by a process of this host");
    }
    if (err == EADDRNOTAVAIL) {
      return Error("host address " + p.host_ip.str() + " is not an address of this host");
    }
    return Error("bind " + p.host_ip.str() + ":" + std::to_string(p.host_port), err);
  }
  socklen_t len = sizeof a;
  if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return Error("getsockname", errno);
  }
  return ntohs(a.sin_port);
}

}  // namespace

std::string PortBook::path_of(const PublishedPort& p) const {
  return dir_ + "/" + p.proto + "-" + std::to_string(p.host_port);
}

Result<void> PortBook::book(std::vector<PublishedPort>* ports, const std::string& id,
                            const std::string& name) const {
  TRY(base::sys::mkdir_all(dir_, 0700));
  std::vector<PublishedPort> booked;
  auto undo = [&] { release(booked, id); };
  for (auto& p : *ports) {
    bool chosen = p.host_port == 0;
    for (int attempt = 0;; ++attempt) {
      auto port = probe_host_port(p);
      if (!port) {
        undo();
        return std::move(port.error()).context("-p " + port_str(p));
      }
      PublishedPort want = p;
      want.host_port = *port;
      auto r = base::sys::create_exclusive(path_of(want), id + "\n" + name + "\n", 0600);
      if (r) {
        p = want;
        booked.push_back(want);
        break;
      }
      if (r.error().code() != EEXIST || (chosen && attempt < 20)) {
        if (r.error().code() != EEXIST) {
          undo();
          return std::move(r.error());
        }
        continue;  // a port the kernel chose that another container has booked: again
      }
      std::string holder = base::sys::read_file(path_of(want)).value_or("?\n?\n");
      std::string holder_id = holder.substr(0, holder.find('\n'));
      std::string holder_name = holder.substr(holder.find('\n') + 1);
      if (!holder_name.empty() && holder_name.back() == '\n') holder_name.pop_back();
      undo();
      return Error("host port " + std::to_string(want.host_port) + "/" + want.proto +
                   " is already published by container " + holder_name + " (" +
                   holder_id.substr(0, 12) + ")")
          .context("-p " + port_str(want))
          .hint("publish another host port, or remove that container");
    }
  }
  return {};
}

void PortBook::release(const std::vector<PublishedPort>& ports, const std::string& id) const {
  for (const auto& p : ports) {
    std::string path = path_of(p);
    std::string holder = base::sys::read_file(path).value_or("");
    if (holder.substr(0, holder.find('\n')) == id) ::unlink(path.c_str());
  }
}

std::vector<std::pair<std::string, std::string>> PortBook::all() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& name : base::sys::list_dir(dir_)) {
    std::string holder = base::sys::read_file(dir_ + "/" + name).value_or("");
    out.emplace_back(name, holder.substr(0, holder.find('\n')));
  }
  return out;
}

void PortBook::release_file(const std::string& name) const {
  ::unlink((dir_ + "/" + name).c_str());
}

}  // namespace hull::engine
