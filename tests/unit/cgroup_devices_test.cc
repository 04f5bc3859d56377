// linux.resources.devices, purely: the v1 policy model, the runtime's default rules, and the
// v2 eBPF filter, run here by a small interpreter of the instructions the generator emits and
// compared with the model over a grid of devices and accesses, for fixed and random rules.
#include "runtime/cgroup_devices.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "device_rules.h"
#include "runtime/cgroup_devices_bpf.h"
#include "runtime/cgroup_values.h"

namespace hull::runtime {
namespace {

using oci::DeviceRule;
using testing::allow;
using testing::deny;
using testing::kAllowAll;
using testing::kAny;
using testing::kDenyAll;

DevicePolicy policy(const std::vector<DeviceRule>& rules) {
  auto p = device_policy(rules);
  EXPECT_TRUE(p) << p.error().message();
  return p ? *p : DevicePolicy{};
}

TEST(DevicePolicy, DenyDefaultWithAllowExceptions) {
  auto p = policy({kDenyAll, allow("c", 1, 3, "rw")});
  EXPECT_FALSE(p.default_allow);
  EXPECT_TRUE(p.allows('c', 1, 3, kDevRead));
  EXPECT_TRUE(p.allows('c', 1, 3, kDevRead | kDevWrite));
  EXPECT_FALSE(p.allows('c', 1, 3, kDevMknod));
  EXPECT_FALSE(p.allows('c', 1, 5, kDevRead));
  EXPECT_FALSE(p.allows('b', 1, 3, kDevRead));
  EXPECT_EQ(device_list_lines(p), (std::vector<std::string>{"c 1:3 rw"}));
}

TEST(DevicePolicy, TheStartIsDenyAll) {
  auto p = policy({allow("c", 1, 3, "r")});
  EXPECT_TRUE(p.allows('c', 1, 3, kDevRead));
  EXPECT_FALSE(p.allows('c', 1, 5, kDevRead));
  EXPECT_FALSE(policy({}).allows('c', 1, 3, kDevRead));
}

TEST(DevicePolicy, ALaterRuleOfTheDefaultsVerdictRemovesBits) {
  auto p = policy({kDenyAll, allow("c", 1, 3, "rwm"), deny("c", 1, 3, "w")});
  EXPECT_TRUE(p.allows('c', 1, 3, kDevRead));
  EXPECT_FALSE(p.allows('c', 1, 3, kDevWrite));
  EXPECT_FALSE(p.allows('c', 1, 3, kDevRead | kDevWrite));
  EXPECT_EQ(device_list_lines(p), (std::vector<std::string>{"c 1:3 rm"}));
  // Removing every bit removes the exception; removing one that is not there changes nothing.
  p = policy({kDenyAll, allow("c", 1, 3, "r"), deny("c", 1, 3, "rwm"), deny("c", 9, 9, "r")});
  EXPECT_TRUE(p.exceptions.empty());
}

TEST(DevicePolicy, RulesForTheSameDeviceMerge) {
  // One exception must grant every bit asked for: merged, "r" and "w" grant "rw".
  auto p = policy({kDenyAll, allow("c", 1, 3, "r"), allow("c", 1, 3, "w")});
  ASSERT_EQ(p.exceptions.size(), 1u);
  EXPECT_TRUE(p.allows('c', 1, 3, kDevRead | kDevWrite));
  // Different keys do not combine, as in the kernel.
  p = policy({kDenyAll, allow("c", 1, kAny, "r"), allow("c", 1, 3, "w")});
  EXPECT_FALSE(p.allows('c', 1, 3, kDevRead | kDevWrite));
}

TEST(DevicePolicy, TypeAResetsWhateverItsNumbers) {
  auto p = policy({kDenyAll, allow("c", 1, 3, "rwm"), allow("a", 1, 3, "r")});
  EXPECT_TRUE(p.default_allow);
  EXPECT_TRUE(p.exceptions.empty());
  EXPECT_EQ(device_list_lines(p), (std::vector<std::string>{"a *:* rwm"}));
  // An unset type is "a".
  p = policy({kAllowAll, deny("", kAny, kAny, "")});
  EXPECT_FALSE(p.default_allow);
  EXPECT_FALSE(p.allows('c', 1, 3, kDevRead));
}

TEST(DevicePolicy, AllowDefaultWithDenyExceptions) {
  auto p = policy({kAllowAll, deny("c", 1, 3, "w")});
  EXPECT_TRUE(p.allows('c', 1, 3, kDevRead));
  EXPECT_FALSE(p.allows('c', 1, 3, kDevWrite));
  // Any bit of a deny exception denies the whole access, as the kernel's partial match does.
  EXPECT_FALSE(p.allows('c', 1, 3, kDevRead | kDevWrite));
  EXPECT_TRUE(p.allows('c', 1, 5, kDevWrite));
  p = policy({kAllowAll, deny("c", 1, 3, "rwm"), allow("c", 1, 3, "rw")});
  EXPECT_TRUE(p.allows('c', 1, 3, kDevRead | kDevWrite));
  EXPECT_FALSE(p.allows('c', 1, 3, kDevMknod));
}

TEST(DevicePolicy, Wildcards) {
  auto p = policy({kDenyAll, allow("c", 136, kAny, "rwm"), allow("b", kAny, kAny, "m"),
                   allow("c", -1, 4294967295, "r")});
  EXPECT_TRUE(p.allows('c', 136, 7, kDevRead | kDevWrite));
  EXPECT_FALSE(p.allows('c', 137, 0, kDevWrite));
  EXPECT_TRUE(p.allows('b', 8, 0, kDevMknod));
  EXPECT_FALSE(p.allows('b', 8, 0, kDevRead));
  EXPECT_TRUE(p.allows('c', 42, 42, kDevRead));  // -1 and 4294967295 both mean any
}

TEST(DevicePolicy, NoAccessLettersMeansAllOfThem) {
  auto p = policy({kDenyAll, allow("c", 1, 3, "")});
  EXPECT_TRUE(p.allows('c', 1, 3, kDevAll));
}

TEST(DevicePolicy, AHoleInAWiderRuleIsAnError) {
  // The kernel would keep allowing /dev/null here; say so instead.
  auto p = device_policy({kDenyAll, allow("c", kAny, kAny, "rwm"), deny("c", 1, 3, "rw")});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(),
            "linux.resources.devices: deny c 1:3 rw cannot take effect after allow c *:* rwm: "
            "cgroup v1 removes only a rule with the same type and numbers, so narrow the wider "
            "rule instead");
  p = device_policy({kAllowAll, deny("b", 8, kAny, "w"), allow("b", 8, 1, "rw")});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("allow b 8:1 rw cannot take effect after deny b 8:* w"),
            std::string::npos);
  // Mknod alone may stay granted by a wider rule (the defaults grant it for every node).
  EXPECT_TRUE(device_policy({kDenyAll, allow("c", kAny, kAny, "m"), deny("c", 1, 5, "rwm")}));
  // A rule on another device, or another type, is no hole.
  EXPECT_TRUE(device_policy({kDenyAll, allow("c", 1, kAny, "rwm"), deny("c", 4, 0, "rwm")}));
  EXPECT_TRUE(device_policy({kDenyAll, allow("b", kAny, kAny, "rwm"), deny("c", 1, 3, "rwm")}));
}

