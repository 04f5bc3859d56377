#include "runtime/cgroup_devices.h"

#include <algorithm>

#include "runtime/cgroup_values.h"

namespace hull::runtime {

namespace {

oci::DeviceRule allow(const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                      const char* access) {
  return oci::DeviceRule{true, type, major, minor, access};
}

bool resets(const oci::DeviceRule& r) { return r.type.empty() || r.type == "a"; }

DeviceException exception_of(const oci::DeviceRule& r) {
  return DeviceException{r.type[0], device_rule_number(r.major), device_rule_number(r.minor),
                         device_access_bits(device_rule_access(r))};
}

bool matches(const DeviceException& e, char type, uint32_t major, uint32_t minor) {
  return e.type == type && (!e.major || *e.major == major) && (!e.minor || *e.minor == minor);
}

// Whether `wide` is a different exception whose devices include all of `narrow`'s.
bool covers(const DeviceException& wide, const DeviceException& narrow) {
  if (wide.same_key(narrow) || wide.type != narrow.type) return false;
  return (!wide.major || wide.major == narrow.major) && (!wide.minor || wide.minor == narrow.minor);
}

// "c 1:3 rwm", as devices.list shows it.
std::string line_of(const DeviceException& e) {
  auto number = [](const std::optional<uint32_t>& n) {
    return n ? std::to_string(*n) : std::string("*");
  };
  return std::string(1, e.type) + " " + number(e.major) + ":" + number(e.minor) + " " +
         device_access_letters(e.access);
}

std::string describe(bool allowed, const DeviceException& e) {
  return (allowed ? "allow " : "deny ") + line_of(e);
}

// A line of devices.list ("c 1:3 rwm", "b *:5 r"); nullopt for anything else, "a" included.
std::optional<DeviceException> parse_list_line(const std::string& line) {
  size_t colon = line.find(':'), space = line.rfind(' ');
  if (line.size() < 7 || (line[0] != 'c' && line[0] != 'b') || line[1] != ' ' ||
      colon == std::string::npos || space == std::string::npos || space < colon) {
    return std::nullopt;
  }
  auto number = [](const std::string& s) -> std::optional<std::optional<uint32_t>> {
    if (s == "*") return std::optional<uint32_t>();
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos || s.size() > 10) {
      return std::nullopt;
    }
    return device_rule_number(std::stoll(s));
  };
  auto major = number(line.substr(2, colon - 2));
  auto minor = number(line.substr(colon + 1, space - colon - 1));
  const std::string letters = line.substr(space + 1);
  uint8_t access = device_access_bits(letters);
  if (!major || !minor || access == 0 || device_access_letters(access).size() != letters.size()) {
    return std::nullopt;
  }
  return DeviceException{line[0], *major, *minor, access};
}

}  // namespace

bool DevicePolicy::allows(char type, uint32_t major, uint32_t minor, uint8_t access) const {
  if (default_allow) {
    return std::none_of(exceptions.begin(), exceptions.end(), [&](const DeviceException& e) {
      return matches(e, type, major, minor) && (access & e.access) != 0;
    });
  }
  return std::any_of(exceptions.begin(), exceptions.end(), [&](const DeviceException& e) {
    return matches(e, type, major, minor) && (access & ~e.access) == 0;
  });
}

uint8_t device_access_bits(const std::string& letters) {
  uint8_t bits = 0;
  for (char c : letters)
    bits |= c == 'r' ? kDevRead : c == 'w' ? kDevWrite : c == 'm' ? kDevMknod : 0;
  return bits;
}

std::string device_access_letters(uint8_t bits) {
  std::string out;
  if (bits & kDevRead) out += 'r';
  if (bits & kDevWrite) out += 'w';
  if (bits & kDevMknod) out += 'm';
  return out;
}

