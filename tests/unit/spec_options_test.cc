// build_spec's mounts, namespaces, time offsets, resources, devices, sysctls and seccomp
// flags (the process side is in spec_builder_test.cc), and the value parsers behind them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/sys.h"
#include "engine/spec_builder.h"
#include "engine/spec_flags.h"
#include "spec_fixture.h"

namespace hull::engine {
namespace {

using nlohmann::json;

const std::string kId = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

using testing::strings;

class SpecBuilderOptionsTest : public testing::SpecFixture {
 protected:
  void SetUp() override { init(kId, "/rootfs"); }
  static std::vector<std::string> destinations(const json& spec) {
    std::vector<std::string> out;
    for (const auto& m : spec["mounts"]) out.push_back(m["destination"]);
    return out;
  }
  // linux.namespaces as "type" or "type=path".
  static std::vector<std::string> namespaces(const json& spec) {
    std::vector<std::string> out;
    for (const auto& ns : spec["linux"]["namespaces"]) {
      out.push_back(ns["type"].get<std::string>() +
                    (ns.contains("path") ? "=" + ns["path"].get<std::string>() : ""));
    }
    return out;
  }
};

// ---- mounts

TEST_F(SpecBuilderOptionsTest, VolumesAreRecursiveBinds) {
  run.volumes = {"/srv/data:/data", "/etc/hosts:/etc/hosts:ro", "/srv/x:/x:rw,rslave,z"};
  json s = build();
  EXPECT_EQ(mount_at(s, "/data"), json({{"destination", "/data"},
                                        {"type", "bind"},
                                        {"source", "/srv/data"},
                                        {"options", {"rbind"}}}));
  EXPECT_EQ(strings(mount_at(s, "/etc/hosts")["options"]),
            (std::vector<std::string>{"rbind", "ro"}));
  EXPECT_EQ(strings(mount_at(s, "/x")["options"]), (std::vector<std::string>{"rbind", "rslave"}));
}

TEST_F(SpecBuilderOptionsTest, VolumeErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"data:/data", "named volumes are not supported yet; give an absolute host path"},
      {"/data", "anonymous volumes are not supported yet; give HOST-PATH:CONTAINER-PATH"},
      {"/a:data", "the container path \"data\" must be absolute"},
      {"/a:/", "cannot mount over /"},
      {"/a:/b:ro:x", "expected HOST-PATH:CONTAINER-PATH[:OPTIONS]"},
      {"/a:/b:fast", "unknown option \"fast\" (expected ro, rw or a propagation such as rslave)"},
  };
  for (const auto& [value, problem] : cases) {
    run.volumes = {value};
    EXPECT_EQ(error(), "-v \"" + value + "\": " + problem);
  }
}

TEST_F(SpecBuilderOptionsTest, MountFlag) {
  run.mounts = {"type=bind,source=/srv,target=/srv,readonly",
                "type=bind,src=/a,dst=/b,ro=false,bind-propagation=rshared",
                "type=tmpfs,destination=/cache,tmpfs-size=64m,tmpfs-mode=1770"};
  json s = build();
  EXPECT_EQ(mount_at(s, "/srv"), json({{"destination", "/srv"},
                                       {"type", "bind"},
                                       {"source", "/srv"},
                                       {"options", {"rbind", "ro"}}}));
  EXPECT_EQ(strings(mount_at(s, "/b")["options"]), (std::vector<std::string>{"rbind", "rshared"}));
  EXPECT_EQ(mount_at(s, "/cache"),
            json({{"destination", "/cache"},
                  {"type", "tmpfs"},
                  {"source", "tmpfs"},
                  {"options", {"noexec", "nosuid", "nodev", "size=67108864", "mode=1770"}}}));
}