TEST(DefaultDevices, GoAfterTheLastReset) {
  const auto& d = default_device_rules();
  auto with = with_default_devices({});
  EXPECT_EQ(with.size(), d.size());
  with = with_default_devices({kDenyAll, deny("c", 1, 5, "rwm")});
  ASSERT_EQ(with.size(), d.size() + 2);
  EXPECT_EQ(device_rule_line(with.front()), "a *:* rwm");
  EXPECT_EQ(device_rule_line(with[1]), device_rule_line(d.front()));
  EXPECT_EQ(device_rule_line(with.back()), "c 1:5 rwm");
  EXPECT_FALSE(with.back().allow);
  with = with_default_devices({allow("c", 1, 1, "r"), kDenyAll, allow("c", 4, 0, "r")});
  ASSERT_EQ(with.size(), d.size() + 3);
  EXPECT_EQ(device_rule_line(with[0]), "c 1:1 r");
  EXPECT_EQ(device_rule_line(with[2]), device_rule_line(d.front()));
  EXPECT_EQ(device_rule_line(with.back()), "c 4:0 r");
}

TEST(DefaultDevices, ASpecCanStillDenyOne) {
  auto p = policy(with_default_devices({kDenyAll, deny("c", 1, 5, "rwm")}));
  EXPECT_TRUE(p.allows('c', 1, 3, kDevRead | kDevWrite));    // /dev/null
  EXPECT_FALSE(p.allows('c', 1, 5, kDevRead));               // /dev/zero
  EXPECT_TRUE(p.allows('c', 1, 5, kDevMknod));               // c *:* m: a node, but no use
  EXPECT_TRUE(p.allows('c', 136, 3, kDevRead | kDevWrite));  // a pty
  EXPECT_FALSE(p.allows('b', 8, 0, kDevRead));
  // A spec that allows everything keeps doing so.
  p = policy(with_default_devices({kAllowAll}));
  EXPECT_TRUE(p.default_allow);
  EXPECT_TRUE(p.exceptions.empty());
}

