// Unit tests of Ipv4 and Cidr: the dotted quads and subnets users type, printed back, and
// the overlap test that keeps two networks (or a network and a host route) apart.
#include "engine/ipv4.h"

#include <gtest/gtest.h>

namespace hull::engine {
namespace {

TEST(Ipv4Test, ParsesAndPrintsDottedQuads) {
  auto a = Ipv4::parse("172.18.0.1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->value, 0xac120001u);
  EXPECT_EQ(a->str(), "172.18.0.1");
  EXPECT_EQ(Ipv4::parse("0.0.0.0")->str(), "0.0.0.0");
  EXPECT_EQ(Ipv4::parse("255.255.255.255")->value, 0xffffffffu);
  EXPECT_EQ(Ipv4::from_network_order(a->network_order()), *a);
  EXPECT_LT(*Ipv4::parse("10.0.0.9"), *Ipv4::parse("10.0.0.10"));
}

TEST(Ipv4Test, RefusesWhatIsNotADottedQuad) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1.2.3.-1", "1.2.3.+1", "1..2.3",
                          "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "1.2.3.4/8", "1234.1.1.1"}) {
    EXPECT_FALSE(Ipv4::parse(bad)) << bad;
  }
}

TEST(Ipv4Test, RefusesLeadingZeros) {
  // inet_aton reads "010" as octal 8: refused rather than guessed either way.
  EXPECT_FALSE(Ipv4::parse("10.0.0.010"));
  EXPECT_FALSE(Ipv4::parse("01.2.3.4"));
  EXPECT_FALSE(Ipv4::parse("1.2.3.00"));
  EXPECT_TRUE(Ipv4::parse("10.0.0.0"));
}

TEST(CidrTest, ParsesAndPrints) {
  auto c = Cidr::parse("172.18.0.0/16");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->str(), "172.18.0.0/16");
  EXPECT_EQ(c->mask(), 0xffff0000u);
  EXPECT_EQ(c->at(1).str(), "172.18.0.1");
  EXPECT_EQ(c->broadcast().str(), "172.18.255.255");
  EXPECT_EQ(c->size(), 65536u);
  EXPECT_TRUE(c->contains(*Ipv4::parse("172.18.200.3")));
  EXPECT_FALSE(c->contains(*Ipv4::parse("172.19.0.1")));
  auto all = Cidr::parse("0.0.0.0/0");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->mask(), 0u);
  EXPECT_EQ(all->size(), uint64_t{1} << 32);
  EXPECT_EQ(Cidr::parse("10.1.2.3/32")->str(), "10.1.2.3/32");
}

TEST(CidrTest, HostBitsSetIsAnErrorThatSaysTheSubnet) {
  auto c = Cidr::parse("172.18.0.1/16");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().message(),
            "invalid subnet \"172.18.0.1/16\": host bits are set (did you mean 172.18.0.0/16?)");
}

TEST(CidrTest, RefusesMalformedSubnets) {
  for (const char* bad : {"172.18.0.0", "172.18.0.0/", "172.18.0.0/33", "172.18.0.0/-1",
                          "172.18.0.0/16x", "172.018.0.0/16", "/16", "172.18.0.0/+16"}) {
    auto c = Cidr::parse(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message().find(bad), std::string::npos) << c.error().message();
  }
  EXPECT_NE(Cidr::parse("1.2.3.4/40").error().message().find("0 to 32"), std::string::npos);
}

TEST(CidrTest, Overlaps) {
  auto c = [](const char* s) { return *Cidr::parse(s); };
  EXPECT_TRUE(c("10.0.0.0/8").overlaps(c("10.20.0.0/16")));
  EXPECT_TRUE(c("10.20.0.0/16").overlaps(c("10.0.0.0/8")));
  EXPECT_TRUE(c("172.18.0.0/16").overlaps(c("172.18.0.0/16")));
  EXPECT_TRUE(c("0.0.0.0/0").overlaps(c("192.168.1.0/24")));
  EXPECT_TRUE(c("192.168.1.0/24").overlaps(c("192.168.1.7/32")));
  EXPECT_FALSE(c("172.18.0.0/16").overlaps(c("172.19.0.0/16")));
  EXPECT_FALSE(c("192.168.1.0/25").overlaps(c("192.168.1.128/25")));
}

}  // namespace
}  // namespace hull::engine