TEST_F(SpecBuilderOptionsTest, MountFlagErrors) {
  const std::pair<std::string, std::string> cases[] = {
      {"type=bind,source=/a,target=/b,color=red", "unknown key \"color\""},
      {"type=tmpfs,target=/t,tmpfs-size=12x",
       "tmpfs-size \"12x\": expected a size such as 512m "
       "or 1g"},
      {"type=tmpfs,target=/t,tmpfs-mode=999",
       "tmpfs-mode \"999\": expected an octal mode such "
       "as 1770"},
      {"type=bind,source=/a", "missing target="},
      {"type=bind,target=/b", "missing source= (an absolute host path)"},
      {"source=/a,target=/b", "missing type= (bind or tmpfs)"},
      {"type=volume,source=v,target=/v",
       "named volumes are not supported yet; use type=bind "
       "with an absolute source"},
      {"type=npipe,target=/v", "type \"npipe\": expected bind or tmpfs"},
      {"type=bind,source=/a,target=/b,readonly=yes", "readonly \"yes\": expected true or false"},
      {"type=tmpfs,source=/a,target=/b", "a tmpfs mount takes no source"},
      {"type=bind,source=/a,target=/b,tmpfs-size=1m",
       "tmpfs-size and tmpfs-mode need "
       "type=tmpfs"},
      {"type=bind,source=/a,target=/b,bind-propagation=up",
       "bind-propagation \"up\": expected shared, slave, private or unbindable, or their "
       "r-prefixed forms"},
  };
  for (const auto& [value, problem] : cases) {
    run.mounts = {value};
    EXPECT_EQ(error(), "--mount \"" + value + "\": " + problem);
  }
}

TEST_F(SpecBuilderOptionsTest, TmpfsDefaultsAndOverrides) {
  run.tmpfs = {"/run", "/tmp:exec,size=64m,mode=1777"};
  json s = build();
  EXPECT_EQ(mount_at(s, "/run"), json({{"destination", "/run"},
                                       {"type", "tmpfs"},
                                       {"source", "tmpfs"},
                                       {"options", {"noexec", "nosuid", "nodev"}}}));
  EXPECT_EQ(strings(mount_at(s, "/tmp")["options"]),
            (std::vector<std::string>{"nosuid", "nodev", "exec", "size=64m", "mode=1777"}));
  run.tmpfs = {"run"};
  EXPECT_EQ(error(), "--tmpfs \"run\": the container path \"run\" must be absolute");
}

TEST_F(SpecBuilderOptionsTest, UserMountsReplaceDefaultsAndGoParentsFirst) {
  run.volumes = {"/srv/a/b:/a/b"};
  run.tmpfs = {"/dev/shm:size=1g", "/a"};
  json s = build();
  EXPECT_EQ(destinations(s),
            (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/mqueue", "/sys",
                                      "/sys/fs/cgroup", "/a", "/a/b", "/dev/shm"}));
  EXPECT_EQ(mount_at(s, "/dev/shm")["type"], "tmpfs");
  EXPECT_EQ(mount_at(s, "/dev/shm")["source"], "tmpfs");
}

TEST_F(SpecBuilderOptionsTest, DuplicateMountPoint) {
  run.volumes = {"/srv:/data/"};
  run.tmpfs = {"/data"};
  EXPECT_EQ(error(),
            "--tmpfs \"/data\": duplicate mount point \"/data\" (also -v \"/srv:/data/\")");
}

// ---- namespaces

TEST_F(SpecBuilderOptionsTest, NetworkHostSharesAndBindsSys) {
  run.network = "host";
  json s = build();
  EXPECT_EQ(namespaces(s), (std::vector<std::string>{"pid", "ipc", "uts", "mount", "cgroup"}));
  EXPECT_EQ(mount_at(s, "/sys"), json({{"destination", "/sys"},
                                       {"type", "bind"},
                                       {"source", "/sys"},
                                       {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}}));
}

TEST_F(SpecBuilderOptionsTest, NetworkNoneIsANewNamespace) {
  run.network = "none";
  EXPECT_EQ(namespaces(build())[1], "network");
  EXPECT_EQ(mount_at(build(), "/sys")["type"], "sysfs");
}

