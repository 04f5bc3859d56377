// Tests of the netlink layer: MAC parsing, and system tests against the kernel, each in a
// forked child that first unshares its network namespace, so every bridge, veth and address
// is made in a namespace that dies with the child; the host's links are never touched. The
// system tests need root and are skipped otherwise.
#include "engine/netlink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>

#include "base/sys.h"
#include "engine/netns.h"
#include "in_child.h"

namespace hull::engine::netlink {
namespace {

using Mac = std::array<uint8_t, 6>;

TEST(NetlinkMacTest, ParsesUnicastAddresses) {
  EXPECT_EQ(parse_mac("02:42:ac:11:00:02"), (Mac{0x02, 0x42, 0xac, 0x11, 0x00, 0x02}));
  EXPECT_EQ(parse_mac("02:42:AC:11:00:FE"), (Mac{0x02, 0x42, 0xac, 0x11, 0x00, 0xfe}));
  EXPECT_EQ(format_mac(Mac{0x02, 0x42, 0xac, 0x11, 0x00, 0xfe}), "02:42:ac:11:00:fe");
  auto mac = parse_mac("de:ad:be:ef:00:01");
  ASSERT_TRUE(mac);
  EXPECT_EQ(format_mac(*mac), "de:ad:be:ef:00:01");
}

TEST(NetlinkMacTest, RefusesMalformedMulticastAndZero) {
  for (const char* bad :
       {"", "02:42:ac:11:00", "02:42:ac:11:00:02:03", "02-42-ac-11-00-02", "02:42:ac:11:0:002",
        "2:42:ac:11:00:02:", "02:42:ac:11:00:0g", "02:42:ac:11:00:+2", "02:42:ac:11:00:-2",
        " 02:42:ac:11:00:02", "0x:42:ac:11:00:02",
        "01:00:5e:00:00:01",  // IPv4 multicast
        "ff:ff:ff:ff:ff:ff",  // broadcast
        "03:42:ac:11:00:02",  // the group bit set
        "00:00:00:00:00:00"}) {
    EXPECT_FALSE(parse_mac(bad)) << bad;
  }
}

// Each check returns "" when it holds, else what went wrong.
template <typename T>
std::string failed(const base::Result<T>& r, const std::string& what) {
  return r ? "" : what + ": " + r.error().message();
}

std::string read_trimmed(const std::string& path) {
  auto r = base::sys::read_file(path);
  if (!r) return "(" + r.error().message() + ")";
  std::string s = *r;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The broadcast address of `dev` in the caller's namespace, as the kernel reports it.
std::string broadcast_of(const std::string& dev) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "(socket failed)";
  base::Fd sock(fd);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  if (::ioctl(fd, SIOCGIFBRDADDR, &ifr) != 0) return std::string("(") + std::strerror(errno) + ")";
  auto* sin = reinterpret_cast<sockaddr_in*>(&ifr.ifr_broadaddr);
  return Ipv4::from_network_order(sin->sin_addr.s_addr).str();
}

bool has_route(const std::vector<Route>& routes, const std::string& dst, const std::string& dev) {
  return std::any_of(routes.begin(), routes.end(),
                     [&](const Route& r) { return r.dst.str() == dst && r.dev == dev; });
}

std::string describe(const std::vector<Route>& routes) {
  std::string out;
  for (const auto& r : routes) out += " " + r.dst.str() + "@" + r.dev;
  return out;
}

// /sys/class/net shows the links of the network namespace that mounted that sysfs, not the
// reader's: after a setns or unshare, a sysfs mounted there (in a mount namespace of our own)
// shows the new namespace's.
std::string remount_sys() {
  if (::mount("sysfs", "/sys", "sysfs", 0, nullptr) != 0) {
    return std::string("mount sysfs: ") + std::strerror(errno);
  }
  return "";
}

std::string private_net_and_sys() {
  if (::unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) return "cannot unshare net and mount";
  if (::mount(nullptr, "/", nullptr, MS_PRIVATE | MS_REC, nullptr) != 0) return "mount private";
  return remount_sys();
}

class NetlinkSysTest : public ::testing::Test {
 protected:

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to unshare a network namespace";
  }

