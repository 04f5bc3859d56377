// Tests of hull's nftables rules: the command text planned for each call (pure), and the
// calls for real in forked children with network namespaces of their own (a new namespace
// has its own empty ruleset: the host's is never touched), with traffic through a published
// port and into an --internal network between namespaces the test makes.
#include "engine/nft.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <set>

#include "base/sys.h"
#include "engine/nft_lib.h"
#include "in_child.h"

namespace hull::engine {
namespace {

Ipv4 ip(const char* s) { return *Ipv4::parse(s); }
Cidr cidr(const char* s) { return *Cidr::parse(s); }

const PortMapping kLo{"tcp", ip("127.0.0.1"), 18080, ip("10.123.0.2"), 8000};
const PortMapping kAny{"tcp", Ipv4{}, 18081, ip("10.123.0.2"), 8000};
const PortMapping kDns{"udp", ip("10.123.0.1"), 53, ip("10.123.0.3"), 5353};

NftState one_network() {
  NftState s;
  s.exists = true;
  s.bridges_nat = {"hbr0"};
  s.subnets_nat = {cidr("10.123.0.0/24")};
  s.nat_self = {"hbr0"};
  return s;
}

// ---- the plan ----

TEST(NftPlan, AddNetworkDeclaresEverythingAndAddsItsElements) {
  auto cmds = nft_plan::add_network("hull", {"hbr0", cidr("10.123.0.0/24"), false});
  ASSERT_TRUE(cmds) << cmds.error().message();
  EXPECT_EQ(
      *cmds,
      "add table ip hull\n"
      "add set ip hull bridges_nat { type ifname; }\n"
      "add set ip hull subnets_nat { type ipv4_addr; flags interval; }\n"
      "add set ip hull bridges_internal { type ifname; }\n"
      "add set ip hull internal_self { type ifname . ifname; }\n"
      "add set ip hull nat_self { type ifname . ifname; }\n"
      "add map ip hull ports { type inet_proto . inet_service : ipv4_addr . inet_service; }\n"
      "add map ip hull ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . "
      "inet_service; }\n"
      "add chain ip hull publish\n"
      "add chain ip hull prerouting { type nat hook prerouting priority dstnat; }\n"
      "add chain ip hull output { type nat hook output priority -100; }\n"
      "add chain ip hull postrouting { type nat hook postrouting priority srcnat; }\n"
      "add chain ip hull forward { type filter hook forward priority filter; }\n"
      "flush chain ip hull publish\n"
      "flush chain ip hull prerouting\n"
      "flush chain ip hull output\n"
      "flush chain ip hull postrouting\n"
      "flush chain ip hull forward\n"
      "add rule ip hull publish dnat ip to ip daddr . meta l4proto . th dport map @ports_ip\n"
      "add rule ip hull publish dnat ip to meta l4proto . th dport map @ports\n"
      "add rule ip hull prerouting fib daddr type local jump publish\n"
      "add rule ip hull output fib daddr type local jump publish\n"
      "add rule ip hull postrouting ip saddr @subnets_nat oifname != @bridges_nat masquerade\n"
      "add rule ip hull postrouting ct status dnat ip saddr @subnets_nat ip daddr "
      "@subnets_nat masquerade\n"
      "add rule ip hull postrouting ct status dnat ip saddr 127.0.0.0/8 masquerade\n"
      "add rule ip hull forward iifname @bridges_internal iifname . oifname != "
      "@internal_self drop\n"
      "add rule ip hull forward oifname @bridges_internal iifname . oifname != "
      "@internal_self drop\n"
      "add rule ip hull forward ct status dnat accept\n"
      "add rule ip hull forward iifname @bridges_nat oifname @bridges_nat iifname . oifname != "
      "@nat_self drop\n"
      "add element ip hull bridges_nat { \"hbr0\" }\n"
      "add element ip hull subnets_nat { 10.123.0.0/24 }\n"
      "add element ip hull nat_self { \"hbr0\" . \"hbr0\" }\n");
}

TEST(NftPlan, AnInternalNetworkGoesIntoTheIsolationSetsOnly) {
  auto cmds = nft_plan::add_network("t1", {"hbr1", cidr("10.124.0.0/24"), true});
  ASSERT_TRUE(cmds) << cmds.error().message();
  std::string tail = cmds->substr(cmds->find("add element"));
  EXPECT_EQ(tail,
            "add element ip t1 bridges_internal { \"hbr1\" }\n"
            "add element ip t1 internal_self { \"hbr1\" . \"hbr1\" }\n");
}

TEST(NftPlan, NamesThatCouldCarryNftSyntaxAreRefused) {
  for (const char* table : {"", "Hull", "1hull", "hull-x", "a;b", "h ull", "h\"x"}) {
    auto r = nft_plan::add_network(table, {"hbr0", cidr("10.0.0.0/8"), false});
    ASSERT_FALSE(r) << table;
    EXPECT_NE(r.error().message().find("nft table name"), std::string::npos);
  }
  for (const char* bridge : {"", "br 0", "br\"0", "br;0", "br}0", "abcdefghijklmnop", "br\n0"}) {
    auto r = nft_plan::add_network("hull", {bridge, cidr("10.0.0.0/8"), false});
    ASSERT_FALSE(r) << bridge;
    EXPECT_NE(r.error().message().find("interface name"), std::string::npos);
  }
  EXPECT_TRUE(nft_plan::add_network("hull_2", {"br-0a.x_1", cidr("10.0.0.0/8"), false}));
  EXPECT_TRUE(nft_plan::add_network("hull", {"abcdefghijklmno", cidr("10.0.0.0/8"), false}));
}

TEST(NftPlan, AddPortsCreatesElementsInTheRightMap) {
  auto cmds = nft_plan::add_ports("hull", {kLo, kAny, kDns}, one_network());
  ASSERT_TRUE(cmds) << cmds.error().message();
  EXPECT_EQ(*cmds,
            "create element ip hull ports { tcp . 18081 : 10.123.0.2 . 8000 }\n"
            "create element ip hull ports_ip { 127.0.0.1 . tcp . 18080 : 10.123.0.2 . 8000, "
            "10.123.0.1 . udp . 53 : 10.123.0.3 . 5353 }\n");
}

TEST(NftPlan, AHostPortTakenIsAnErrorNamingIt) {
  NftState s = one_network();
  s.ports = {kLo, kAny};
  auto same = nft_plan::add_ports("hull", {kDns, kLo}, s);
  ASSERT_FALSE(same);
  EXPECT_EQ(same.error().message(),
            "publish 127.0.0.1:18080/tcp: port is already published (127.0.0.1:18080/tcp to "
            "10.123.0.2:8000)");
  // Every address against one address, both ways.
  PortMapping one = kAny;
  one.host_ip = ip("10.123.0.1");
  auto under_any = nft_plan::add_ports("hull", {one}, s);
  ASSERT_FALSE(under_any);
  EXPECT_NE(under_any.error().message().find("10.123.0.1:18081/tcp"), std::string::npos);
  PortMapping any = kLo;
  any.host_ip = Ipv4{};
  auto over_one = nft_plan::add_ports("hull", {any}, s);
  ASSERT_FALSE(over_one);
  EXPECT_NE(over_one.error().message().find("0.0.0.0:18080/tcp"), std::string::npos);
  // Twice in one request.
  auto twice = nft_plan::add_ports("hull", {kDns, kDns}, one_network());
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message(),
            "publish 10.123.0.1:53/udp: port published twice (also as 10.123.0.1:53/udp)");
  // Another protocol, or another single address: no clash.
  PortMapping udp = kLo;
  udp.proto = "udp";
  PortMapping other = kLo;
  other.host_ip = ip("10.123.0.1");
  EXPECT_TRUE(nft_plan::add_ports("hull", {udp, other}, s));
}

TEST(NftPlan, AddPortsChecksWhatItIsGiven) {
  PortMapping sctp = kLo;
  sctp.proto = "sctp";
  EXPECT_FALSE(nft_plan::add_ports("hull", {sctp}, one_network()));
  PortMapping zero = kLo;
  zero.container_port = 0;
  EXPECT_FALSE(nft_plan::add_ports("hull", {zero}, one_network()));
  auto none = nft_plan::add_ports("hull", {kLo}, NftState{});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "publish ports: no nftables table ip hull (no network added)");
}