TEST_F(SpecBuilderOptionsTest, ContainerModesJoinResolvedPaths) {
  run.network = "container:web";
  run.pid = "container:web";
  run.ipc = "container:db";
  in.join = {{oci::NamespaceType::kNetwork, "/proc/42/ns/net"},
             {oci::NamespaceType::kPid, "/proc/42/ns/pid"},
             {oci::NamespaceType::kIpc, "/proc/43/ns/ipc"}};
  EXPECT_EQ(namespaces(build()),
            (std::vector<std::string>{"pid=/proc/42/ns/pid", "network=/proc/42/ns/net",
                                      "ipc=/proc/43/ns/ipc", "uts", "mount", "cgroup"}));
  in.join.erase(oci::NamespaceType::kIpc);
  EXPECT_EQ(error(), "--ipc \"container:db\": the container's namespace was not resolved");
}

TEST_F(SpecBuilderOptionsTest, HostModes) {
  run.pid = "host";
  run.ipc = "host";
  run.uts = "host";
  run.cgroupns = "host";
  json s = build();
  EXPECT_EQ(namespaces(s), (std::vector<std::string>{"network", "mount"}));
  EXPECT_EQ(mount_at(s, "/dev/shm"), json({{"destination", "/dev/shm"},
                                           {"type", "bind"},
                                           {"source", "/dev/shm"},
                                           {"options", {"rbind", "nosuid", "noexec", "nodev"}}}));
}

TEST_F(SpecBuilderOptionsTest, IpcNoneHasNoShm) {
  run.ipc = "none";
  json s = build();
  EXPECT_EQ(namespaces(s)[2], "ipc");
  EXPECT_TRUE(mount_at(s, "/dev/shm").is_null());
  run.ipc = "shareable";
  EXPECT_FALSE(mount_at(build(), "/dev/shm").is_null());
}

TEST_F(SpecBuilderOptionsTest, NamespaceFlagErrors) {
  const struct {
    std::string RunOptions::*field;
    std::string flag, value, problem;
  } cases[] = {
      {&RunOptions::network, "--network", "container:",
       "expected a network name, none, host or container:NAME"},
      {&RunOptions::pid, "--pid", "shared", "expected private, host or container:NAME"},
      {&RunOptions::ipc, "--ipc", "public",
       "expected none, private, shareable, host or container:NAME"},
      {&RunOptions::uts, "--uts", "container:web", "expected private or host"},
      {&RunOptions::cgroupns, "--cgroupns", "none", "expected private or host"},
      {&RunOptions::time, "--time", "guest", "expected host or private"},
  };
  for (const auto& c : cases) {
    RunOptions fresh;
    run = fresh;
    run.*c.field = c.value;
    EXPECT_EQ(error(), c.flag + " \"" + c.value + "\": " + c.problem);
  }
}

TEST_F(SpecBuilderOptionsTest, TimeNamespace) {
  EXPECT_EQ(namespaces(build()).size(), 6u);  // the host's clocks by default, as docker
  run.time = "private";
  json s = build();
  EXPECT_EQ(namespaces(s).back(), "time");
  EXPECT_FALSE(s["linux"].contains("timeOffsets"));
}

TEST_F(SpecBuilderOptionsTest, TimeOffsets) {
  run.time_offsets = {"monotonic=5s,boottime=1h30m", "boottime=-1.5s"};
  json s = build();
  EXPECT_EQ(namespaces(s).back(), "time");
  EXPECT_EQ(s["linux"]["timeOffsets"],
            json({{"monotonic", {{"secs", 5}, {"nanosecs", 0}}},
                  {"boottime", {{"secs", -2}, {"nanosecs", 500000000}}}}));
}

TEST_F(SpecBuilderOptionsTest, TimeOffsetErrors) {
  run.time_offsets = {"realtime=5s"};
  EXPECT_EQ(error(),
            "--time-offset \"realtime=5s\": unknown clock \"realtime\" (clocks: "
            "monotonic, boottime)");
  run.time_offsets = {"monotonic=5x"};
  EXPECT_EQ(error(),
            "--time-offset \"monotonic=5x\": monotonic: expected a duration such as "
            "90s, 1h30m or 2d");
  run.time_offsets = {"monotonic=5s"};
  run.time = "host";
  EXPECT_EQ(error(),
            "--time-offset \"monotonic=5s\": needs a private time namespace (not "
            "--time host)");
}