const std::vector<oci::DeviceRule>& default_device_rules() {
  static const std::vector<oci::DeviceRule> kDefaults = {
      allow("c", std::nullopt, std::nullopt, "m"),  // mknod of any node: useless without r/w
      allow("b", std::nullopt, std::nullopt, "m"),
      allow("c", 1, 3, "rwm"),               // /dev/null
      allow("c", 1, 5, "rwm"),               // /dev/zero
      allow("c", 1, 7, "rwm"),               // /dev/full
      allow("c", 1, 8, "rwm"),               // /dev/random
      allow("c", 1, 9, "rwm"),               // /dev/urandom
      allow("c", 5, 0, "rwm"),               // /dev/tty
      allow("c", 5, 2, "rwm"),               // /dev/ptmx
      allow("c", 136, std::nullopt, "rwm"),  // /dev/pts/*, and a console made there
      allow("c", 10, 200, "rwm"),            // /dev/net/tun
  };
  return kDefaults;
}

std::vector<oci::DeviceRule> with_default_devices(const std::vector<oci::DeviceRule>& spec) {
  auto last_reset = std::find_if(spec.rbegin(), spec.rend(), resets);
  auto at = last_reset == spec.rend() ? spec.begin() : last_reset.base();
  std::vector<oci::DeviceRule> out(spec.begin(), at);
  const auto& defaults = default_device_rules();
  out.insert(out.end(), defaults.begin(), defaults.end());
  out.insert(out.end(), at, spec.end());
  return out;
}

base::Result<DevicePolicy> device_policy(const std::vector<oci::DeviceRule>& rules) {
  DevicePolicy p;
  for (const auto& r : rules) {
    if (resets(r)) {
      p = DevicePolicy{r.allow, {}};
      continue;
    }
    DeviceException ex = exception_of(r);
    auto same = std::find_if(p.exceptions.begin(), p.exceptions.end(),
                             [&](const DeviceException& e) { return e.same_key(ex); });
    if (r.allow != p.default_allow) {  // an exception to the default: add its bits
      if (same != p.exceptions.end()) {
        same->access |= ex.access;
      } else {
        p.exceptions.push_back(ex);
      }
      continue;
    }
    // The same verdict as the default: remove the bits from the exact exception only.
    for (const auto& wide : p.exceptions) {
      if (covers(wide, ex) && (wide.access & ex.access & (kDevRead | kDevWrite)) != 0) {
        return base::Error("linux.resources.devices: " + describe(r.allow, ex) +
                           " cannot take effect after " + describe(!r.allow, wide) +
                           ": cgroup v1 removes only a rule with the same type and numbers, "
                           "so narrow the wider rule instead");
      }
    }
    if (same != p.exceptions.end()) {
      same->access &= static_cast<uint8_t>(~ex.access);
      if (same->access == 0) p.exceptions.erase(same);
    }
  }
  return p;
}

std::optional<std::vector<DeviceWrite>> device_update_writes(const std::string& devices_list,
                                                             const DevicePolicy& target) {
  std::vector<DeviceException> now;
  size_t start = 0;
  while (start < devices_list.size()) {
    size_t end = devices_list.find('\n', start);
    if (end == std::string::npos) end = devices_list.size();
    const std::string line = devices_list.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    auto e = parse_list_line(line);
    if (!e) return std::nullopt;  // "a *:* rwm": allow by default
    now.push_back(*e);
  }
  std::vector<DeviceWrite> out;
  if (target.default_allow) {
    // Allowing everything first only ever grants more for a moment.
    out.push_back({true, "a *:* rwm"});
    for (const auto& e : target.exceptions) out.push_back({false, line_of(e)});
    return out;
  }
  auto bits_in = [](const std::vector<DeviceException>& list, const DeviceException& e) {
    for (const auto& x : list) {
      if (x.same_key(e)) return x.access;
    }
    return uint8_t{0};
  };
  for (auto e : target.exceptions) {
    e.access &= static_cast<uint8_t>(~bits_in(now, e));
    if (e.access) out.push_back({true, line_of(e)});
  }
  for (auto e : now) {
    e.access &= static_cast<uint8_t>(~bits_in(target.exceptions, e));
    if (e.access) out.push_back({false, line_of(e)});
  }
  return out;
}

std::vector<std::string> device_list_lines(const DevicePolicy& p) {
  if (p.default_allow) return {"a *:* rwm"};
  std::vector<std::string> out;
  for (const auto& e : p.exceptions) out.push_back(line_of(e));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace hull::runtime
