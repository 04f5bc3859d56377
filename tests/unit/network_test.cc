// The pure parts of the engine's networks: -p syntax, subnet choice, address allocation on
// disk (a temp dir as the root), and the /etc files name resolution reads.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "base/sys.h"
#include "engine/network_files.h"
#include "engine/network_store.h"
#include "engine/ports.h"

namespace hull::engine {
namespace {

TEST(Publish, ParsesDockersForms) {
  auto p = parse_publish("8080:80");
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->size(), 1u);
  EXPECT_EQ(port_str((*p)[0]), "0.0.0.0:8080->80/tcp");

  p = parse_publish("127.0.0.1:5353:53/udp");
  ASSERT_TRUE(p);
  EXPECT_EQ(port_str((*p)[0]), "127.0.0.1:5353->53/udp");

  p = parse_publish("80");  // the host port is chosen at booking
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)[0].host_port, 0);
  EXPECT_EQ((*p)[0].container_port, 80);

  p = parse_publish("127.0.0.1::80");
  ASSERT_TRUE(p);
  EXPECT_EQ(port_str((*p)[0]), "127.0.0.1:0->80/tcp");

  p = parse_publish("9000-9002:90-92");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 3u);
  EXPECT_EQ(port_str((*p)[2]), "0.0.0.0:9002->92/tcp");
}

TEST(Publish, RefusesNamingTheValue) {
  for (const char* bad : {"", "0:80", "80:70000", "1.2.3:80:80", "80/sctp", "90-80:80",
                          "9000-9001:90-92", "9000:90-92", "a:b:c:d"}) {
    auto p = parse_publish(bad);
    ASSERT_FALSE(p) << bad;
    EXPECT_NE(p.error().message().find(std::string("-p ") + bad), std::string::npos)
        << p.error().message();
  }
}

TEST(Publish, ExposedPortsOnChosenHostPorts) {
  auto p = publish_exposed({"80/tcp", "53/udp"});
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[1].proto, "udp");
  EXPECT_EQ((*p)[1].host_port, 0);
  auto round = ports_from_json(ports_json(*p));
  EXPECT_EQ(round, *p);
}

Cidr cidr(const char* text) { return *Cidr::parse(text); }

TEST(Subnet, FirstFreeOfDockersPools) {
  SubnetChoice c;
  c.taken = {{cidr("172.17.0.0/16"), "network hull0"}, {cidr("172.18.5.0/24"), "a route"}};
  auto s = choose_subnet(c, "");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->str(), "172.19.0.0/16");
}

TEST(Subnet, WantedOverlapNamesWhatHoldsIt) {
  SubnetChoice c;
  c.taken = {{cidr("10.1.2.0/24"), "the route 10.1.2.0/24 dev eth0 of this host"}};
  auto s = choose_subnet(c, "10.1.0.0/16");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(),
            "--subnet 10.1.0.0/16 overlaps 10.1.2.0/24 (the route 10.1.2.0/24 dev eth0 of this "
            "host) (choose a subnet that no route or network of this host uses)");
  EXPECT_TRUE(choose_subnet(c, "10.2.0.0/16"));
  EXPECT_FALSE(choose_subnet(c, "10.3.0.0/31"));
}

class AllocateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hull-net-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    paths_.root = tmpl;
    net_.name = "n1";
    net_.id = std::string(64, 'a');
    net_.bridge = "hull-test";
    net_.subnet = cidr("10.9.0.0/29");  // .1 gateway, .2-.6 for containers
    net_.gateway = Ipv4{net_.subnet.base.value + 1};
    ASSERT_TRUE(NetworkStore(paths_).save(net_));
  }
  void TearDown() override { (void)base::sys::remove_all(paths_.root); }
  Paths paths_;
  NetworkConfig net_;
};

TEST_F(AllocateTest, LowestFreeThenReleasedAndReused) {
  NetworkStore s(paths_);
  EXPECT_EQ(s.allocate(net_, "c1", std::nullopt)->str(), "10.9.0.2");
  EXPECT_EQ(s.allocate(net_, "c2", std::nullopt)->str(), "10.9.0.3");
  s.release("n1", "c1");
  EXPECT_EQ(s.allocate(net_, "c3", std::nullopt)->str(), "10.9.0.2");
  auto h = s.holders("n1");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h[*Ipv4::parse("10.9.0.3")], "c2");
  auto loaded = s.load("n1");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->subnet, net_.subnet);
}