TEST_F(SpecBuilderOptionsTest, RootlessShape) {
  in.rootless = true;
  in.host_uid = 1000;
  in.host_gid = 1001;
  run.devices = {"/dev/null:/dev/mynull"};
  json s = build();
  EXPECT_EQ(namespaces(s).back(), "user");
  EXPECT_EQ(s["linux"]["uidMappings"], json({{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}}));
  EXPECT_EQ(s["linux"]["gidMappings"], json({{{"containerID", 0}, {"hostID", 1001}, {"size", 1}}}));
  EXPECT_FALSE(s["linux"].contains("resources"));
  EXPECT_EQ(s["linux"]["devices"].size(), 1u);
  EXPECT_TRUE(mount_at(s, "/sys/fs/cgroup").is_null());
  auto devpts = strings(mount_at(s, "/dev/pts")["options"]);
  EXPECT_EQ(std::count(devpts.begin(), devpts.end(), "gid=5"), 0);
  run.memory = "1g";
  EXPECT_EQ(error(), "--memory \"1g\": cgroup limits are not available to rootless containers");
}

TEST_F(SpecBuilderOptionsTest, RootlessJoinedUserNamespaceHasNoMaps) {
  in.rootless = true;
  in.join = {{oci::NamespaceType::kUser, "/proc/9/ns/user"}};
  json s = build();
  EXPECT_EQ(namespaces(s).back(), "user=/proc/9/ns/user");
  EXPECT_FALSE(s["linux"].contains("uidMappings"));
}

// ---- resources and devices

TEST_F(SpecBuilderOptionsTest, Resources) {
  run.memory = "512m";
  run.cpus = "1.5";
  run.cpu_shares = "512";
  run.cpuset_cpus = "0-1,3";
  run.pids_limit = "100";
  json r = build()["linux"]["resources"];
  EXPECT_EQ(r["memory"], json({{"limit", 536870912}, {"swap", 1073741824}}));  // docker: 2x
  EXPECT_EQ(r["cpu"],
            json({{"quota", 150000}, {"period", 100000}, {"shares", 512}, {"cpus", "0-1,3"}}));
  EXPECT_EQ(r["pids"], json({{"limit", 100}}));
}

TEST_F(SpecBuilderOptionsTest, MemorySwap) {
  run.memory = "1G";
  run.memory_swap = "-1";
  EXPECT_EQ(build()["linux"]["resources"]["memory"]["swap"], -1);
  run.memory_swap = "3g";
  EXPECT_EQ(build()["linux"]["resources"]["memory"]["swap"], int64_t{3} << 30);
  in.swap_accounting = false;
  run.memory_swap.clear();
  EXPECT_FALSE(build()["linux"]["resources"]["memory"].contains("swap"));
}

TEST_F(SpecBuilderOptionsTest, UnlimitedPids) {
  for (const char* v : {"-1", "0"}) {
    run.pids_limit = v;
    EXPECT_FALSE(build()["linux"]["resources"].contains("pids")) << v;
  }
}

TEST_F(SpecBuilderOptionsTest, ResourceErrors) {
  const struct {
    std::string RunOptions::*field;
    std::string value, expected;
  } cases[] = {
      {&RunOptions::memory, "12x", "--memory \"12x\": expected a size such as 512m or 1g"},
      {&RunOptions::memory, "1m", "--memory \"1m\": below the minimum of 6m"},
      {&RunOptions::memory_swap, "1g",
       "--memory-swap \"1g\": needs --memory: it counts memory "
       "plus swap"},
      {&RunOptions::cpus, "lots", "--cpus \"lots\": expected a number of CPUs such as 1 or 1.5"},
      {&RunOptions::cpus, "0.001", "--cpus \"0.001\": below the minimum of 0.01"},
      {&RunOptions::cpu_shares, "-5", "--cpu-shares \"-5\": expected a whole number such as 512"},
      {&RunOptions::cpuset_cpus, "0-",
       "--cpuset-cpus \"0-\": expected a list of CPUs such as "
       "0-3 or 0,2"},
      {&RunOptions::cpuset_cpus, "3-1", "--cpuset-cpus \"3-1\": range 3-1 is descending"},
      {&RunOptions::pids_limit, "-2",
       "--pids-limit \"-2\": expected a number, or -1 for no "
       "limit"},
  };
  for (const auto& c : cases) {
    RunOptions fresh;
    run = fresh;
    run.*c.field = c.value;
    EXPECT_EQ(error(), c.expected);
  }
  RunOptions fresh;
  run = fresh;
  run.memory = "512m";
  run.memory_swap = "256m";
  EXPECT_EQ(error(), "--memory-swap \"256m\": below --memory \"512m\": it counts memory plus swap");
  in.swap_accounting = false;
  run.memory_swap = "1g";
  EXPECT_EQ(error(),
            "--memory-swap \"1g\": this host cannot limit swap (no swap accounting in "
            "the memory cgroup)");
}

