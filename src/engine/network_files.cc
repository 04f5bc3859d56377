#include "engine/network_files.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "base/fd.h"
#include "base/sys.h"

namespace hull::engine {

using base::Error;
using base::Result;

namespace {

void put(std::string* out, const HostsLine& l) {
  if (l.names.empty()) return;
  *out += l.ip;
  for (const auto& n : l.names) *out += "\t" + n;
  *out += "\n";
}

bool loopback(const std::string& ip) {
  return ip.rfind("127.", 0) == 0 || ip == "::1" || ip.rfind("0:0:0:0:0:0:0:1", 0) == 0;
}

bool valid_ip(const std::string& ip) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, ip.c_str(), buf) == 1 || ::inet_pton(AF_INET6, ip.c_str(), buf) == 1;
}

}  // namespace

std::string render_hosts(const std::vector<HostsLine>& own, const std::vector<HostsLine>& extra,
                         const std::vector<HostsLine>& peers) {
  std::string out =
      "127.0.0.1\tlocalhost\n"
      "::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& l : own) put(&out, l);
  for (const auto& l : extra) put(&out, l);
  for (const auto& l : peers) put(&out, l);
  return out;
}

std::string render_resolv(const std::string& host_resolv, const std::vector<std::string>& dns,
                          bool host_network) {
  if (host_network) return host_resolv;
  std::string out;
  std::vector<std::string> servers;
  std::istringstream in(host_resolv);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    words >> key >> value;
    if (key == "nameserver") {
      if (!loopback(value)) servers.push_back(value);
    } else if (key == "search" || key == "domain" || key == "options") {
      out += line + "\n";
    }
  }
  if (!dns.empty()) servers = dns;
  // As docker: with only a local resolver on the host, the container gets public ones.
  if (servers.empty()) servers = {"8.8.8.8", "8.8.4.4"};
  for (const auto& s : servers) out += "nameserver " + s + "\n";
  return out;
}

Result<HostsLine> parse_add_host(const std::string& value) {
  size_t colon = value.find(':');
  std::string name = value.substr(0, colon);
  std::string ip = colon == std::string::npos ? "" : value.substr(colon + 1);
  if (name.empty() || ip.empty()) {
    return Error("--add-host " + value + ": expected NAME:IP");
  }
  if (!valid_ip(ip)) return Error("--add-host " + value + ": \"" + ip + "\" is not an IP address");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return Error("--add-host " + value + ": \"" + name + "\" is not a host name");
    }
  }
  return HostsLine{ip, {name}};
}

Result<void> validate_dns(const std::string& value) {
  if (!valid_ip(value)) return Error("--dns " + value + ": not an IP address");
  return {};
}

Result<void> rewrite_in_place(const std::string& path, const std::string& content) {
  ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(path, O_WRONLY | O_CREAT, 0644));
  if (::pwrite(fd.get(), content.data(), content.size(), 0) !=
      static_cast<ssize_t>(content.size())) {
    return Error("write " + path, errno);
  }
  if (::ftruncate(fd.get(), static_cast<off_t>(content.size())) != 0) {
    return Error("truncate " + path, errno);
  }
  return {};
}

}  // namespace hull::engine
