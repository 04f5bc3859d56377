#include "engine/netlink.h"

#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>

#include "engine/netns.h"

namespace hull::engine::netlink {
namespace {

using base::Error;
using base::Result;

// A dump's messages come in batches the kernel sizes to the largest read buffer it has seen
// on the socket, up to 32 KiB; a buffer that large takes a dump in the fewest reads.
// (MNL_SOCKET_BUFFER_SIZE, 8 KiB here, is the least that holds any single message.)
constexpr size_t kReceiveBuffer = 32768;

// A request being built: netlink header, family header, attributes. The largest here (a veth
// pair) is under 200 bytes, since names are checked against IFNAMSIZ before they go in.
class Request {
 public:
  explicit Request(uint16_t type, uint16_t flags = 0) {
    nlmsghdr* h = mnl_nlmsg_put_header(buf_);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | flags;
  }
  nlmsghdr* nlh() { return reinterpret_cast<nlmsghdr*>(buf_); }
  // The family header (ifinfomsg, ifaddrmsg, rtmsg), zeroed.
  template <typename T>
  T* put() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh(), sizeof(T)));
  }

 private:
  alignas(nlmsghdr) char buf_[512];
};

// A request about link `index`; ifi_flags are both set and marked as changed.
Request link_request(uint16_t type, int index, unsigned ifi_flags = 0) {
  Request req(type);
  auto* ifi = req.put<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  ifi->ifi_flags = ifi_flags;
  ifi->ifi_change = ifi_flags;
  return req;
}

Result<void> check_name(const std::string& name, const std::string& what) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return Error(what + ": a link name has 1 to " + std::to_string(IFNAMSIZ - 1) + " characters",
                 EINVAL);
  }
  return {};
}

// The attributes common to every new link: its name, mtu (0: the kernel's default) and kind.
// Returns the IFLA_LINKINFO nest, still open for the kind's own data.
nlattr* put_new_link(nlmsghdr* nlh, const std::string& name, int mtu, const char* kind) {
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  if (mtu > 0) mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  nlattr* info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
  return info;
}

// A message's attributes after its family header, by type; types we never ask for beyond
// kMax (newer kernels add some) are dropped.
class Attrs {
 public:
  Attrs(const nlmsghdr& m, size_t header) { mnl_attr_parse(&m, header, &Attrs::keep, this); }
  const nlattr* operator[](int type) const { return by_type_[type]; }
  std::string str(int type) const {
    const nlattr* a = by_type_[type];
    if (a == nullptr) return "";
    const char* s = mnl_attr_get_str(a);
    return std::string(s, strnlen(s, mnl_attr_get_payload_len(a)));
  }
  uint32_t u32(int type, uint32_t missing) const {
    const nlattr* a = by_type_[type];
    return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : missing;
  }

 private:
  static constexpr int kMax = 128;
  static_assert(IFLA_MAX < kMax && RTA_MAX < kMax);
  static int keep(const nlattr* a, void* self) {
    int type = mnl_attr_get_type(a);
    if (type < kMax) static_cast<Attrs*>(self)->by_type_[type] = a;
    return MNL_CB_OK;
  }
  std::array<const nlattr*, kMax> by_type_{};
};

// The kernel's own words on a failed request (NLMSGERR_ATTR_MSG), "" if it sent none.
std::string extack_message(const nlmsghdr& m, size_t offset) {
  std::string text;
  auto keep_msg = [](const nlattr* a, void* out) {
    if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
        mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
      *static_cast<std::string*>(out) = mnl_attr_get_str(a);
    }
    return MNL_CB_OK;
  };
  mnl_attr_parse(&m, offset, keep_msg, &text);
  return text;
}

