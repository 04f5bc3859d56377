// Mount options: config.json names to mount(2) flags, propagation and data, and back.
#include "oci/mount_options.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <algorithm>

namespace hull::oci {
namespace {

TEST(MountOptions, FlagsAndData) {
  auto o = parse_mount_options({"nosuid", "strictatime", "mode=755", "nodev", "size=65536k", "ro"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME | MS_NODEV | MS_RDONLY));
  EXPECT_EQ(o.data, "mode=755,size=65536k");
  EXPECT_EQ(o.propagation, 0ul);
  EXPECT_FALSE(o.is_bind());
}

TEST(MountOptions, EmptyAndDefaults) {
  auto o = parse_mount_options({});
  EXPECT_EQ(o.flags, 0ul);
  EXPECT_EQ(o.data, "");
  o = parse_mount_options({"defaults"});
  EXPECT_EQ(o.flags, 0ul);
  EXPECT_EQ(o.data, "");
}

TEST(MountOptions, LaterOptionsClearEarlierOnes) {
  EXPECT_EQ(parse_mount_options({"ro", "rw"}).flags, 0ul);
  EXPECT_EQ(parse_mount_options({"rw", "ro"}).flags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(parse_mount_options({"nosuid", "suid", "nodev", "dev", "noexec", "exec"}).flags, 0ul);
  EXPECT_EQ(parse_mount_options({"noatime", "atime", "sync", "async", "mand", "nomand"}).flags,
            0ul);
  EXPECT_EQ(parse_mount_options({"relatime", "norelatime", "lazytime", "nolazytime"}).flags, 0ul);
  EXPECT_EQ(parse_mount_options({"silent", "loud", "strictatime", "nostrictatime"}).flags, 0ul);
  EXPECT_EQ(parse_mount_options({"nodiratime", "diratime"}).flags, 0ul);
}

TEST(MountOptions, BindAndPropagation) {
  auto o = parse_mount_options({"rbind", "rslave", "ro"});
  EXPECT_TRUE(o.is_bind());
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  o = parse_mount_options({"bind", "private", "shared"});
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_EQ(o.propagation, static_cast<unsigned long>(MS_SHARED));
  EXPECT_EQ(parse_mount_options({"runbindable"}).propagation,
            static_cast<unsigned long>(MS_UNBINDABLE | MS_REC));
  EXPECT_EQ(parse_mount_options({"rprivate"}).propagation,
            static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(parse_mount_options({"unbindable"}).flags, 0ul);
}

TEST(MountOptions, UnknownOptionsKeepTheirOrder) {
  auto o = parse_mount_options({"newinstance", "nosuid", "ptmxmode=0666", "mode=0620", "gid=5"});
  EXPECT_EQ(o.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  EXPECT_EQ(o.flags, static_cast<unsigned long>(MS_NOSUID));
}

TEST(MountOptions, FlagsString) {
  EXPECT_EQ(mount_flags_string(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC),
            "ro,nosuid,nodev,noexec");
  EXPECT_EQ(mount_flags_string(MS_BIND | MS_REC), "rbind");
  EXPECT_EQ(mount_flags_string(MS_BIND), "bind");
  EXPECT_EQ(mount_flags_string(MS_BIND | MS_REC | MS_RDONLY), "ro,rbind");
  EXPECT_EQ(mount_flags_string(MS_PRIVATE | MS_REC), "rprivate");
  EXPECT_EQ(mount_flags_string(MS_SLAVE), "slave");
  EXPECT_EQ(mount_flags_string(MS_REMOUNT | MS_BIND | MS_RDONLY), "ro,remount,bind");
  EXPECT_EQ(mount_flags_string(0), "");
  EXPECT_EQ(mount_flags_string(MS_MOVE), "");  // no option name: left out
}

TEST(MountOptions, EverySettingNameRoundTrips) {
  for (const auto& name : all_mount_option_names()) {
    auto o = parse_mount_options({name});
    unsigned long bits = o.flags | o.propagation;
    if (bits == 0) continue;  // "defaults" and the clearing names ("rw", "suid" …)
    EXPECT_EQ(mount_flags_string(bits), name);
  }
}

TEST(MountOptions, AllNamesSortedAndComplete) {
  auto names = all_mount_option_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* n :
       {"defaults",   "ro",         "rw",          "suid",        "nosuid",        "dev",
        "nodev",      "exec",       "noexec",      "sync",        "async",         "dirsync",
        "remount",    "mand",       "nomand",      "atime",       "noatime",       "diratime",
        "nodiratime", "relatime",   "norelatime",  "strictatime", "nostrictatime", "bind",
        "rbind",      "private",    "rprivate",    "shared",      "rshared",       "slave",
        "rslave",     "unbindable", "runbindable", "lazytime",    "silent",        "loud"}) {
    EXPECT_TRUE(std::binary_search(names.begin(), names.end(), n)) << n;
  }
}

}  // namespace
}  // namespace hull::oci