TEST(NftPlan, RemovePortsDeletesOnlyTheSameMappingsStillThere) {
  NftState s = one_network();
  PortMapping moved = kAny;
  moved.container_ip = ip("10.123.0.9");  // the port now belongs to another container
  s.ports = {kLo, moved};
  auto cmds = nft_plan::remove_ports("hull", {kLo, kAny, kDns, kLo}, s);
  ASSERT_TRUE(cmds) << cmds.error().message();
  EXPECT_EQ(*cmds, "delete element ip hull ports_ip { 127.0.0.1 . tcp . 18080 }\n");
  auto nothing = nft_plan::remove_ports("hull", {kAny, kDns}, s);
  ASSERT_TRUE(nothing);
  EXPECT_EQ(*nothing, "");
  EXPECT_EQ(*nft_plan::remove_ports("hull", {kLo}, NftState{}), "");
}

TEST(NftPlan, RemoveNetworkDeletesItsElementsAndPortsIntoItsSubnet) {
  NftState s = one_network();
  s.bridges_internal = {"hbr1"};
  s.internal_self = {"hbr1"};
  PortMapping elsewhere = kDns;
  elsewhere.container_ip = ip("10.200.0.3");
  s.ports = {kLo, elsewhere};
  auto nat = nft_plan::remove_network("hull", {"hbr0", cidr("10.123.0.0/24"), false}, s);
  ASSERT_TRUE(nat) << nat.error().message();
  EXPECT_EQ(*nat,
            "delete element ip hull bridges_nat { \"hbr0\" }\n"
            "delete element ip hull subnets_nat { 10.123.0.0/24 }\n"
            "delete element ip hull nat_self { \"hbr0\" . \"hbr0\" }\n"
            "delete element ip hull ports_ip { 127.0.0.1 . tcp . 18080 }\n");
  // Told the wrong `internal`: the bridge is found where it is.
  auto internal = nft_plan::remove_network("hull", {"hbr1", cidr("10.124.0.0/24"), false}, s);
  ASSERT_TRUE(internal);
  EXPECT_EQ(*internal,
            "delete element ip hull bridges_internal { \"hbr1\" }\n"
            "delete element ip hull internal_self { \"hbr1\" . \"hbr1\" }\n");
}

