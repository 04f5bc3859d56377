// The files a container's name resolution reads: /etc/hosts, /etc/hostname and
// /etc/resolv.conf, kept in the container's directory and bind-mounted over the image's.
// On user-defined networks, containers find each other by name through /etc/hosts: each
// member's file lists the other members, and is rewritten in place (the bind mount holds
// the inode) whenever a member comes or goes. docs/networks.md says why this and not a
// DNS server.
#pragma once

#include <string>
#include <vector>

#include "base/error.h"
#include "engine/ipv4.h"

namespace hull::engine {

struct HostsLine {
  std::string ip;  // text: --add-host may name any address
  std::vector<std::string> names;
};

// /etc/hosts: localhost, the container's own addresses with its hostname and name, the
// --add-host lines, then its peers on user-defined networks.
std::string render_hosts(const std::vector<HostsLine>& own, const std::vector<HostsLine>& extra,
                         const std::vector<HostsLine>& peers);
// /etc/resolv.conf from the host's: nameservers on loopback (a local resolver the
// container cannot reach) are dropped, and docker's public fallback used if none is left.
// dns (--dns) replaces the nameservers. host_network: the host's file as it is.
std::string render_resolv(const std::string& host_resolv, const std::vector<std::string>& dns,
                          bool host_network);
// --add-host NAME:IP; the error names the flag.
base::Result<HostsLine> parse_add_host(const std::string& value);
// --dns IP.
base::Result<void> validate_dns(const std::string& value);

// Replaces the file's bytes without replacing the file (a bind mount of it would keep
// showing the old inode): one write from offset 0, then the length cut.
base::Result<void> rewrite_in_place(const std::string& path, const std::string& content);

}  // namespace hull::engine