std::vector<std::string> writes_of(const std::optional<std::vector<DeviceWrite>>& w) {
  std::vector<std::string> out;
  for (const auto& x : w.value_or(std::vector<DeviceWrite>{})) {
    out.push_back((x.allow ? "allow " : "deny ") + x.line);
  }
  return out;
}

TEST(DeviceUpdate, OnlyTheDifferenceAndNeverDenyAll) {
  auto target = policy(
      {kDenyAll, allow("c", 1, 3, "rwm"), allow("c", 1, 9, "r"), allow("c", 136, kAny, "rw")});
  EXPECT_EQ(writes_of(device_update_writes("c 1:3 rwm\nc 1:5 rwm\nc 136:* r\n", target)),
            (std::vector<std::string>{"allow c 1:9 r", "allow c 136:* w", "deny c 1:5 rwm"}));
  EXPECT_EQ(writes_of(device_update_writes("c 1:3 rwm\nc 1:9 r\nc 136:* rw\n", target)),
            std::vector<std::string>{});
  // To an allow default: allow everything, then the deny exceptions.
  target = policy({kAllowAll, deny("b", 8, kAny, "w")});
  EXPECT_EQ(writes_of(device_update_writes("c 1:3 rwm\n", target)),
            (std::vector<std::string>{"allow a *:* rwm", "deny b 8:* w"}));
}

TEST(DeviceUpdate, AFreshOrUnreadableListGetsTheRulesInOrder) {
  auto target = policy({kDenyAll});
  EXPECT_FALSE(device_update_writes("a *:* rwm\n", target));
  EXPECT_FALSE(device_update_writes("c 1:3 rwm\nx y\n", target));
  EXPECT_FALSE(device_update_writes("c 1:3 rwx\n", target));
  EXPECT_FALSE(device_update_writes("c 1:3\n", target));
  // An empty list denies everything: a deny-default list with no exceptions.
  EXPECT_EQ(writes_of(device_update_writes("", policy({kDenyAll, allow("c", 1, 3, "r")}))),
            std::vector<std::string>{"allow c 1:3 r"});
}

// ---- the eBPF filter ----------------------------------------------------------------------

// Runs a device program as the kernel would for one access. Knows only the instructions the
// generator emits; anything else, a jump out of the program or backwards, is a test failure.
int run_filter(const std::vector<bpf_insn>& prog, uint32_t access_type, uint32_t major,
               uint32_t minor) {
  bpf_cgroup_dev_ctx ctx{access_type, major, minor};
  uint64_t r[11] = {};
  constexpr uint64_t kCtxPtr = 0xc7c7;
  r[1] = kCtxPtr;
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const bpf_insn& i = prog[pc];
    auto jump = [&](bool taken) {
      EXPECT_GE(i.off, 0) << "backward jump at " << pc;
      EXPECT_LT(pc + 1 + i.off, prog.size() + 0) << "jump out of the program at " << pc;
      if (taken) pc += i.off;
    };
    const uint32_t low = static_cast<uint32_t>(r[i.dst_reg]);
    switch (i.code) {
      case BPF_LDX | BPF_MEM | BPF_W: {
        EXPECT_EQ(r[i.src_reg], kCtxPtr) << "load from a register that is not the context";
        EXPECT_TRUE(i.off == 0 || i.off == 4 || i.off == 8) << "context offset " << i.off;
        uint32_t v = 0;
        std::memcpy(&v, reinterpret_cast<const char*>(&ctx) + i.off, sizeof(v));
        r[i.dst_reg] = v;
        break;
      }
      case BPF_ALU | BPF_MOV | BPF_X:
        r[i.dst_reg] = static_cast<uint32_t>(r[i.src_reg]);
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        r[i.dst_reg] = low & static_cast<uint32_t>(i.imm);
        break;
      case BPF_ALU | BPF_RSH | BPF_K:
        r[i.dst_reg] = low >> i.imm;
        break;
      case BPF_ALU64 | BPF_MOV | BPF_K:
        r[i.dst_reg] = static_cast<uint64_t>(int64_t{i.imm});
        break;
      case BPF_JMP32 | BPF_JNE | BPF_K:
        jump(low != static_cast<uint32_t>(i.imm));
        break;
      case BPF_JMP32 | BPF_JEQ | BPF_K:
        jump(low == static_cast<uint32_t>(i.imm));
        break;
      case BPF_JMP | BPF_EXIT:
        return static_cast<int>(r[0]);
      default:
        ADD_FAILURE() << "unexpected opcode " << int{i.code} << " at " << pc;
        return -1;
    }
  }
  ADD_FAILURE() << "the program runs off its end";
  return -1;
}