TEST(NftPlan, TheLastNetworkTakesTheTableWithIt) {
  NatNetwork net{"hbr0", cidr("10.123.0.0/24"), false};
  EXPECT_EQ(*nft_plan::remove_network("hull", net, one_network()), "delete table ip hull\n");
  EXPECT_EQ(*nft_plan::remove_network("hull", net, NftState{}), "");
  NftState other = one_network();
  other.bridges_nat = {"hbr7"};  // ours is gone already, another is left
  EXPECT_EQ(*nft_plan::remove_network("hull", net, other),
            "delete element ip hull subnets_nat { 10.123.0.0/24 }\n"
            "delete element ip hull nat_self { \"hbr0\" . \"hbr0\" }\n");
}

TEST(NftPlan, ParsesNftsJsonListing) {
  // As nft 1.0.6 lists it (trimmed of chains), with a numeric protocol in ports_ip.
  auto s = nft_plan::parse_state(R"({"nftables": [
    {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
    {"table": {"family": "ip", "name": "hull", "handle": 1}},
    {"set": {"family": "ip", "name": "bridges_nat", "table": "hull", "type": "ifname",
             "handle": 1, "elem": ["hbr0"]}},
    {"set": {"family": "ip", "name": "subnets_nat", "table": "hull", "type": "ipv4_addr",
             "flags": ["interval"], "elem": [{"prefix": {"addr": "10.123.0.0", "len": 24}},
                                              "10.9.9.9"]}},
    {"set": {"family": "ip", "name": "bridges_internal", "table": "hull", "type": "ifname"}},
    {"set": {"family": "ip", "name": "internal_self", "table": "hull",
             "type": ["ifname", "ifname"], "elem": [{"concat": ["hbr1", "hbr1"]}]}},
    {"set": {"family": "ip", "name": "nat_self", "table": "hull",
             "type": ["ifname", "ifname"], "elem": [{"concat": ["hbr0", "hbr0"]}]}},
    {"map": {"family": "ip", "name": "ports", "table": "hull",
             "type": ["inet_proto", "inet_service"], "map": "ipv4_addr . inet_service",
             "elem": [[{"concat": ["tcp", 18081]}, {"concat": ["10.123.0.2", 8000]}]]}},
    {"map": {"family": "ip", "name": "ports_ip", "table": "hull",
             "type": ["ipv4_addr", "inet_proto", "inet_service"],
             "map": "ipv4_addr . inet_service",
             "elem": [[{"concat": ["127.0.0.1", 6, 18080]}, {"concat": ["10.123.0.2", 8000]}]]}},
    {"chain": {"family": "ip", "table": "hull", "name": "publish", "handle": 6}}]})");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->exists);
  EXPECT_EQ(s->bridges_nat, std::vector<std::string>{"hbr0"});
  EXPECT_EQ(s->subnets_nat, (std::vector<Cidr>{cidr("10.123.0.0/24"), cidr("10.9.9.9/32")}));
  EXPECT_TRUE(s->bridges_internal.empty());
  EXPECT_EQ(s->internal_self, std::vector<std::string>{"hbr1"});
  EXPECT_EQ(s->nat_self, std::vector<std::string>{"hbr0"});
  EXPECT_EQ(s->ports, (std::vector<PortMapping>{kAny, kLo}));

  auto bad = nft_plan::parse_state(R"({"nftables": [{"set": {"name": "ports", "elem": [1]}}]})");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("nft json listing"), std::string::npos);
}

