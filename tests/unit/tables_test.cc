// The name tables: signals, capabilities and namespaces parse and print through one table.
#include <gtest/gtest.h>
#include <sched.h>

#include <csignal>

#include "base/signals.h"
#include "oci/capabilities.h"
#include "oci/spec.h"

namespace hull {
namespace {

using base::parse_signal;
using base::signal_name;

TEST(Signals, NamesWithOrWithoutPrefixAnyCase) {
  for (const char* text : {"KILL", "SIGKILL", "sigkill", "kill", "SigKill", "9"}) {
    EXPECT_EQ(parse_signal(text), SIGKILL) << text;
  }
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGWINCH"), SIGWINCH);
  EXPECT_EQ(parse_signal("STKFLT"), 16);
  EXPECT_EQ(parse_signal("IO"), SIGIO);
  EXPECT_EQ(parse_signal("SIGPOLL"), SIGIO);
  EXPECT_EQ(parse_signal("1"), 1);
  EXPECT_EQ(parse_signal("64"), 64);
}

TEST(Signals, Realtime) {
  EXPECT_EQ(parse_signal("SIGRTMIN"), 34);
  EXPECT_EQ(parse_signal("RTMIN+3"), 37);
  EXPECT_EQ(parse_signal("sigrtmin+30"), 64);
  EXPECT_EQ(parse_signal("SIGRTMAX"), 64);
  EXPECT_EQ(parse_signal("SIGRTMAX-2"), 62);
  EXPECT_EQ(parse_signal("rtmax-30"), 34);
}

TEST(Signals, InvalidIsNullopt) {
  for (const char* text :
       {"", "0", "65", "-1", "9x", "SIG", "SIG9", "FOO", "SIGFOO", "SIGRTMIN+", "SIGRTMIN+31",
        "SIGRTMAX-31", "SIGRTMIN-1", "SIGRTMAX+1", "RTMIN3", " KILL", "1000"}) {
    EXPECT_EQ(parse_signal(text), std::nullopt) << text;
  }
}

TEST(Signals, Names) {
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");
  EXPECT_EQ(signal_name(SIGIO), "SIGIO");
  EXPECT_EQ(signal_name(SIGABRT), "SIGABRT");
  EXPECT_EQ(signal_name(34), "SIGRTMIN");
  EXPECT_EQ(signal_name(49), "SIGRTMIN+15");
  EXPECT_EQ(signal_name(50), "SIGRTMAX-14");
  EXPECT_EQ(signal_name(64), "SIGRTMAX");
  EXPECT_EQ(signal_name(32), "SIG32");
}

TEST(Signals, EveryNamedSignalRoundTrips) {
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == 32 || sig == 33) continue;  // glibc's own, no name
    EXPECT_EQ(parse_signal(signal_name(sig)), sig) << signal_name(sig);
  }
}

TEST(Capabilities, Table) {
  EXPECT_EQ(oci::capability_from_name("CAP_CHOWN"), 0);
  EXPECT_EQ(oci::capability_from_name("CAP_SYS_ADMIN"), 21);
  EXPECT_EQ(oci::capability_from_name("CAP_CHECKPOINT_RESTORE"), 40);
  EXPECT_EQ(oci::capability_from_name("cap_chown"), std::nullopt);
  EXPECT_EQ(oci::capability_from_name("CHOWN"), std::nullopt);
  EXPECT_EQ(oci::capability_from_name("CAP_FOO"), std::nullopt);
  EXPECT_EQ(oci::capability_name(29), "CAP_AUDIT_WRITE");
  EXPECT_EQ(oci::capability_name(99), "CAP_99");
  auto names = oci::all_capability_names();
  ASSERT_EQ(names.size(), 41u);
  for (size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(oci::capability_from_name(names[i]), static_cast<int>(i)) << names[i];
    EXPECT_EQ(oci::capability_name(static_cast<int>(i)), names[i]);
  }
}

TEST(Namespaces, Table) {
  const auto& all = oci::all_namespaces();
  ASSERT_EQ(all.size(), 8u);
  int flags = 0;
  for (const auto& info : all) {
    EXPECT_EQ(&oci::namespace_info(info.type), &info);
    EXPECT_EQ(oci::namespace_by_spec_name(info.spec_name), &info);
    EXPECT_EQ(flags & info.clone_flag, 0) << info.spec_name;
    flags |= info.clone_flag;
  }
  const auto& net = oci::namespace_info(oci::NamespaceType::kNetwork);
  EXPECT_STREQ(net.spec_name, "network");
  EXPECT_STREQ(net.proc_name, "net");
  EXPECT_EQ(net.clone_flag, CLONE_NEWNET);
  EXPECT_STREQ(oci::namespace_info(oci::NamespaceType::kMount).proc_name, "mnt");
  EXPECT_EQ(oci::namespace_info(oci::NamespaceType::kMount).clone_flag, CLONE_NEWNS);
  EXPECT_EQ(oci::namespace_info(oci::NamespaceType::kTime).clone_flag, 0x80);
  EXPECT_EQ(oci::namespace_info(oci::NamespaceType::kCgroup).clone_flag, CLONE_NEWCGROUP);
  EXPECT_EQ(oci::namespace_by_spec_name("mnt"), nullptr);
  EXPECT_EQ(oci::namespace_by_spec_name("net"), nullptr);
}

}  // namespace
}  // namespace hull