// The last message of an exchange: NLMSG_ERROR (an ack when its error is 0), or NLMSG_DONE
// at the end of a dump, which carries an error too. Either may be followed by extended ack
// attributes (NLM_F_ACK_TLVS).
Result<void> end_of_exchange(const nlmsghdr& m, const std::string& what) {
  int err = 0;
  size_t attrs_at = sizeof(int);
  if (m.nlmsg_type == NLMSG_ERROR) {
    if (m.nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) {
      return Error(what + ": short error message from the kernel", EBADMSG);
    }
    const auto* e = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(&m));
    err = -e->error;
    // The attributes follow the copy of our request: its header only with NETLINK_CAP_ACK.
    attrs_at = sizeof(nlmsgerr);
    if (!(m.nlmsg_flags & NLM_F_CAPPED)) attrs_at += e->msg.nlmsg_len - sizeof(nlmsghdr);
  } else if (m.nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
    err = -*static_cast<const int*>(mnl_nlmsg_get_payload(&m));
  }
  if (err == 0) return {};
  Error e(what, err);
  if (m.nlmsg_flags & NLM_F_ACK_TLVS) {
    std::string text = extack_message(m, attrs_at);
    if (!text.empty()) e.hint("kernel: " + text);
  }
  return e;
}

const ifinfomsg& link_header(const nlmsghdr& m) {
  return *static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(&m));
}

}  // namespace

Socket::Socket(base::Fd fd) : fd_(std::move(fd)), buf_(kReceiveBuffer) {}

Result<Socket> Socket::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return Error("open netlink route socket", errno);
  Socket s{base::Fd(fd)};
  // EXT_ACK: errors come with the kernel's explanation. CAP_ACK: they do not echo our whole
  // request. GET_STRICT_CHK: the kernel filters dumps by the header we send (routes() asks
  // for the main table only). Without them (kernels before 4.20) all works, less helpfully,
  // so a failure is not one. No bind: the first send binds the socket to a port id of its
  // own, and only the kernel's replies to us arrive on a socket in no multicast group.
  int one = 1;
  for (int opt : {NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK}) {
    (void)::setsockopt(fd, SOL_NETLINK, opt, &one, sizeof one);
  }
  return s;
}

Result<Socket> Socket::open_in(int netns_fd) {
  std::optional<Socket> made;
  TRY(in_netns(netns_fd, [&]() -> Result<void> {
    ASSIGN_OR_RETURN(Socket s, open());
    made.emplace(std::move(s));
    return {};
  }));
  return std::move(*made);
}