// ---- for real, in network namespaces of the test's own ----

std::string fail(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string sh(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return rc == 0 ? "" : "`" + cmd + "` exited " + std::to_string(rc);
}

std::string host_tables() {
  std::string out;
  FILE* f = ::popen("nft list tables 2>&1", "r");
  if (!f) return "popen failed";
  char buf[256];
  while (std::fgets(buf, sizeof buf, f)) out += buf;
  ::pclose(f);
  return out;
}

// A "container": a forked grandchild in a network namespace of its own, serving TCP on
// port 8000 (on every address): it answers each connection with the address it came from.
pid_t start_container() {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::unshare(CLONE_NEWNET) != 0) ::_exit(1);
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(8000);
    if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s, 8) != 0) {
      ::_exit(2);
    }
    if (::write(ready[1], "r", 1) != 1) ::_exit(3);
    for (;;) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      int c = ::accept4(s, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
      if (c < 0) continue;
      std::string from = Ipv4::from_network_order(peer.sin_addr.s_addr).str();
      (void)base::sys::write_all(c, from);
      ::close(c);
    }
  }
  ::close(ready[1]);
  char c;
  bool ok = pid > 0 && ::read(ready[0], &c, 1) == 1;
  ::close(ready[0]);
  return ok ? pid : -1;
}