TEST_F(SpecBuilderOptionsTest, Devices) {
  run.devices = {"/dev/null:/dev/mynull:r", "/dev/zero", "/dev/full:rw"};
  json l = build()["linux"];
  ASSERT_EQ(l["devices"].size(), 3u);
  json d = l["devices"][0];
  EXPECT_EQ(d["path"], "/dev/mynull");
  EXPECT_EQ(d["type"], "c");
  EXPECT_EQ(d["major"], 1);
  EXPECT_EQ(d["minor"], 3);
  EXPECT_EQ(d["fileMode"], 0666);
  EXPECT_EQ(l["devices"][1]["path"], "/dev/zero");
  EXPECT_EQ(l["resources"]["devices"],
            json({{{"allow", false}, {"access", "rwm"}},
                  {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 3}, {"access", "r"}},
                  {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 5}, {"access", "rwm"}},
                  {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", 7}, {"access", "rw"}}}));
}

TEST_F(SpecBuilderOptionsTest, DeviceErrors) {
  run.devices = {"/dev/hull-no-such-device"};
  EXPECT_EQ(error(),
            "--device \"/dev/hull-no-such-device\": stat /dev/hull-no-such-device: No "
            "such file or directory (ENOENT)");
  run.devices = {"/etc/hostname"};
  EXPECT_EQ(error(), "--device \"/etc/hostname\": /etc/hostname is not a device");
  run.devices = {"/dev"};
  EXPECT_EQ(error(),
            "--device \"/dev\": /dev is not a device (directories are not supported "
            "yet: give each device)");
  run.devices = {"/dev/null:/dev/x:rwx"};
  EXPECT_EQ(error(),
            "--device \"/dev/null:/dev/x:rwx\": permissions \"rwx\": expected letters "
            "of rwm");
  run.devices = {"/dev/null:x"};
  EXPECT_EQ(error(), "--device \"/dev/null:x\": the container path \"x\" must be absolute");
}

// ---- sysctl

TEST_F(SpecBuilderOptionsTest, Sysctls) {
  run.sysctls = {"net.ipv4.ip_forward=1", "kernel/shmmax=65536", "fs.mqueue.msg_max=20"};
  EXPECT_EQ(build()["linux"]["sysctl"], json({{"net.ipv4.ip_forward", "1"},
                                              {"kernel.shmmax", "65536"},
                                              {"fs.mqueue.msg_max", "20"}}));
}

TEST_F(SpecBuilderOptionsTest, SysctlErrors) {
  run.sysctls = {"kernel.panic=1"};
  EXPECT_EQ(error(),
            "--sysctl \"kernel.panic=1\": not allowed: only namespaced sysctls "
            "(kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*, net.*) can be set");
  run.sysctls = {"net.ipv4.ip_forward"};
  EXPECT_EQ(error(), "--sysctl \"net.ipv4.ip_forward\": expected KEY=VALUE");
  run.sysctls = {"net.ipv4.ip_forward=1"};
  run.network = "host";
  EXPECT_EQ(error(),
            "--sysctl \"net.ipv4.ip_forward=1\": needs a private network namespace "
            "(not --network host or container:NAME)");
  run.sysctls = {"kernel.sem=1 2 3 4"};
  run.ipc = "host";
  EXPECT_EQ(error(),
            "--sysctl \"kernel.sem=1 2 3 4\": needs a private ipc namespace (not --ipc "
            "host or container:NAME)");
}

// ---- seccomp

class SpecBuilderSeccompTest : public SpecBuilderOptionsTest {
 protected:
  void SetUp() override {
    SpecBuilderOptionsTest::SetUp();
    char tmpl[] = "/tmp/hulltest-seccomp-profile-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) (void)base::sys::remove_all(dir_);
  }
  std::string profile(const json& j) {
    std::string path = dir_ + "/profile.json";
    std::ofstream(path) << j.dump();
    return path;
  }
  std::string dir_;
};

TEST_F(SpecBuilderSeccompTest, UnconfinedAndPrivilegedHaveNone) {
  run.security_opts = {"seccomp=unconfined"};
  EXPECT_FALSE(build()["linux"].contains("seccomp"));
  run.security_opts = {"seccomp:unconfined"};
  EXPECT_FALSE(build()["linux"].contains("seccomp"));
  run.security_opts.clear();
  run.privileged = true;
  EXPECT_FALSE(build()["linux"].contains("seccomp"));
}

TEST_F(SpecBuilderSeccompTest, DefaultProfileFollowsCapabilities) {
  auto names_allowed = [](const json& s) {
    std::vector<std::string> out;
    for (const auto& r : s["linux"]["seccomp"]["syscalls"]) {
      if (r["action"] == "SCMP_ACT_ALLOW" && !r.contains("args")) {
        for (const auto& n : r["names"]) out.push_back(n);
      }
    }
    return out;
  };
  auto plain = names_allowed(build());
  EXPECT_EQ(std::count(plain.begin(), plain.end(), "mount"), 0);
  run.cap_add = {"SYS_ADMIN"};
  auto admin = names_allowed(build());
  EXPECT_EQ(std::count(admin.begin(), admin.end(), "mount"), 1);
}

TEST_F(SpecBuilderSeccompTest, DockerFormatProfile) {
#if defined(__aarch64__)
  const char* native = "SCMP_ARCH_AARCH64";
#else
  const char* native = "SCMP_ARCH_X86_64";
#endif
  json docker = {{"defaultAction", "SCMP_ACT_ERRNO"},
                 {"defaultErrnoRet", 1},
                 {"archMap",
                  {{{"architecture", "SCMP_ARCH_PPC64LE"}, {"subArchitectures", {"SCMP_ARCH_PPC"}}},
                   {{"architecture", native}, {"subArchitectures", {"SCMP_ARCH_SUB"}}}}},
                 {"syscalls",
                  {{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}},
                   {{"names", {"mount"}},
                    {"action", "SCMP_ACT_ALLOW"},
                    {"includes", {{"caps", {"CAP_SYS_ADMIN"}}}}},
                   {{"names", {"chroot"}},
                    {"action", "SCMP_ACT_ALLOW"},
                    {"includes", {{"caps", {"CAP_SYS_CHROOT"}}}}},
                   {{"names", {"clone"}},
                    {"action", "SCMP_ACT_ALLOW"},
                    {"excludes", {{"caps", {"CAP_SYS_CHROOT"}}}}},
                   {{"names", {"s390_pci_mmio_read"}},
                    {"action", "SCMP_ACT_ALLOW"},
                    {"includes", {{"arches", {"s390x"}}}}},
                   {{"name", "getpid"},
                    {"action", "SCMP_ACT_ERRNO"},
                    {"errnoRet", 38},
                    {"includes", {{"minKernel", "4.8"}}}}}}};
  run.security_opts = {"seccomp=" + profile(docker)};
  json s = build()["linux"]["seccomp"];
  EXPECT_EQ(s["architectures"], json({native, "SCMP_ARCH_SUB"}));
  EXPECT_FALSE(s.contains("archMap"));
  EXPECT_EQ(s["syscalls"],
            json({{{"names", {"read", "write"}}, {"action", "SCMP_ACT_ALLOW"}},
                  {{"names", {"chroot"}}, {"action", "SCMP_ACT_ALLOW"}},
                  {{"names", {"getpid"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 38}}}));
}

TEST_F(SpecBuilderSeccompTest, PlainOciProfile) {
  json oci = {{"defaultAction", "SCMP_ACT_ALLOW"},
              {"architectures", {"SCMP_ARCH_X86_64"}},
              {"syscalls",
               {{{"names", {"mount"}},
                 {"action", "SCMP_ACT_ERRNO"},
                 {"args", {{{"index", 0}, {"value", 1}, {"op", "SCMP_CMP_EQ"}}}}}}}};
  run.security_opts = {"seccomp=" + profile(oci)};
  EXPECT_EQ(build()["linux"]["seccomp"], oci);
}

TEST_F(SpecBuilderSeccompTest, ProfileErrors) {
  std::string path = profile({{"defaultAction", "SCMP_ACT_MAYBE"}});
  run.security_opts = {"seccomp=" + path};
  EXPECT_EQ(error(), "--security-opt \"seccomp=" + path + "\": " + path +
                         ": linux.seccomp.defaultAction: unknown action \"SCMP_ACT_MAYBE\"");
  path = profile({{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", {{{"names", "read"}}}}});
  EXPECT_EQ(error(), "--security-opt \"seccomp=" + path + "\": " + path +
                         ": linux.seccomp.syscalls[0].names: expected an array");
  std::ofstream(path) << "{not json";
  EXPECT_EQ(error(), "--security-opt \"seccomp=" + path + "\": " + path + ": not valid JSON");
  run.security_opts = {"seccomp=" + dir_ + "/none.json"};
  EXPECT_EQ(error(), "--security-opt \"seccomp=" + dir_ + "/none.json\": open " + dir_ +
                         "/none.json: No such file or directory (ENOENT)");
}

// ---- the value parsers

TEST(SpecBuilderFlags, Sizes) {
  using spec_detail::parse_size;
  EXPECT_EQ(*parse_size("1024"), 1024);
  EXPECT_EQ(*parse_size("1024b"), 1024);
  EXPECT_EQ(*parse_size("1k"), 1024);
  EXPECT_EQ(*parse_size("512M"), 512 << 20);
  EXPECT_EQ(*parse_size("1GB"), 1 << 30);
  EXPECT_EQ(*parse_size("1.5g"), 3 << 29);
  EXPECT_EQ(*parse_size("2GiB"), int64_t{2} << 30);
  EXPECT_EQ(*parse_size("1t"), int64_t{1} << 40);
  for (const char* bad : {"", "g", "1x", "-1m", "1.g", "1 g", "1gbb"}) {
    EXPECT_FALSE(parse_size(bad).has_value()) << bad;
  }
  EXPECT_EQ(parse_size("99999999p").error().message(), "is too large");
}

TEST(SpecBuilderFlags, Durations) {
  using spec_detail::parse_duration;
  auto secs = [](const std::string& s) {
    auto d = parse_duration(s);
    EXPECT_TRUE(d.has_value()) << s;
    return d ? std::make_pair(d->secs, d->nanosecs) : std::make_pair(int64_t{-999}, 0u);
  };
  EXPECT_EQ(secs("90s"), std::make_pair(int64_t{90}, 0u));
  EXPECT_EQ(secs("1h30m"), std::make_pair(int64_t{5400}, 0u));
  EXPECT_EQ(secs("2d"), std::make_pair(int64_t{172800}, 0u));
  EXPECT_EQ(secs("1500ms"), std::make_pair(int64_t{1}, 500000000u));
  EXPECT_EQ(secs("1.5h"), std::make_pair(int64_t{5400}, 0u));
  EXPECT_EQ(secs("-250ms"), std::make_pair(int64_t{-1}, 750000000u));
  EXPECT_EQ(secs("0"), std::make_pair(int64_t{0}, 0u));
  for (const char* bad : {"", "5", "5x", "h", "1h30", "--1s", "1.s"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

TEST(SpecBuilderFlags, CpuCounts) {
  using spec_detail::parse_nano_cpus;
  EXPECT_EQ(*parse_nano_cpus("2"), 2'000'000'000);
  EXPECT_EQ(*parse_nano_cpus("0.5"), 500'000'000);
  EXPECT_EQ(*parse_nano_cpus("1.000000001"), 1'000'000'001);
  EXPECT_FALSE(parse_nano_cpus("1,5").has_value());
  EXPECT_FALSE(parse_nano_cpus("-1").has_value());
}

}  // namespace
}  // namespace hull::engine