Result<void> Socket::request(nlmsghdr* req, const std::string& what,
                             const OnMessage& on_reply) const {
  req->nlmsg_flags |= NLM_F_ACK;
  req->nlmsg_seq = ++seq_;
  if (::send(fd_.get(), req, req->nlmsg_len, 0) < 0) return Error(what + ": send", errno);
  bool interrupted = false;
  for (;;) {
    // With MSG_TRUNC netlink returns the whole datagram's length, so a cut one shows.
    ssize_t n = ::recv(fd_.get(), buf_.data(), buf_.size(), MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error(what + ": receive", errno);
    if (static_cast<size_t>(n) > buf_.size()) return Error(what + ": receive", EMSGSIZE);
    int len = static_cast<int>(n);
    for (auto* m = reinterpret_cast<const nlmsghdr*>(buf_.data()); mnl_nlmsg_ok(m, len);
         m = mnl_nlmsg_next(m, &len)) {
      // The rest of an exchange that ended early (an error halfway through a dump).
      if (m->nlmsg_seq != req->nlmsg_seq) continue;
      // A dump spanning several reads saw the tables change between two of them.
      if (m->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
      if (m->nlmsg_type == NLMSG_ERROR || m->nlmsg_type == NLMSG_DONE) {
        TRY(end_of_exchange(*m, what));
        if (interrupted) {
          return Error(what + ": interrupted by a change", EAGAIN).hint("try again");
        }
        return {};
      }
      if (m->nlmsg_type >= NLMSG_MIN_TYPE && on_reply) on_reply(*m);
    }
  }
}

Result<void> Socket::dump(nlmsghdr* req, const std::string& what, const OnMessage& on_msg) const {
  // A dump ends with NLMSG_DONE, not an ack; NLM_F_ACK does no harm.
  req->nlmsg_flags |= NLM_F_DUMP;
  return request(req, what, on_msg);
}

Result<int> Socket::link_index(const std::string& name) const {
  std::string what = "find link " + name;
  TRY(check_name(name, what));
  Request req = link_request(RTM_GETLINK, 0);
  mnl_attr_put_strz(req.nlh(), IFLA_IFNAME, name.c_str());
  // The answer is the whole link; without its counters it is a third the size.
  mnl_attr_put_u32(req.nlh(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  int index = 0;
  TRY(request(req.nlh(), what, [&](const nlmsghdr& m) {
    if (m.nlmsg_type == RTM_NEWLINK) index = link_header(m).ifi_index;
  }));
  if (index <= 0) return Error(what, ENODEV);
  return index;
}

Result<void> Socket::create_bridge(const std::string& name, int mtu) {
  std::string what = "create bridge " + name;
  TRY(check_name(name, what));
  Request req = link_request(RTM_NEWLINK, 0);
  req.nlh()->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
  mnl_attr_nest_end(req.nlh(), put_new_link(req.nlh(), name, mtu, "bridge"));
  return request(req.nlh(), what);
}

Result<void> Socket::create_veth(const std::string& name, const std::string& peer_name,
                                 int peer_netns_fd, int mtu) {
  std::string what = "create veth " + name + " (peer " + peer_name + ")";
  TRY(check_name(name, what));
  TRY(check_name(peer_name, what));
  Request req = link_request(RTM_NEWLINK, 0);
  nlmsghdr* nlh = req.nlh();
  nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
  nlattr* info = put_new_link(nlh, name, mtu, "veth");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  nlattr* peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  // The peer is described as a link request of its own: an ifinfomsg, then its attributes.
  // Its mtu is not taken from the first end's: without one it would get 1500.
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name.c_str());
  if (mtu > 0) mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
  if (peer_netns_fd >= 0) mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, peer_netns_fd);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, info);
  return request(nlh, what);
}

Result<void> Socket::set_master(int index, int master_index) {
  Request req = link_request(RTM_NEWLINK, index);
  mnl_attr_put_u32(req.nlh(), IFLA_MASTER, master_index);
  return request(req.nlh(), "set master of link " + std::to_string(index) + " to link " +
                                std::to_string(master_index));
}

Result<void> Socket::set_up(int index) {
  Request req = link_request(RTM_NEWLINK, index, IFF_UP);
  return request(req.nlh(), "set link " + std::to_string(index) + " up");
}

Result<void> Socket::set_hairpin(int index) {
  // A bridge port's settings go to the bridge (family AF_BRIDGE) in IFLA_PROTINFO, which the
  // bridge reads as attributes only when it is marked nested; unmarked it is the old u8 STP
  // state.
  Request req = link_request(RTM_SETLINK, index);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_get_payload(req.nlh()));
  ifi->ifi_family = AF_BRIDGE;
  nlattr* protinfo = mnl_attr_nest_start(req.nlh(), IFLA_PROTINFO | NLA_F_NESTED);
  mnl_attr_put_u8(req.nlh(), IFLA_BRPORT_MODE, 1);
  mnl_attr_nest_end(req.nlh(), protinfo);
  return request(req.nlh(), "set hairpin mode on link " + std::to_string(index));
}

Result<void> Socket::set_mac(int index, const std::array<uint8_t, 6>& mac) {
  Request req = link_request(RTM_NEWLINK, index);
  mnl_attr_put(req.nlh(), IFLA_ADDRESS, mac.size(), mac.data());
  return request(req.nlh(), "set mac " + format_mac(mac) + " on link " + std::to_string(index));
}

Result<void> Socket::add_address(int index, Ipv4 addr, int prefix) {
  std::string what = "add address " + addr.str() + "/" + std::to_string(prefix) + " to link " +
                     std::to_string(index);
  if (prefix < 0 || prefix > 32) return Error(what + ": the prefix length must be 0 to 32", EINVAL);
  Request req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = req.put<ifaddrmsg>();
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = index;
  // IFA_LOCAL is the interface's address; IFA_ADDRESS the peer's on point-to-point links,
  // and the same on any other. The kernel adds no broadcast address unless told one.
  mnl_attr_put_u32(req.nlh(), IFA_LOCAL, addr.network_order());
  mnl_attr_put_u32(req.nlh(), IFA_ADDRESS, addr.network_order());
  if (prefix < 31) {
    Ipv4 broadcast{addr.value | ~Cidr{addr, prefix}.mask()};
    mnl_attr_put_u32(req.nlh(), IFA_BROADCAST, broadcast.network_order());
  }
  return request(req.nlh(), what);
}