TEST_F(AllocateTest, WantedAddressChecked) {
  NetworkStore s(paths_);
  EXPECT_EQ(s.allocate(net_, "c1", Ipv4::parse("10.9.0.5"))->str(), "10.9.0.5");
  auto taken = s.allocate(net_, "c2", Ipv4::parse("10.9.0.5"));
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().message(), "--ip 10.9.0.5 is already in use on network n1 by container c1");
  EXPECT_FALSE(s.allocate(net_, "c2", Ipv4::parse("10.9.0.1")));  // the gateway
  EXPECT_FALSE(s.allocate(net_, "c2", Ipv4::parse("10.9.0.7")));  // broadcast
  EXPECT_FALSE(s.allocate(net_, "c2", Ipv4::parse("10.9.1.2")));  // another subnet
}

TEST_F(AllocateTest, FullNetworkSaysSoAndParallelClaimsNeverShare) {
  NetworkStore s(paths_);
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto a = s.allocate(net_, "c" + std::to_string(i), std::nullopt);
      got[i] = a ? a->str() : "";
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct;
  int ok = 0;
  for (const auto& g : got) {
    if (g.empty()) continue;
    ++ok;
    distinct.insert(g);
  }
  EXPECT_EQ(ok, 5);  // .2 to .6
  EXPECT_EQ(distinct.size(), 5u);
  auto full = s.allocate(net_, "late", std::nullopt);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().message(), "network n1 (10.9.0.0/29) has no free address left");
}

TEST(EtcFiles, ResolvDropsLoopbackServersAndFallsBack) {
  std::string host = "search example.org\nnameserver 127.0.0.53\noptions edns0\n";
  EXPECT_EQ(render_resolv(host, {}, false),
            "search example.org\noptions edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
  EXPECT_EQ(render_resolv("nameserver 192.0.2.53\n", {}, false), "nameserver 192.0.2.53\n");
  EXPECT_EQ(render_resolv("nameserver 192.0.2.53\n", {"10.0.0.2"}, false),
            "nameserver 10.0.0.2\n");
  EXPECT_EQ(render_resolv(host, {}, true), host);
}

TEST(EtcFiles, HostsHasOwnExtraAndPeers) {
  std::string h = render_hosts({{"172.20.0.2", {"web1", "web"}}}, {{"10.1.2.3", {"db"}}},
                               {{"172.20.0.3", {"api", "backend", "0123456789ab"}}});
  EXPECT_EQ(h,
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
            "172.20.0.2\tweb1\tweb\n10.1.2.3\tdb\n172.20.0.3\tapi\tbackend\t0123456789ab\n");
}

TEST(EtcFiles, AddHostAndDnsChecked) {
  auto l = parse_add_host("db:10.1.2.3");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->ip, "10.1.2.3");
  EXPECT_TRUE(parse_add_host("v6:2001:db8::1"));
  EXPECT_EQ(parse_add_host("nocolon").error().message(), "--add-host nocolon: expected NAME:IP");
  EXPECT_FALSE(parse_add_host("db:10.1.2"));
  EXPECT_FALSE(parse_add_host("d b:10.1.2.3"));
  EXPECT_TRUE(validate_dns("192.0.2.1"));
  EXPECT_FALSE(validate_dns("resolver"));
}

TEST(EtcFiles, RewriteInPlaceKeepsTheInode) {
  char tmpl[] = "/tmp/hull-hosts-XXXXXX";
  int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ::close(fd);
  struct stat before, after;
  ASSERT_TRUE(rewrite_in_place(tmpl, "a long first version of the file\n"));
  ASSERT_EQ(::stat(tmpl, &before), 0);
  ASSERT_TRUE(rewrite_in_place(tmpl, "short\n"));
  ASSERT_EQ(::stat(tmpl, &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino);
  EXPECT_EQ(*base::sys::read_file(tmpl), "short\n");
  ::unlink(tmpl);
}

}  // namespace
}  // namespace hull::engine