// The filter's answer for one access.
bool filter_allows(const std::vector<bpf_insn>& prog, char type, uint32_t major, uint32_t minor,
                   uint8_t access) {
  uint32_t dev = type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
  int verdict = run_filter(prog, (uint32_t{access} << 16) | dev, major, minor);
  EXPECT_TRUE(verdict == 0 || verdict == 1) << verdict;
  return verdict == 1;
}

// Every answer of the filter over a grid of devices and accesses is the model's.
void expect_filter_is_policy(const std::vector<DeviceRule>& rules) {
  auto p = device_policy(rules);
  ASSERT_TRUE(p) << p.error().message();
  auto prog = device_filter(rules);
  ASSERT_TRUE(prog);
  for (char type : {'c', 'b'}) {
    for (uint32_t major : {0u, 1u, 5u, 136u, 4294967294u}) {
      for (uint32_t minor : {0u, 3u, 5u, 9u}) {
        for (uint8_t access = 1; access <= kDevAll; ++access) {
          ASSERT_EQ(filter_allows(*prog, type, major, minor, access),
                    p->allows(type, major, minor, access))
              << type << " " << major << ":" << minor << " " << device_access_letters(access);
        }
      }
    }
  }
}

TEST(DeviceFilter, AnswersAsThePolicyDoes) {
  expect_filter_is_policy({});
  expect_filter_is_policy({kAllowAll});
  expect_filter_is_policy({kDenyAll, allow("c", 1, 3, "rw"), allow("c", 1, kAny, "m")});
  expect_filter_is_policy({kAllowAll, deny("c", 1, 3, "w"), deny("b", kAny, 5, "rwm")});
  expect_filter_is_policy({kAllowAll, deny("c", 4294967294, 0, "r")});
  expect_filter_is_policy(with_default_devices({kDenyAll, deny("c", 1, 5, "rwm")}));
}

TEST(DeviceFilter, ThePrograms) {
  // Deny-all is the six-instruction preamble and "return 0".
  auto deny_all = device_filter(DevicePolicy{});
  ASSERT_EQ(deny_all.size(), 8u);
  EXPECT_EQ(deny_all[6].code, BPF_ALU64 | BPF_MOV | BPF_K);
  EXPECT_EQ(deny_all[6].imm, 0);
  EXPECT_EQ(deny_all[7].code, BPF_JMP | BPF_EXIT);
  // A full-access exception needs no access test: type, major, minor, verdict.
  auto one = device_filter(*device_policy({allow("c", 1, 3, "rwm")}));
  EXPECT_EQ(one.size(), 8u + 5u);
  EXPECT_EQ(one[6].off, 4);  // past the block, to the default
}

TEST(DeviceFilter, RandomRulesAgreeWithThePolicy) {
  std::mt19937 rng(20240611);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const std::optional<int64_t> numbers[] = {kAny, 1, 3, 5, -1};
  const char* types[] = {"c", "c", "b", "b", "c", "a"};
  int checked = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<DeviceRule> rules;
    int n = 1 + pick(8);
    for (int i = 0; i < n; ++i) {
      rules.push_back(DeviceRule{pick(2) == 0, types[pick(6)], numbers[pick(5)], numbers[pick(5)],
                                 device_access_letters(static_cast<uint8_t>(pick(8)))});
    }
    if (!device_policy(rules)) continue;  // a hole in a wider rule: refused, tested above
    expect_filter_is_policy(rules);
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace hull::runtime