Result<void> Socket::add_default_route(Ipv4 gateway) {
  Request req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
  auto* rtm = req.put<rtmsg>();
  rtm->rtm_family = AF_INET;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;  // what `ip route add` marks its routes with
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  // No device: the kernel picks the one whose subnet holds the gateway.
  mnl_attr_put_u32(req.nlh(), RTA_GATEWAY, gateway.network_order());
  return request(req.nlh(), "add default route via " + gateway.str());
}

Result<void> Socket::delete_link(int index) {
  Request req = link_request(RTM_DELLINK, index);
  return request(req.nlh(), "delete link " + std::to_string(index));
}

Result<std::map<int, std::string>> Socket::links() const {
  Request req = link_request(RTM_GETLINK, 0);
  mnl_attr_put_u32(req.nlh(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::map<int, std::string> names;
  TRY(dump(req.nlh(), "dump links", [&](const nlmsghdr& m) {
    if (m.nlmsg_type == RTM_NEWLINK) {
      names[link_header(m).ifi_index] = Attrs(m, sizeof(ifinfomsg)).str(IFLA_IFNAME);
    }
  }));
  return names;
}

Result<std::vector<std::string>> Socket::link_names() const {
  ASSIGN_OR_RETURN(auto links_by_index, links());
  std::vector<std::string> names;
  for (auto& [index, name] : links_by_index) names.push_back(std::move(name));
  return names;
}

Result<std::vector<Route>> Socket::routes() const {
  // Routes name their device by index.
  ASSIGN_OR_RETURN(auto names, links());
  Request req(RTM_GETROUTE);
  auto* rtm = req.put<rtmsg>();
  rtm->rtm_family = AF_INET;
  rtm->rtm_table = RT_TABLE_MAIN;
  std::vector<Route> out;
  TRY(dump(req.nlh(), "dump routes", [&](const nlmsghdr& m) {
    if (m.nlmsg_type != RTM_NEWROUTE) return;
    const auto& r = *static_cast<const rtmsg*>(mnl_nlmsg_get_payload(&m));
    if (r.rtm_family != AF_INET || r.rtm_dst_len > 32) return;
    // Without strict checking the kernel dumps every table, the local one too: filtered here
    // as well. Table ids above 255 come only in RTA_TABLE.
    Attrs a(m, sizeof(rtmsg));
    if (a.u32(RTA_TABLE, r.rtm_table) != RT_TABLE_MAIN) return;
    // No RTA_DST is 0.0.0.0 (the default route); no RTA_OIF, no single device.
    Cidr dst{Ipv4::from_network_order(a.u32(RTA_DST, 0)), r.rtm_dst_len};
    auto dev = names.find(static_cast<int>(a.u32(RTA_OIF, 0)));
    out.push_back({dst, dev == names.end() ? "" : dev->second});
  }));
  return out;
}

std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view text) {
  std::array<uint8_t, 6> mac{};
  if (text.size() != 17) return std::nullopt;
  for (size_t i = 0; i < mac.size(); ++i) {
    const char* p = text.data() + 3 * i;
    if (i > 0 && p[-1] != ':') return std::nullopt;
    auto [end, ec] = std::from_chars(p, p + 2, mac[i], 16);
    if (ec != std::errc() || end != p + 2) return std::nullopt;
  }
  // The low bit of the first octet marks a group address; a link's own must be unicast.
  bool zero = std::all_of(mac.begin(), mac.end(), [](uint8_t b) { return b == 0; });
  if ((mac[0] & 1) || zero) return std::nullopt;
  return mac;
}

std::string format_mac(const std::array<uint8_t, 6>& mac) {
  char out[18];
  std::snprintf(out, sizeof out, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return out;
}

}  // namespace hull::engine::netlink
