// parse_spec on the linux section (namespaces, id maps, devices, resources, seccomp …) and
// the rules that span fields (id maps need a user namespace, sysctls their namespace …).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oci/spec.h"

namespace hull::oci {
namespace {

using nlohmann::json;

json config(json linux) {
  return {{"ociVersion", "1.2.0"},
          {"root", {{"path", "rootfs"}}},
          {"process", {{"args", {"sh"}}}},
          {"linux", std::move(linux)}};
}

std::string error_of(const json& j) {
  auto r = parse_spec(j.dump());
  EXPECT_FALSE(r.has_value()) << "parsed: " << j.dump();
  return r.has_value() ? "" : r.error().message();
}

Spec parsed(const json& j) {
  auto r = parse_spec(j.dump());
  EXPECT_TRUE(r.has_value()) << r.error().message();
  return r.has_value() ? *r : Spec{};
}

json ns(const char* type, const char* path = nullptr) {
  json n = {{"type", type}};
  if (path) n["path"] = path;
  return n;
}

json one_map(unsigned host) { return {{{"containerID", 0}, {"hostID", host}, {"size", 1}}}; }

TEST(SpecLinux, Namespaces) {
  Spec s = parsed(config({{"namespaces", {ns("pid"), ns("network", "/run/netns/x"), ns("time")}}}));
  ASSERT_EQ(s.linux.namespaces.size(), 3u);
  EXPECT_EQ(s.linux.namespaces[1].type, NamespaceType::kNetwork);
  EXPECT_EQ(s.linux.namespaces[1].path, "/run/netns/x");
  EXPECT_TRUE(s.linux.namespaces[0].path.empty());
  EXPECT_NE(s.linux.find(NamespaceType::kTime), nullptr);

  EXPECT_EQ(error_of(config({{"namespaces", {ns("pid"), ns("net")}}})),
            "linux.namespaces[1].type: unknown namespace type \"net\"");
  EXPECT_EQ(error_of(config({{"namespaces", {ns("pid"), ns("ipc"), ns("pid")}}})),
            "linux.namespaces[2].type: duplicate namespace \"pid\"");
  EXPECT_EQ(error_of(config({{"namespaces", {ns("ipc", "proc/1/ns/ipc")}}})),
            "linux.namespaces[0].path: must be an absolute path");
}

TEST(SpecLinux, UserNamespaceNeedsMappings) {
  Spec s = parsed(config({{"namespaces", {ns("user")}},
                          {"uidMappings", one_map(1000)},
                          {"gidMappings", one_map(100)}}));
  EXPECT_EQ(s.linux.uid_mappings[0].host_id, 1000u);
  EXPECT_EQ(s.linux.gid_mappings[0].host_id, 100u);

  EXPECT_EQ(error_of(config({{"uidMappings", one_map(1000)}})),
            "linux.uidMappings: requires linux.namespaces to include \"user\"");
  EXPECT_EQ(error_of(config({{"gidMappings", one_map(1000)}})),
            "linux.gidMappings: requires linux.namespaces to include \"user\"");
  EXPECT_EQ(error_of(config({{"namespaces", {ns("user")}}})),
            "linux.uidMappings: required by a new user namespace");
  EXPECT_EQ(error_of(config({{"namespaces", {ns("user")}}, {"uidMappings", one_map(1)}})),
            "linux.gidMappings: required by a new user namespace");
  // Joining an existing user namespace brings its maps along.
  parsed(config({{"namespaces", {ns("user", "/proc/1/ns/user")}}}));

  EXPECT_EQ(error_of(config({{"namespaces", {ns("user")}},
                             {"uidMappings", {{{"containerID", 0}, {"hostID", 1}, {"size", 0}}}},
                             {"gidMappings", one_map(1)}})),
            "linux.uidMappings[0].size: must be greater than zero");
  EXPECT_EQ(error_of(config({{"uidMappings", {{{"containerID", 0}, {"size", 1}}}}})),
            "linux.uidMappings[0].hostID: missing");
}

TEST(SpecLinux, TimeOffsets) {
  json offsets = {{"monotonic", {{"secs", -5}, {"nanosecs", 7}}}, {"boottime", {{"secs", 86400}}}};
  Spec s = parsed(config({{"namespaces", {ns("time")}}, {"timeOffsets", offsets}}));
  EXPECT_EQ(s.linux.time_offsets.at("monotonic").secs, -5);
  EXPECT_EQ(s.linux.time_offsets.at("monotonic").nanosecs, 7u);
  EXPECT_EQ(s.linux.time_offsets.at("boottime").secs, 86400);

  EXPECT_EQ(error_of(config({{"timeOffsets", offsets}})),
            "linux.timeOffsets: requires a new time namespace");
  EXPECT_EQ(
      error_of(config({{"namespaces", {ns("time", "/proc/1/ns/time")}}, {"timeOffsets", offsets}})),
      "linux.timeOffsets: requires a new time namespace");
  EXPECT_EQ(
      error_of(
          config({{"namespaces", {ns("time")}}, {"timeOffsets", {{"realtime", json::object()}}}})),
      "linux.timeOffsets.realtime: unknown clock \"realtime\" (expected monotonic or boottime)");
}

TEST(SpecLinux, HostnameNeedsUts) {
  json j = config({{"namespaces", {ns("mount")}}});
  j["hostname"] = "box";
  EXPECT_EQ(error_of(j), "hostname: cannot be set without a private uts namespace");
  j.erase("hostname");
  j["domainname"] = "example.org";
  EXPECT_EQ(error_of(j), "domainname: cannot be set without a private uts namespace");
  j["linux"]["namespaces"].push_back(ns("uts"));
  j["hostname"] = "box";
  Spec s = parsed(j);
  EXPECT_EQ(s.hostname, "box");
  EXPECT_EQ(s.domainname, "example.org");
}

TEST(SpecLinux, Sysctl) {
  json all = {ns("ipc"), ns("network"), ns("uts")};
  Spec s = parsed(config({{"namespaces", all},
                          {"sysctl",
                           {{"kernel.shmmax", "1"},
                            {"kernel.msgmax", "2"},
                            {"kernel.sem", "1 2 3 4"},
                            {"fs.mqueue.msg_max", "3"},
                            {"net.ipv4.ip_forward", "1"},
                            {"net/ipv4/ping_group_range", "0 0"},
                            {"kernel.domainname", "d"}}}}));
  EXPECT_EQ(s.linux.sysctl.at("kernel.sem"), "1 2 3 4");
  // A joined network namespace is still the container's own.
  parsed(config({{"namespaces", {ns("network", "/run/netns/a")}},
                 {"sysctl", {{"net.core.somaxconn", "1"}}}}));

  EXPECT_EQ(
      error_of(config({{"namespaces", {ns("ipc")}}, {"sysctl", {{"net.ipv4.ip_forward", "1"}}}})),
      "linux.sysctl[\"net.ipv4.ip_forward\"]: requires linux.namespaces to include \"network\"");
  EXPECT_EQ(error_of(config({{"sysctl", {{"kernel.shmmax", "1"}}}})),
            "linux.sysctl[\"kernel.shmmax\"]: requires linux.namespaces to include \"ipc\"");
  EXPECT_EQ(error_of(config({{"sysctl", {{"kernel.hostname", "h"}}}})),
            "linux.sysctl[\"kernel.hostname\"]: requires linux.namespaces to include \"uts\"");
  EXPECT_EQ(error_of(config({{"namespaces", all}, {"sysctl", {{"vm.swappiness", "1"}}}})),
            "linux.sysctl[\"vm.swappiness\"]: not allowed: only namespaced sysctls (kernel.msg*, "
            "kernel.sem, kernel.shm*, fs.mqueue.*, net.*, kernel.hostname, kernel.domainname) can "
            "be set");
  json j = config({{"namespaces", all}, {"sysctl", {{"kernel.hostname", "h"}}}});
  j["hostname"] = "box";
  EXPECT_EQ(error_of(j), "linux.sysctl[\"kernel.hostname\"]: conflicts with the hostname field");
  EXPECT_EQ(error_of(config({{"sysctl", {{"net.core.somaxconn", 1}}}})),
            "linux.sysctl[\"net.core.somaxconn\"]: expected a string");
}

TEST(SpecLinux, Devices) {
  Spec s = parsed(config({{"devices",
                           {{{"path", "/dev/fuse"},
                             {"type", "c"},
                             {"major", 10},
                             {"minor", 229},
                             {"fileMode", 438},
                             {"uid", 0},
                             {"gid", 0}},
                            {{"path", "/dev/pipe"}, {"type", "p"}}}}}));
  ASSERT_EQ(s.linux.devices.size(), 2u);
  EXPECT_EQ(s.linux.devices[0].type, 'c');
  EXPECT_EQ(s.linux.devices[0].major, 10);
  EXPECT_EQ(s.linux.devices[0].minor, 229);
  EXPECT_EQ(s.linux.devices[0].file_mode, 438u);
  EXPECT_EQ(s.linux.devices[1].type, 'p');
  EXPECT_FALSE(s.linux.devices[1].uid.has_value());

  EXPECT_EQ(error_of(config({{"devices", {{{"path", "/dev/x"}, {"type", "x"}}}}})),
            "linux.devices[0].type: unknown device type \"x\" (expected c, b, u or p)");
  EXPECT_EQ(error_of(config({{"devices", {{{"path", "dev/x"}, {"type", "c"}}}}})),
            "linux.devices[0].path: must be an absolute path");
  EXPECT_EQ(error_of(config({{"devices", {{{"path", "/dev/x"}, {"type", "b"}, {"minor", 1}}}}})),
            "linux.devices[0].major: missing");
}

TEST(SpecLinux, Resources) {
  json res = {
      {"devices",
       {{{"allow", false}, {"access", "rwm"}},
        {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "rw"}}}},
      {"memory", {{"limit", 1048576}, {"reservation", 524288}, {"swap", -1}}},
      {"cpu",
       {{"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0-1"}, {"mems", "0"}}},
      {"pids", {{"limit", 64}}},
      {"unified", {{"memory.high", "max"}}},
  };
  Spec s = parsed(config({{"resources", res}, {"cgroupsPath", "/hull/x"}}));
  ASSERT_TRUE(s.linux.resources.has_value());
  const Resources& r = *s.linux.resources;
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_FALSE(r.devices[0].major.has_value());
  EXPECT_EQ(r.devices[1].type, "c");
  EXPECT_EQ(r.devices[1].minor, 3);
  EXPECT_EQ(r.memory_limit, 1048576);
  EXPECT_EQ(r.memory_swap, -1);
  EXPECT_EQ(r.cpu_shares, 512u);
  EXPECT_EQ(r.cpu_quota, 50000);
  EXPECT_EQ(r.cpu_period, 100000u);
  EXPECT_EQ(r.cpuset_cpus, "0-1");
  EXPECT_EQ(r.pids_limit, 64);
  EXPECT_EQ(r.unified.at("memory.high"), "max");
  EXPECT_EQ(s.linux.cgroups_path, "/hull/x");