// Puts a container on a bridge: a veth pair, the peer moved in and named eth0.
std::string attach(pid_t pid, const std::string& bridge, const std::string& addr,
                   const std::string& gateway) {
  std::string host = "vh" + std::to_string(pid), peer = "vc" + std::to_string(pid);
  std::string in = "nsenter -t " + std::to_string(pid) + " -n ip ";
  for (const std::string& cmd :
       {"ip link add " + host + " type veth peer name " + peer,
        "ip link set " + host + " master " + bridge + " up",
        "ip link set " + peer + " netns " + std::to_string(pid), in + "link set lo up",
        in + "link set " + peer + " name eth0", in + "addr add " + addr + " dev eth0",
        in + "link set eth0 up", in + "route add default via " + gateway}) {
    if (auto e = sh(cmd); !e.empty()) return e;
  }
  return "";
}

std::string make_bridge(const std::string& name, const std::string& addr) {
  for (const std::string& cmd :
       {"ip link add " + name + " type bridge", "ip addr add " + addr + " dev " + name,
        "ip link set " + name + " up"}) {
    if (auto e = sh(cmd); !e.empty()) return e;
  }
  return "";
}

// Connects to addr:port from the network namespace of `pid` (0: ours) and returns what the
// server answered, or "error: …".
std::string ask(const std::string& addr, uint16_t port, pid_t from = 0) {
  int self = -1, s = -1;
  if (from) {
    self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int ns = ::open(("/proc/" + std::to_string(from) + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
    if (self < 0 || ns < 0 || ::setns(ns, CLONE_NEWNET) != 0) return "error: " + fail("setns");
    ::close(ns);
  }
  // A socket stays in the namespace it was made in.
  s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (from && ::setns(self, CLONE_NEWNET) != 0) ::_exit(99);  // cannot go on in the wrong one
  if (self >= 0) ::close(self);
  timeval tv{1, 0};
  ::setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // bounds connect(2) as well
  ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = ip(addr.c_str()).network_order();
  std::string out;
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    out = "error: " + fail("connect " + addr + ":" + std::to_string(port));
  } else {
    auto got = base::sys::read_fd(s);
    out = got ? *got : "error: " + got.error().message();
  }
  ::close(s);
  return out;
}

std::string write_sysctl(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("open " + path);
  auto r = base::sys::write_all(fd, value);
  ::close(fd);
  return r ? "" : r.error().message();
}

#define CHECK_OK(expr)                                                \
  do {                                                                \
    auto r_ = (expr);                                                 \
    if (!r_) return std::string(#expr) + ": " + r_.error().message(); \
  } while (0)
#define CHECK_EQ_STR(got, want)                                                        \
  do {                                                                                 \
    std::string g_ = (got), w_ = (want);                                               \
    if (g_ != w_) return std::string(#got) + " is \"" + g_ + "\", not \"" + w_ + "\""; \
  } while (0)

class NftSysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for network namespaces";
  }
  // Everything happened in the children's namespaces: the host has none of the tables.
  // (Only ours are looked for: other suites may make and remove tables of their own meanwhile.)
  void TearDown() override {
    if (::geteuid() != 0) return;
    std::string host = host_tables();
    for (const char* t : {"hull_test", "hull_e2e", "hull_int"}) {
      EXPECT_EQ(host.find(std::string("table ip ") + t + "\n"), std::string::npos) << host;
    }
  }

  // Runs `body` in a forked child in new network and mount namespaces (the nft context is
  // made there, on its first call); returns the child's complaint, "" when all went well.
  static std::string in_netns(const std::function<std::string()>& body) {
    auto r = test::run_in_child(body, [] {
      return ::unshare(CLONE_NEWNET | CLONE_NEWNS) == 0 ? std::string() : fail("unshare");
    });
    return r.complaint;
  }
};

TEST_F(NftSysTest, NetworksAndPortsComeAndGo) {
  std::string err = in_netns([]() -> std::string {
    Nft nft("hull_test");
    NatNetwork net{"hbr0", cidr("10.123.0.0/24"), false};
    NatNetwork internal{"hbr1", cidr("10.124.0.0/24"), true};
    auto exists = nft.table_exists();
    CHECK_OK(exists);
    if (*exists) return "a table before any network";
    CHECK_OK(nft.add_network(net));
    CHECK_OK(nft.add_network(net));
    // Twice added, still one copy of each rule.
    auto chain = nft_run("list chain ip hull_test postrouting", false);
    CHECK_OK(chain);
    size_t n = 0;
    for (size_t at = 0; (at = chain->find("masquerade", at)) != std::string::npos; ++at) {
      ++n;
    }
    if (n != 3) return "postrouting after two add_network:\n" + *chain;

    CHECK_OK(nft.add_ports({kLo, kAny, kDns}));
    auto s = nft.read();
    CHECK_OK(s);
    if (s->bridges_nat != std::vector<std::string>{"hbr0"} ||
        s->subnets_nat != std::vector<Cidr>{net.subnet}) {
      return "sets after add_network: " + *nft_run("list table ip hull_test", false);
    }
    std::set<std::string> got,
        want = {"127.0.0.1:18080/tcp", "0.0.0.0:18081/tcp", "10.123.0.1:53/udp"};
    for (const auto& p : s->ports) got.insert(nft_plan::host_port_name(p));
    if (got != want) return "maps after add_ports: " + *nft_run("list table ip hull_test", false);

    // The same host port again (to another container): refused, named.
    PortMapping again = kLo;
    again.container_ip = ip("10.123.0.7");
    auto dup = nft.add_ports({again});
    if (dup) return "publishing 18080 twice worked";
    if (dup.error().message().find("127.0.0.1:18080/tcp") == std::string::npos) {
      return "error does not name the port: " + dup.error().message();
    }
    // An exact duplicate reaching the kernel (a lost race) is refused there too.
    auto raced = nft_run(*nft_plan::add_ports("hull_test", {kLo}, one_network()), false);
    if (raced) return "the kernel took an element twice";

    CHECK_OK(nft.remove_ports({kLo, kAny, kDns}));
    CHECK_OK(nft.remove_ports({kLo, kAny, kDns}));
    s = nft.read();
    CHECK_OK(s);
    if (!s->ports.empty()) return "ports left after remove_ports";

    CHECK_OK(nft.add_network(internal));
    CHECK_OK(nft.add_ports({kLo}));
    CHECK_OK(nft.remove_network(net));  // takes kLo (into its subnet) along
    CHECK_OK(nft.remove_network(net));
    s = nft.read();
    CHECK_OK(s);
    if (!s->exists || !s->bridges_nat.empty() || !s->subnets_nat.empty() || !s->ports.empty() ||
        s->bridges_internal != std::vector<std::string>{"hbr1"}) {
      return "after removing hbr0: " + *nft_run("list table ip hull_test", false);
    }
    CHECK_OK(nft.remove_network(internal));
    exists = nft.table_exists();
    CHECK_OK(exists);
    if (*exists) return "table left after the last network";
    CHECK_OK(nft.remove_network(internal));
    CHECK_OK(nft.remove_ports({kLo}));
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST_F(NftSysTest, PublishedPortsAnswerOnLoopbackAndTheBridge) {
  std::string err = in_netns([]() -> std::string {
    if (auto e = sh("ip link set lo up"); !e.empty()) return e;
    if (auto e = make_bridge("hbr0", "10.123.0.1/24"); !e.empty()) return e;
    pid_t c = start_container();
    if (c < 0) return "container did not start";
    if (auto e = attach(c, "hbr0", "10.123.0.2/24", "10.123.0.1"); !e.empty()) return e;
    CHECK_EQ_STR(ask("10.123.0.2", 8000), "10.123.0.1");  // the container answers

    Nft nft("hull_e2e");
    CHECK_OK(nft.add_network({"hbr0", cidr("10.123.0.0/24"), false}));
    PortMapping on_bridge = kLo;
    on_bridge.host_ip = ip("10.123.0.1");
    on_bridge.host_port = 18082;
    CHECK_OK(nft.add_ports({kLo, kAny, on_bridge}));
    auto e = write_sysctl("/proc/sys/net/ipv4/conf/hbr0/route_localnet", "1");
    if (!e.empty()) return e;
    // The container sees the bridge's address: masqueraded, 127.0.0.1 included.
    CHECK_EQ_STR(ask("127.0.0.1", 18080), "10.123.0.1");
    CHECK_EQ_STR(ask("10.123.0.1", 18082), "10.123.0.1");
    CHECK_EQ_STR(ask("127.0.0.1", 18081), "10.123.0.1");  // every address
    CHECK_EQ_STR(ask("10.123.0.1", 18081), "10.123.0.1");
    // Only on the address it was published on.
    if (ask("127.0.0.1", 18082).rfind("error", 0) != 0) return "18082 on 127.0.0.1";

    CHECK_OK(nft.remove_ports({kLo, kAny, on_bridge}));
    if (ask("127.0.0.1", 18080).rfind("error", 0) != 0) return "18080 after removal";
    ::kill(c, SIGKILL);
    ::waitpid(c, nullptr, 0);
    return "";
  });
  EXPECT_EQ(err, "");
}

TEST_F(NftSysTest, InternalNetworksReachNothingButThemselves) {
  std::string err = in_netns([]() -> std::string {
    if (auto e = write_sysctl("/proc/sys/net/ipv4/ip_forward", "1"); !e.empty()) return e;
    if (auto e = make_bridge("hbr0", "10.123.0.1/24"); !e.empty()) return e;
    if (auto e = make_bridge("hbr1", "10.124.0.1/24"); !e.empty()) return e;
    pid_t c1 = start_container(), c2 = start_container(), c3 = start_container();
    if (c1 < 0 || c2 < 0 || c3 < 0) return "containers did not start";
    if (auto e = attach(c1, "hbr1", "10.124.0.2/24", "10.124.0.1"); !e.empty()) return e;
    if (auto e = attach(c2, "hbr1", "10.124.0.3/24", "10.124.0.1"); !e.empty()) return e;
    if (auto e = attach(c3, "hbr0", "10.123.0.2/24", "10.123.0.1"); !e.empty()) return e;

    Nft nft("hull_int");
    CHECK_OK(nft.add_network({"hbr0", cidr("10.123.0.0/24"), false}));
    // Before hbr1 is internal, c1 reaches c3 through the host.
    CHECK_EQ_STR(ask("10.123.0.2", 8000, c1), "10.124.0.2");
    CHECK_OK(nft.add_network({"hbr1", cidr("10.124.0.0/24"), true}));
    auto chain = nft_run("list chain ip hull_int forward", false);
    CHECK_OK(chain);
    for (const char* rule :
         {"iifname @bridges_internal iifname . oifname != @internal_self drop",
          "oifname @bridges_internal iifname . oifname != @internal_self drop"}) {
      if (chain->find(rule) == std::string::npos) return "forward chain:\n" + *chain;
    }
    if (ask("10.123.0.2", 8000, c1).rfind("error", 0) != 0) return "c1 reached c3";
    if (ask("10.124.0.2", 8000, c3).rfind("error", 0) != 0) return "c3 reached c1";
    // Within the internal network (through br_netfilter's forward hook when loaded).
    CHECK_EQ_STR(ask("10.124.0.3", 8000, c1), "10.124.0.2");
    CHECK_EQ_STR(ask("10.124.0.2", 8000, c2), "10.124.0.3");
    for (pid_t c : {c1, c2, c3}) {
      ::kill(c, SIGKILL);
      ::waitpid(c, nullptr, 0);
    }
    return "";
  });
  EXPECT_EQ(err, "");
}

}  // namespace
}  // namespace hull::engine
