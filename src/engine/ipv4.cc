#include "engine/ipv4.h"

#include <arpa/inet.h>

#include <charconv>

namespace hull::engine {

std::optional<Ipv4> Ipv4::parse(std::string_view text) {
  uint32_t v = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    unsigned octet = 0;
    auto [next, ec] = std::from_chars(p, end, octet);
    // No sign, no leading zeros ("010" is octal to inet_aton: refused rather than guessed).
    if (ec != std::errc() || octet > 255 || next - p > 3 || (next - p > 1 && *p == '0')) {
      return std::nullopt;
    }
    v = v << 8 | octet;
    p = next;
  }
  if (p != end) return std::nullopt;
  return Ipv4{v};
}

std::string Ipv4::str() const {
  return std::to_string(value >> 24) + "." + std::to_string(value >> 16 & 255) + "." +
         std::to_string(value >> 8 & 255) + "." + std::to_string(value & 255);
}

uint32_t Ipv4::network_order() const { return htonl(value); }
Ipv4 Ipv4::from_network_order(uint32_t be) { return Ipv4{ntohl(be)}; }

base::Result<Cidr> Cidr::parse(std::string_view text) {
  size_t slash = text.find('/');
  auto bad = [&](const std::string& why) {
    return base::Error("invalid subnet \"" + std::string(text) + "\": " + why);
  };
  if (slash == std::string_view::npos) return bad("expected ADDRESS/PREFIX, as 172.20.0.0/16");
  auto addr = Ipv4::parse(text.substr(0, slash));
  if (!addr) return bad("not an IPv4 address");
  std::string_view len = text.substr(slash + 1);
  int prefix = -1;
  auto [next, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || next != len.data() + len.size() || prefix < 0 || prefix > 32) {
    return bad("the prefix length must be 0 to 32");
  }
  Cidr c{*addr, prefix};
  if ((addr->value & c.mask()) != addr->value) {
    Cidr base{Ipv4{addr->value & c.mask()}, prefix};
    return bad("host bits are set (did you mean " + base.str() + "?)");
  }
  return c;
}

std::string Cidr::str() const { return base.str() + "/" + std::to_string(prefix); }

bool Cidr::overlaps(const Cidr& o) const {
  int shorter = std::min(prefix, o.prefix);
  uint32_t m = shorter == 0 ? 0 : ~uint32_t{0} << (32 - shorter);
  return (base.value & m) == (o.base.value & m);
}

}  // namespace hull::engine