  EXPECT_EQ(
      error_of(config({{"resources", {{"devices", {{{"allow", true}, {"access", "rwx"}}}}}}})),
      "linux.resources.devices[0].access: expected letters of \"rwm\", got \"rwx\"");
  EXPECT_EQ(error_of(config({{"resources", {{"devices", {{{"access", "r"}}}}}}})),
            "linux.resources.devices[0].allow: missing");
  EXPECT_EQ(error_of(config({{"resources", {{"cpu", {{"shares", -1}}}}}})),
            "linux.resources.cpu.shares: expected an unsigned 64-bit number");
}

TEST(SpecLinux, PathsAndPropagation) {
  Spec s = parsed(config({{"rootfsPropagation", "rslave"},
                          {"maskedPaths", {"/proc/kcore"}},
                          {"readonlyPaths", {"/proc/sys"}},
                          {"mountLabel", "m"}}));
  EXPECT_EQ(s.linux.rootfs_propagation, "rslave");
  EXPECT_EQ(s.linux.masked_paths, std::vector<std::string>{"/proc/kcore"});
  EXPECT_EQ(s.linux.mount_label, "m");
  for (const char* p :
       {"shared", "slave", "private", "unbindable", "rshared", "rprivate", "runbindable"}) {
    parsed(config({{"rootfsPropagation", p}}));
  }
  EXPECT_EQ(error_of(config({{"rootfsPropagation", "rshare"}})),
            "linux.rootfsPropagation: unknown propagation \"rshare\" (expected shared, slave, "
            "private, unbindable or their r-prefixed forms)");
  EXPECT_EQ(error_of(config({{"maskedPaths", {"/proc/kcore", "proc/keys"}}})),
            "linux.maskedPaths[1]: must be an absolute path");
}

TEST(SpecLinux, Seccomp) {
  json seccomp = {
      {"defaultAction", "SCMP_ACT_ERRNO"},
      {"defaultErrnoRet", 1},
      {"architectures", {"SCMP_ARCH_X86_64"}},
      {"flags", {"SECCOMP_FILTER_FLAG_LOG"}},
      {"listenerPath", "/run/notify.sock"},
      {"listenerMetadata", "meta"},
      {"syscalls",
       {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}},
        {{"names", {"personality"}},
         {"action", "SCMP_ACT_ERRNO"},
         {"errnoRet", 38},
         {"args", {{{"index", 0}, {"value", 8}, {"valueTwo", 0}, {"op", "SCMP_CMP_EQ"}}}}},
        {{"names", {"mount"}}, {"action", "SCMP_ACT_NOTIFY"}}}},
  };
  Spec s = parsed(config({{"seccomp", seccomp}}));
  ASSERT_TRUE(s.linux.seccomp.has_value());
  const Seccomp& sc = *s.linux.seccomp;
  EXPECT_EQ(sc.default_action, "SCMP_ACT_ERRNO");
  EXPECT_EQ(sc.default_errno_ret, 1u);
  EXPECT_EQ(sc.architectures, std::vector<std::string>{"SCMP_ARCH_X86_64"});
  EXPECT_EQ(sc.listener_path, "/run/notify.sock");
  ASSERT_EQ(sc.syscalls.size(), 3u);
  EXPECT_EQ(sc.syscalls[0].names.size(), 2u);
  EXPECT_FALSE(sc.syscalls[0].errno_ret.has_value());
  EXPECT_EQ(sc.syscalls[1].errno_ret, 38u);
  ASSERT_EQ(sc.syscalls[1].args.size(), 1u);
  EXPECT_EQ(sc.syscalls[1].args[0].value, 8u);
  EXPECT_EQ(sc.syscalls[1].args[0].op, "SCMP_CMP_EQ");

  auto bad = [&](const std::string& pointer, json value) {
    json j = seccomp;
    j[json::json_pointer(pointer)] = std::move(value);
    return error_of(config({{"seccomp", j}}));
  };
  EXPECT_EQ(bad("/defaultAction", "SCMP_ACT_FOO"),
            "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
  EXPECT_EQ(bad("/defaultAction", "SCMP_ACT_NOTIFY"),
            "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
  EXPECT_EQ(bad("/defaultAction", "SCMP_ACT_ALLOW"),
            "linux.seccomp.defaultErrnoRet: only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
  EXPECT_EQ(bad("/syscalls/1/action", "SCMP_ACT_KILLL"),
            "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_KILLL\"");
  EXPECT_EQ(bad("/syscalls/1/args/0/op", "SCMP_CMP_XX"),
            "linux.seccomp.syscalls[1].args[0].op: unknown operator \"SCMP_CMP_XX\"");
  EXPECT_EQ(bad("/syscalls/1/args/0/index", 6),
            "linux.seccomp.syscalls[1].args[0].index: must be below 6 (a syscall has six "
            "arguments)");
  EXPECT_EQ(bad("/syscalls/0/names", json::array()),
            "linux.seccomp.syscalls[0].names: must not be empty");
  EXPECT_EQ(bad("/flags/0", "SECCOMP_FILTER_FLAG_FOO"),
            "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_FOO\"");
  EXPECT_EQ(bad("/listenerPath", ""),
            "linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
  EXPECT_EQ(error_of(config({{"seccomp", {{"syscalls", json::array()}}}})),
            "linux.seccomp.defaultAction: missing");
}

}  // namespace
}  // namespace hull::oci
