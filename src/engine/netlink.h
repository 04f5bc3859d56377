// Links, addresses and routes for bridge networks, set up over rtnetlink in-process (libmnl
// builds and parses the messages): the bridge, a veth pair per container with its inner end
// named eth0 inside the container's namespace, and the container's address and default route.
// One request per step, each acknowledged, so a container start pays no process spawns.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "engine/ipv4.h"

struct nlmsghdr;

namespace hull::engine::netlink {

// A route of the main IPv4 table, for overlap checks. The default route is among them, as
// 0.0.0.0/0; dev is "" for a route without a single device (blackhole, multipath).
struct Route {
  Cidr dst;
  std::string dev;
};

// A NETLINK_ROUTE socket. Errors name the call and the object, and carry the kernel's own
// explanation (extended ack) as the hint when it gives one.
class Socket {
 public:
  // In the caller's network namespace.
  static base::Result<Socket> open();
  // In the network namespace of netns_fd (an fd of /proc/PID/ns/net or an nsfs fd): setns
  // there, open the socket, setns back; a socket stays in the namespace it was made in.
  // Only the calling thread moves, and only for the call.
  static base::Result<Socket> open_in(int netns_fd);

  Socket(Socket&&) = default;
  Socket& operator=(Socket&&) = default;

  // The index of the link `name`; the error's code is ENODEV when there is none.
  base::Result<int> link_index(const std::string& name) const;
  // mtu 0 leaves the kernel's default.
  base::Result<void> create_bridge(const std::string& name, int mtu);
  // A veth pair: `name` here and `peer_name` made directly in the namespace of peer_netns_fd
  // (-1: here too), so the peer may be called eth0 without clashing with a link here.
  base::Result<void> create_veth(const std::string& name, const std::string& peer_name,
                                 int peer_netns_fd, int mtu);
  base::Result<void> set_master(int index, int master_index);
  base::Result<void> set_up(int index);
  // Hairpin mode on a bridge port: frames may go back out of the port they came in on, so a
  // container reaches itself through a published port.
  base::Result<void> set_hairpin(int index);
  base::Result<void> set_mac(int index, const std::array<uint8_t, 6>& mac);
  // addr/prefix with the subnet's broadcast address (none for /31 and /32).
  base::Result<void> add_address(int index, Ipv4 addr, int prefix);
  base::Result<void> add_default_route(Ipv4 gateway);
  // Deleting either end of a veth pair deletes both.
  base::Result<void> delete_link(int index);
  // Dumps: not for the start path.
  base::Result<std::vector<Route>> routes() const;
  base::Result<std::vector<std::string>> link_names() const;

 private:
  using OnMessage = std::function<void(const nlmsghdr&)>;

  explicit Socket(base::Fd fd);
  // Sends `req` with NLM_F_ACK and the next sequence number and reads up to the kernel's
  // answer: the ack, or an error with its text. Messages before it (a GET's reply, a dump's
  // contents) go to on_reply.
  base::Result<void> request(nlmsghdr* req, const std::string& what,
                             const OnMessage& on_reply = {}) const;
  // Sends `req` as a dump (NLM_F_DUMP): its messages go to on_msg, up to NLMSG_DONE.
  base::Result<void> dump(nlmsghdr* req, const std::string& what, const OnMessage& on_msg) const;
  // Link names by index.
  base::Result<std::map<int, std::string>> links() const;

  base::Fd fd_;
  // Exchanges are const where they change nothing in the kernel; these are the socket's
  // bookkeeping, not its meaning.
  mutable uint32_t seq_ = 0;
  mutable std::vector<char> buf_;  // one receive buffer, reused by every exchange
};

// "02:42:ac:11:00:02" (for --mac-address); nullopt if malformed, multicast (which covers
// broadcast) or all zeros: the kernel refuses those as a link's address.
std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view text);
std::string format_mac(const std::array<uint8_t, 6>& mac);

}  // namespace hull::engine::netlink