  // Runs `body` in a forked child in network and mount namespaces of its own; fails the
  // test with the child's complaint, skips it when the namespaces cannot be made.
  void in_child(const std::function<std::string()>& body) {
    auto r = test::run_in_child(body, private_net_and_sys);
    if (r.skipped) GTEST_SKIP() << r.complaint;
    EXPECT_EQ(r.complaint, "");
  }
};

// Checks inside the container's namespace (the child setns-es there: it is its own process).
std::string check_inside(int netns_fd, const Mac& mac) {
  if (::setns(netns_fd, CLONE_NEWNET) != 0) return "setns into the second namespace failed";
  if (auto e = remount_sys(); !e.empty()) return e;
  if (read_trimmed("/sys/class/net/eth0/address") != format_mac(mac)) return "eth0's mac";
  if (read_trimmed("/sys/class/net/eth0/mtu") != "1400") return "eth0's mtu";
  if (read_trimmed("/sys/class/net/eth0/operstate") != "up") return "eth0 is not up";
  if (auto b = broadcast_of("eth0"); b != "172.30.255.255") return "eth0 broadcast " + b;
  auto route = base::sys::read_file("/proc/self/net/route");
  if (!route) return route.error().message();
  char gw[9];
  std::snprintf(gw, sizeof gw, "%08X", Ipv4::parse("172.30.0.1")->network_order());
  // Iface Destination Gateway ...: a default route via the bridge's address.
  if (route->find("eth0\t00000000\t" + std::string(gw)) == std::string::npos) {
    return "no default route via 172.30.0.1 in /proc/net/route:\n" + *route;
  }
  return "";
}

// A bridge has a carrier while one of its ports forwards, and sends nothing before the
// kernel's link watcher has seen the carrier come; the watcher takes a bridge's events at
// most once a second. So a new bridge drops what it sends for up to a second after its
// first port comes up.
std::string wait_until_up(const std::string& dev) {
  for (int i = 0; i < 3000; ++i) {
    if (read_trimmed("/sys/class/net/" + dev + "/operstate") == "up") return "";
    ::usleep(1000);
  }
  return dev + " is not up after 3 s";
}

// A TCP connection from the container's namespace to the bridge's address: the whole path
// (veth, bridge port, both addresses, ARP) works. Sockets stay in the namespace they are
// made in, so the listener is made here and the client inside.
std::string check_connect(int netns_fd) {
  base::Fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(4242);
  addr.sin_addr.s_addr = Ipv4::parse("172.30.0.1")->network_order();
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if (::bind(listener.get(), sa, sizeof addr) != 0 || ::listen(listener.get(), 1) != 0) {
    return std::string("listen on 172.30.0.1: ") + std::strerror(errno);
  }
  base::Fd client;
  auto made = in_netns(netns_fd, [&]() -> base::Result<void> {
    client.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (::connect(client.get(), sa, sizeof addr) != 0) return base::Error("connect", errno);
    return {};
  });
  if (auto e = failed(made, "connect from the container's namespace"); !e.empty()) return e;
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  base::Fd conn(::accept4(listener.get(), reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC));
  if (!conn) return "accept failed";
  if (Ipv4::from_network_order(peer.sin_addr.s_addr).str() != "172.30.0.2") {
    return "connection came from " + Ipv4::from_network_order(peer.sin_addr.s_addr).str();
  }
  return "";
}

TEST_F(NetlinkSysTest, BridgeAndVethIntoASecondNamespace) {
  in_child([]() -> std::string {
    auto host = Socket::open();
    if (!host) return failed(host, "open");
    if (auto e = failed(host->create_bridge("hulltest0", 1400), "bridge"); !e.empty()) return e;
    auto br = host->link_index("hulltest0");
    if (!br) return failed(br, "bridge index");
    auto gw = *Ipv4::parse("172.30.0.1");
    if (auto e = failed(host->add_address(*br, gw, 16), "bridge address"); !e.empty()) return e;
    if (auto e = failed(host->set_up(*br), "bridge up"); !e.empty()) return e;

    auto ns = new_netns();
    if (!ns) return failed(ns, "new_netns");
    auto made = host->create_veth("hullv0", "eth0", ns->get(), 1400);
    if (auto e = failed(made, "veth"); !e.empty()) return e;
    auto v = host->link_index("hullv0");
    if (!v) return failed(v, "veth index");
    for (auto r : {host->set_master(*v, *br), host->set_up(*v), host->set_hairpin(*v)}) {
      if (auto e = failed(r, "veth setup"); !e.empty()) return e;
    }

    Mac mac{0x02, 0x42, 0xac, 0x1e, 0x00, 0x02};
    auto inside = Socket::open_in(ns->get());
    if (!inside) return failed(inside, "open_in");
    auto eth0 = inside->link_index("eth0");
    auto lo = inside->link_index("lo");
    if (!eth0 || !lo) return "eth0 or lo missing inside";
    for (auto r : {inside->set_mac(*eth0, mac), inside->set_up(*lo), inside->set_up(*eth0),
                   inside->add_address(*eth0, *Ipv4::parse("172.30.0.2"), 16),
                   inside->add_default_route(gw)}) {
      if (auto e = failed(r, "eth0 setup"); !e.empty()) return e;
    }

    // This side, through /sys.
    if (read_trimmed("/sys/class/net/hulltest0/mtu") != "1400") return "bridge mtu";
    if (read_trimmed("/sys/class/net/hullv0/brport/hairpin_mode") != "1") return "hairpin";
    if (read_trimmed("/sys/class/net/hullv0/master/ifindex") != std::to_string(*br)) {
      return "hullv0's master is not hulltest0";
    }
    if (broadcast_of("hulltest0") != "172.30.255.255") return "bridge broadcast";
    // The peer went straight into the other namespace.
    auto no_eth0 = host->link_index("eth0");
    if (no_eth0 || no_eth0.error().code() != ENODEV) return "eth0 on the host side";
    auto host_routes = host->routes();
    if (!host_routes) return failed(host_routes, "host routes");
    if (!has_route(*host_routes, "172.30.0.0/16", "hulltest0")) {
      return "host routes:" + describe(*host_routes);
    }

    // Inside, through the API.
    auto names = inside->link_names();
    if (!names) return failed(names, "link names");
    if (*names != std::vector<std::string>{"lo", "eth0"}) return "links inside are not lo, eth0";
    auto routes = inside->routes();
    if (!routes) return failed(routes, "routes inside");
    if (routes->size() != 2 || !has_route(*routes, "0.0.0.0/0", "eth0") ||
        !has_route(*routes, "172.30.0.0/16", "eth0")) {
      return "routes inside:" + describe(*routes);
    }
    if (auto e = wait_until_up("hulltest0"); !e.empty()) return e;
    if (auto e = check_connect(ns->get()); !e.empty()) return e;
    return check_inside(ns->get(), mac);
  });
}

TEST_F(NetlinkSysTest, ErrorsNameTheCallAndTheObject) {
  in_child([]() -> std::string {
    auto s = Socket::open();
    if (!s) return failed(s, "open");
    auto missing = s->link_index("hullnone0");
    if (missing || missing.error().code() != ENODEV) return "link_index of a missing link";
    if (missing.error().message() != "find link hullnone0: No such device (ENODEV)") {
      return "message: " + missing.error().message();
    }
    if (auto e = failed(s->create_bridge("hulltest1", 0), "bridge"); !e.empty()) return e;
    auto again = s->create_bridge("hulltest1", 0);
    if (again || again.error().code() != EEXIST) return "a second bridge of the same name";
    if (again.error().message().rfind("create bridge hulltest1: File exists (EEXIST)", 0) != 0) {
      return "message: " + again.error().message();
    }
    auto long_name = s->create_bridge("hull-much-too-long", 0);
    if (long_name || long_name.error().code() != EINVAL) return "a 18-character name";
    // No subnet holds the gateway: the kernel says why in its extended ack.
    auto lost = s->add_default_route(*Ipv4::parse("10.9.9.1"));
    if (lost) return "a default route via an unreachable gateway";
    if (lost.error().message().find("add default route via 10.9.9.1: ") != 0 ||
        lost.error().hint_text().rfind("kernel: ", 0) != 0) {
      return "message: " + lost.error().message();
    }
    auto bad_master = s->set_master(999, 998);
    if (bad_master ||
        bad_master.error().message().find("set master of link 999 to link 998: ") != 0) {
      return "set_master of missing links";
    }
    return "";
  });
}

TEST_F(NetlinkSysTest, DeletingOneVethEndDeletesThePeer) {
  in_child([]() -> std::string {
    auto ns = new_netns();
    if (!ns) return failed(ns, "new_netns");
    auto s = Socket::open();
    auto inside = Socket::open_in(ns->get());
    if (!s || !inside) return "open";
    if (auto e = failed(s->create_veth("hullv1", "eth0", ns->get(), 0), "veth"); !e.empty()) {
      return e;
    }
    // A pair with both ends here (no namespace fd) too.
    if (auto e = failed(s->create_veth("hullv2", "hullv3", -1, 0), "veth"); !e.empty()) return e;
    auto in_names = inside->link_names();
    if (!in_names || *in_names != std::vector<std::string>{"lo", "eth0"}) return "eth0 not made";
    for (const char* name : {"hullv1", "hullv3"}) {
      auto index = s->link_index(name);
      if (!index) return failed(index, name);
      if (auto e = failed(s->delete_link(*index), "delete"); !e.empty()) return e;
    }
    in_names = inside->link_names();
    if (!in_names || *in_names != std::vector<std::string>{"lo"}) return "eth0 outlived hullv1";
    auto names = s->link_names();
    if (!names || *names != std::vector<std::string>{"lo"}) return "hullv2 outlived hullv3";
    return "";
  });
}

TEST_F(NetlinkSysTest, NewNetnsLeavesTheCallerWhereItWas) {
  in_child([]() -> std::string {
    struct stat before, after, made;
    if (::stat("/proc/thread-self/ns/net", &before) != 0) return "stat before";
    auto ns = new_netns();
    if (!ns) return failed(ns, "new_netns");
    if (::stat("/proc/thread-self/ns/net", &after) != 0 || ::fstat(ns->get(), &made) != 0) {
      return "stat after";
    }
    if (after.st_ino != before.st_ino) return "the caller moved";
    if (made.st_ino == before.st_ino) return "no new namespace";
    // A bad fd: in_netns fails before fn runs, and the caller stays.
    bool ran = false;
    auto r = in_netns(-1, [&]() -> base::Result<void> {
      ran = true;
      return {};
    });
    if (r || ran || r.error().code() != EBADF) return "in_netns(-1)";
    return "";
  });
}

}  // namespace
}  // namespace hull::engine::netlink
