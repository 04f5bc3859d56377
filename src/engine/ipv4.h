// IPv4 addresses and subnets as the network code needs them: parsed from the text users
// type, printed back, compared for overlap, and counted through for address management.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace hull::engine {

// An address in host byte order (10.0.0.1 is 0x0a000001).
struct Ipv4 {
  uint32_t value = 0;

  static std::optional<Ipv4> parse(std::string_view text);  // dotted quad only
  std::string str() const;
  uint32_t network_order() const;
  static Ipv4 from_network_order(uint32_t be);
  bool is_zero() const { return value == 0; }
  auto operator<=>(const Ipv4&) const = default;
};

// A subnet: the address with the host bits cleared, and the prefix length.
struct Cidr {
  Ipv4 base;
  int prefix = 32;

  // "172.18.0.0/16". Host bits set ("172.18.0.1/16") is an error, as docker says it.
  static base::Result<Cidr> parse(std::string_view text);
  std::string str() const;
  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  bool contains(Ipv4 a) const { return (a.value & mask()) == base.value; }
  bool overlaps(const Cidr& o) const;
  // The n-th address of the subnet (0 is the network address).
  Ipv4 at(uint32_t n) const { return Ipv4{base.value + n}; }
  uint64_t size() const { return uint64_t{1} << (32 - prefix); }
  Ipv4 broadcast() const { return Ipv4{base.value | ~mask()}; }
  auto operator<=>(const Cidr&) const = default;
};

}  // namespace hull::engine
