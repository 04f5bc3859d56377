// build_spec: docker's defaults, each flag's mapping into config.json and each error message,
// with every built spec checked by oci::parse_spec.
#include "engine/spec_builder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/sys.h"
#include "oci/capabilities.h"
#include "spec_fixture.h"

namespace hull::engine {
namespace {

using nlohmann::json;

const std::string kId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

using testing::strings;

bool contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

class SpecBuilderTest : public testing::SpecFixture {
 protected:
  void SetUp() override {
    init(kId, "/var/lib/hull/containers/" + kId + "/rootfs");
    char tmpl[] = "/tmp/hulltest-spec-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) (void)base::sys::remove_all(dir_);
  }

  // A file under the temporary directory, with its directories.
  std::string write(const std::string& rel, const std::string& text) {
    std::string path = dir_ + "/" + rel;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
    return path;
  }
  static std::vector<std::string> namespace_types(const json& spec) {
    std::vector<std::string> out;
    for (const auto& ns : spec["linux"]["namespaces"]) out.push_back(ns["type"]);
    return out;
  }

  std::string dir_;
};

TEST_F(SpecBuilderTest, DefaultsAreDockers) {
  json s = build();
  EXPECT_EQ(s["ociVersion"], "1.2.0");
  const json& p = s["process"];
  EXPECT_EQ(strings(p["args"]), std::vector<std::string>{"sh"});
  EXPECT_EQ(
      strings(p["env"]),
      (std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                "HOSTNAME=0123456789ab"}));
  EXPECT_EQ(p["cwd"], "/");
  EXPECT_EQ(p["user"], json({{"uid", 0}, {"gid", 0}}));
  EXPECT_EQ(p["terminal"], false);
  EXPECT_EQ(p["noNewPrivileges"], false);
  EXPECT_FALSE(p.contains("oomScoreAdj"));
  EXPECT_FALSE(p.contains("rlimits"));
  const std::vector<std::string> caps = {
      "CAP_CHOWN",       "CAP_DAC_OVERRIDE", "CAP_FOWNER",
      "CAP_FSETID",      "CAP_KILL",         "CAP_SETGID",
      "CAP_SETUID",      "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
      "CAP_NET_RAW",     "CAP_SYS_CHROOT",   "CAP_MKNOD",
      "CAP_AUDIT_WRITE", "CAP_SETFCAP"};
  for (const char* set : {"bounding", "effective", "permitted"}) {
    EXPECT_EQ(strings(p["capabilities"][set]), caps) << set;
  }
  EXPECT_TRUE(p["capabilities"]["inheritable"].empty());
  EXPECT_TRUE(p["capabilities"]["ambient"].empty());

  EXPECT_EQ(s["root"], json({{"path", in.rootfs}, {"readonly", false}}));
  EXPECT_EQ(s["hostname"], "0123456789ab");
  std::vector<std::string> dests;
  for (const auto& m : s["mounts"]) dests.push_back(m["destination"]);
  EXPECT_EQ(dests, (std::vector<std::string>{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue",
                                             "/sys", "/sys/fs/cgroup"}));
  EXPECT_EQ(mount_at(s, "/sys")["type"], "sysfs");
  EXPECT_TRUE(contains(strings(mount_at(s, "/sys")["options"]), "ro"));
  EXPECT_TRUE(contains(strings(mount_at(s, "/sys/fs/cgroup")["options"]), "ro"));
  EXPECT_TRUE(contains(strings(mount_at(s, "/dev/pts")["options"]), "gid=5"));
  EXPECT_EQ(strings(mount_at(s, "/dev/shm")["options"]),
            (std::vector<std::string>{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));

  const json& l = s["linux"];
  EXPECT_EQ(namespace_types(s),
            (std::vector<std::string>{"pid", "network", "ipc", "uts", "mount", "cgroup"}));
  EXPECT_EQ(l["cgroupsPath"], "/hull/" + kId);
  EXPECT_EQ(l["resources"], json({{"devices", {{{"allow", false}, {"access", "rwm"}}}}}));
  EXPECT_FALSE(l.contains("devices"));
  EXPECT_EQ(strings(l["maskedPaths"]),
            (std::vector<std::string>{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                                      "/proc/latency_stats", "/proc/timer_list",
                                      "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                                      "/sys/firmware", "/sys/devices/virtual/powercap"}));
  EXPECT_EQ(strings(l["readonlyPaths"]),
            (std::vector<std::string>{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                      "/proc/sysrq-trigger"}));
  EXPECT_EQ(l["seccomp"]["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_FALSE(l.contains("sysctl"));
  EXPECT_FALSE(l.contains("uidMappings"));
  EXPECT_FALSE(s.contains("annotations"));
}

// ---- process.args: docker's entrypoint and cmd rules

TEST_F(SpecBuilderTest, ImageEntrypointThenCmd) {
  image.entrypoint = {"/entry.sh"};
  image.cmd = {"serve", "--port", "80"};
  EXPECT_EQ(strings(build()["process"]["args"]),
            (std::vector<std::string>{"/entry.sh", "serve", "--port", "80"}));
}

TEST_F(SpecBuilderTest, CommandReplacesCmdKeepsEntrypoint) {
  image.entrypoint = {"/entry.sh"};
  image.cmd = {"serve"};
  run.command = {"debug", "-v"};
  EXPECT_EQ(strings(build()["process"]["args"]),
            (std::vector<std::string>{"/entry.sh", "debug", "-v"}));
}

TEST_F(SpecBuilderTest, EntrypointFlagReplacesEntrypointAndDropsCmd) {
  image.entrypoint = {"/entry.sh"};
  image.cmd = {"serve"};
  run.entrypoint = "/bin/echo";
  EXPECT_EQ(strings(build()["process"]["args"]), std::vector<std::string>{"/bin/echo"});
  run.command = {"hi"};
  EXPECT_EQ(strings(build()["process"]["args"]), (std::vector<std::string>{"/bin/echo", "hi"}));
}

TEST_F(SpecBuilderTest, EmptyEntrypointClears) {
  image.entrypoint = {"/entry.sh"};
  image.cmd = {"serve"};
  run.entrypoint = "";
  run.command = {"ls", "/"};
  EXPECT_EQ(strings(build()["process"]["args"]), (std::vector<std::string>{"ls", "/"}));
  run.command.clear();
  EXPECT_EQ(error(),
            "no command: the image has no Entrypoint or Cmd (give a command after the image name)");
}

// ---- process.env

TEST_F(SpecBuilderTest, EnvOrderAndOverrides) {
  image.env = {"PATH=/image/bin", "A=image", "B=image"};
  std::string file = write("env.list",
                           "# comment\n\nB=file\n  C=file\nHULL_TEST_SET\n"
                           "HULL_TEST_UNSET\n");
  ::setenv("HULL_TEST_SET", "ours", 1);
  ::unsetenv("HULL_TEST_UNSET");
  run.env_files = {file};
  run.env = {"C=flag", "D=", "HULL_TEST_SET", "HULL_TEST_UNSET"};
  run.tty = true;
  run.hostname = "web";
  EXPECT_EQ(strings(build()["process"]["env"]),
            (std::vector<std::string>{"PATH=/image/bin", "HOSTNAME=web", "TERM=xterm", "A=image",
                                      "B=file", "C=flag", "HULL_TEST_SET=ours", "D="}));
  ::unsetenv("HULL_TEST_SET");
}

TEST_F(SpecBuilderTest, EnvErrors) {
  run.env = {"=x"};
  EXPECT_EQ(error(), "-e \"=x\": expected KEY=VALUE or KEY");
  run.env = {"A B=1"};
  EXPECT_EQ(error(), "-e \"A B=1\": variable \"A B\" contains whitespace");
  run.env.clear();
  run.env_files = {write("bad.env", "OK=1\nBAD KEY=2\n")};
  EXPECT_EQ(error(), "--env-file \"" + run.env_files[0] +
                         "\": line 2: variable \"BAD KEY\" contains whitespace");
  run.env_files = {dir_ + "/missing.env"};
  EXPECT_EQ(error(), "--env-file \"" + dir_ + "/missing.env\": open " + dir_ +
                         "/missing.env: No such file or directory (ENOENT)");
}

// ---- process.cwd, terminal

TEST_F(SpecBuilderTest, WorkingDirectory) {
  image.working_dir = "/srv";
  EXPECT_EQ(build()["process"]["cwd"], "/srv");
  run.workdir = "/tmp";
  EXPECT_EQ(build()["process"]["cwd"], "/tmp");
  run.workdir = "tmp";
  EXPECT_EQ(error(), "-w \"tmp\": must be an absolute path");
}

TEST_F(SpecBuilderTest, TtyIsTerminal) {
  run.tty = true;
  json s = build();
  EXPECT_EQ(s["process"]["terminal"], true);
  EXPECT_TRUE(contains(strings(s["process"]["env"]), "TERM=xterm"));
}

// ---- process.user

class SpecBuilderUserTest : public SpecBuilderTest {
 protected:
  void SetUp() override {
    SpecBuilderTest::SetUp();
    write("top/etc/passwd",
          "root:x:0:0:root:/root:/bin/sh\n"
          "web:x:33:33:www:/var/www:/bin/false\n"
          "app:x:1000:1001::/home/app:/bin/sh\n");
    write("top/etc/group",
          "root:x:0:\nwheel:x:10:root,app\ntty:x:5:\nweb:x:33:\nstaff:x:50:app\n"
          "apps:x:1001:\n");
    // A lower layer with another passwd: the top one wins.
    write("lower/etc/passwd", "root:x:0:0::/:/bin/sh\nghost:x:7:7::/:/bin/sh\n");
    in.lookup_dirs = {dir_ + "/empty", dir_ + "/top", dir_ + "/lower"};
  }
  json user() { return build()["process"]["user"]; }
};

TEST_F(SpecBuilderUserTest, NoUserIsRootWithRootsGroups) {
  EXPECT_EQ(user(), json({{"uid", 0}, {"gid", 0}, {"additionalGids", {10}}}));
}

TEST_F(SpecBuilderUserTest, NameTakesPasswdGidAndMemberships) {
  run.user = "app";
  EXPECT_EQ(user(), json({{"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 50}}}));
  run.user = "1000";  // by number, found in passwd: the same
  EXPECT_EQ(user(), json({{"uid", 1000}, {"gid", 1001}, {"additionalGids", {10, 50}}}));
}

TEST_F(SpecBuilderUserTest, ExplicitGroupHasNoSupplementaryGroups) {
  run.user = "app:staff";
  EXPECT_EQ(user(), json({{"uid", 1000}, {"gid", 50}}));
  run.user = "app:77";
  EXPECT_EQ(user(), json({{"uid", 1000}, {"gid", 77}}));
  run.user = "4242:4343";
  EXPECT_EQ(user(), json({{"uid", 4242}, {"gid", 4343}}));
}

TEST_F(SpecBuilderUserTest, UnknownNumberIsUsedWithGidZero) {
  run.user = "4242";
  EXPECT_EQ(user(), json({{"uid", 4242}, {"gid", 0}}));
}

TEST_F(SpecBuilderUserTest, ImageUserAndFlagWins) {
  image.user = "web";
  EXPECT_EQ(user(), json({{"uid", 33}, {"gid", 33}}));
  run.user = "root";
  EXPECT_EQ(user()["uid"], 0);
}

TEST_F(SpecBuilderUserTest, TopLayerHidesLower) {
  run.user = "ghost";
  EXPECT_EQ(error(), "-u \"ghost\": no user \"ghost\" in /etc/passwd");
}

TEST_F(SpecBuilderUserTest, Errors) {
  run.user = "app:nogroup";
  EXPECT_EQ(error(), "-u \"app:nogroup\": no group \"nogroup\" in /etc/group");
  run.user = "app:";
  EXPECT_EQ(error(), "-u \"app:\": expected USER:GROUP, the group is empty");
  run.user = "99999999999";
  EXPECT_EQ(error(), "-u \"99999999999\": uid 99999999999 is out of range");
  run.user.clear();
  image.user = "nobody";
  EXPECT_EQ(error(), "the image's user \"nobody\": no user \"nobody\" in /etc/passwd");
  in.lookup_dirs = {dir_ + "/empty"};
  EXPECT_EQ(error(),
            "the image's user \"nobody\": no user \"nobody\" in /etc/passwd "
            "(the image has no /etc/passwd)");
}

TEST_F(SpecBuilderUserTest, RootlessMapsOnlyRoot) {
  in.rootless = true;
  in.host_uid = 1000;
  in.host_gid = 1000;
  EXPECT_EQ(user(), json({{"uid", 0}, {"gid", 0}}));  // no setgroups in that namespace
  run.user = "app";
  EXPECT_EQ(error(), "-u \"app\": a rootless container maps only root (uid 0, gid 0)");
}

// ---- capabilities

TEST_F(SpecBuilderTest, CapAddAndDrop) {
  run.cap_add = {"net_admin", "CAP_SYS_TIME"};
  run.cap_drop = {"chown", "Cap_Mknod"};
  auto caps = strings(build()["process"]["capabilities"]["bounding"]);
  EXPECT_TRUE(contains(caps, "CAP_NET_ADMIN"));
  EXPECT_TRUE(contains(caps, "CAP_SYS_TIME"));
  EXPECT_FALSE(contains(caps, "CAP_CHOWN"));
  EXPECT_FALSE(contains(caps, "CAP_MKNOD"));
  EXPECT_EQ(caps.size(), 14u);
}

TEST_F(SpecBuilderTest, CapDropAllKeepsOnlyAdded) {
  run.cap_drop = {"ALL"};
  run.cap_add = {"NET_BIND_SERVICE"};
  json s = build();
  EXPECT_EQ(strings(s["process"]["capabilities"]["effective"]),
            std::vector<std::string>{"CAP_NET_BIND_SERVICE"});
  run.cap_add.clear();
  EXPECT_TRUE(build()["process"]["capabilities"]["bounding"].empty());
}

TEST_F(SpecBuilderTest, CapAddAllMinusDropped) {
  run.cap_add = {"all"};
  run.cap_drop = {"SYS_ADMIN"};
  auto caps = strings(build()["process"]["capabilities"]["bounding"]);
  EXPECT_EQ(caps.size(), oci::all_capability_names().size() - 1);
  EXPECT_FALSE(contains(caps, "CAP_SYS_ADMIN"));
}

TEST_F(SpecBuilderTest, CapErrors) {
  run.cap_add = {"FLY"};
  EXPECT_EQ(error(), "--cap-add \"FLY\": unknown capability \"CAP_FLY\"");
  run.cap_add.clear();
  run.cap_drop = {"cap_nope"};
  EXPECT_EQ(error(), "--cap-drop \"cap_nope\": unknown capability \"CAP_NOPE\"");
}

TEST_F(SpecBuilderTest, PrivilegedLiftsTheDefaults) {
  run.privileged = true;
  run.cap_drop = {"ALL"};  // ignored with --privileged, as docker
  json s = build();
  EXPECT_EQ(strings(s["process"]["capabilities"]["bounding"]), oci::all_capability_names());
  const json& l = s["linux"];
  EXPECT_FALSE(l.contains("maskedPaths"));
  EXPECT_FALSE(l.contains("readonlyPaths"));
  EXPECT_FALSE(l.contains("seccomp"));
  EXPECT_EQ(l["resources"]["devices"], json({{{"allow", true}, {"access", "rwm"}}}));
  EXPECT_FALSE(contains(strings(mount_at(s, "/sys")["options"]), "ro"));
  EXPECT_FALSE(contains(strings(mount_at(s, "/sys/fs/cgroup")["options"]), "ro"));
}

TEST_F(SpecBuilderTest, PrivilegedGrantsWhatTheEngineHas) {
  in.available_capabilities = {"CAP_KILL", "CAP_CHOWN", "CAP_SYS_ADMIN"};
  run.privileged = true;
  EXPECT_EQ(strings(build()["process"]["capabilities"]["bounding"]),
            (std::vector<std::string>{"CAP_CHOWN", "CAP_KILL", "CAP_SYS_ADMIN"}));
  run.privileged = false;
  run.cap_add = {"ALL"};
  run.cap_drop = {"KILL"};
  EXPECT_EQ(strings(build()["process"]["capabilities"]["bounding"]),
            (std::vector<std::string>{"CAP_CHOWN", "CAP_SYS_ADMIN"}));
}

// ---- rlimits, no_new_privs, --security-opt

TEST_F(SpecBuilderTest, Ulimits) {
  run.ulimits = {"nofile=1024:2048", "nproc=100", "core=unlimited", "nofile=512"};
  EXPECT_EQ(build()["process"]["rlimits"],
            json({{{"type", "RLIMIT_NOFILE"}, {"soft", 512}, {"hard", 512}},
                  {{"type", "RLIMIT_NPROC"}, {"soft", 100}, {"hard", 100}},
                  {{"type", "RLIMIT_CORE"}, {"soft", UINT64_MAX}, {"hard", UINT64_MAX}}}));
}

TEST_F(SpecBuilderTest, UlimitErrors) {
  run.ulimits = {"nofiles=10"};
  EXPECT_EQ(error(),
            "--ulimit \"nofiles=10\": unknown limit \"nofiles\" (names such as nofile, "
            "nproc, core)");
  run.ulimits = {"nofile=2048:1024"};
  EXPECT_EQ(error(), "--ulimit \"nofile=2048:1024\": soft limit 2048 is above hard limit 1024");
  run.ulimits = {"nofile"};
  EXPECT_EQ(error(), "--ulimit \"nofile\": expected NAME=SOFT[:HARD], such as nofile=1024:2048");
  run.ulimits = {"nofile=lots"};
  EXPECT_EQ(error(), "--ulimit \"nofile=lots\": expected a number, -1 or unlimited, got \"lots\"");
}

TEST_F(SpecBuilderTest, NoNewPrivileges) {
  for (const char* opt :
       {"no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"}) {
    run.security_opts = {opt};
    EXPECT_EQ(build()["process"]["noNewPrivileges"], true) << opt;
  }
  run.security_opts = {"no-new-privileges", "no-new-privileges:false"};
  EXPECT_EQ(build()["process"]["noNewPrivileges"], false);
  run.security_opts = {"no-new-privileges:maybe"};
  EXPECT_EQ(error(),
            "--security-opt \"no-new-privileges:maybe\": expected "
            "no-new-privileges[:true|false]");
}

TEST_F(SpecBuilderTest, SecurityOptErrors) {
  run.security_opts = {"apparmor=docker-default"};
  EXPECT_EQ(error(),
            "--security-opt \"apparmor=docker-default\": not supported: hull applies "
            "no AppArmor profile or SELinux label");
  run.security_opts = {"apparmor=unconfined", "label=disable"};
  build();
  run.security_opts = {"fast"};
  EXPECT_EQ(error(),
            "--security-opt \"fast\": expected seccomp=unconfined|PATH or "
            "no-new-privileges[:true|false]");
}

// ---- root, hostname, labels

TEST_F(SpecBuilderTest, ReadOnlyRootKeepsTmpfsWritable) {
  run.read_only = true;
  run.privileged = true;  // /sys stays read-only with --read-only even then (docker)
  run.tmpfs = {"/run"};
  json s = build();
  EXPECT_EQ(s["root"]["readonly"], true);
  for (const char* d : {"/dev", "/dev/shm", "/run"}) {
    EXPECT_FALSE(contains(strings(mount_at(s, d)["options"]), "ro")) << d;
  }
  EXPECT_TRUE(contains(strings(mount_at(s, "/sys")["options"]), "ro"));
  EXPECT_TRUE(contains(strings(mount_at(s, "/sys/fs/cgroup")["options"]), "ro"));
}

TEST_F(SpecBuilderTest, Hostname) {
  run.hostname = "web.local";
  json s = build();
  EXPECT_EQ(s["hostname"], "web.local");
  EXPECT_TRUE(contains(strings(s["process"]["env"]), "HOSTNAME=web.local"));
  run.hostname = std::string(65, 'a');
  EXPECT_EQ(error(),
            "--hostname \"" + run.hostname + "\": expected a host name of at most 64 characters");
}

TEST_F(SpecBuilderTest, UtsHost) {
  run.uts = "host";
  json s = build();
  EXPECT_FALSE(s.contains("hostname"));
  EXPECT_FALSE(contains(namespace_types(s), "uts"));
  for (const auto& e : strings(s["process"]["env"])) EXPECT_FALSE(e.starts_with("HOSTNAME="));
  run.hostname = "web";
  EXPECT_EQ(error(), "--hostname \"web\": cannot be set with --uts host");
}

TEST_F(SpecBuilderTest, LabelsAreAnnotations) {
  run.labels = {"com.example.tier=web", "flag"};
  EXPECT_EQ(build()["annotations"], json({{"com.example.tier", "web"}, {"flag", ""}}));
  run.labels = {"=x"};
  EXPECT_EQ(error(), "--label \"=x\": expected KEY=VALUE");
}

TEST_F(SpecBuilderTest, InitIsNotInTheSpec) {
  json without = build();
  run.init = true;
  EXPECT_EQ(build(), without);
}

// ---- restart and signals

TEST(SpecBuilderRestart, Policies) {
  EXPECT_EQ(parse_restart("no")->kind, RestartPolicy::kNo);
  EXPECT_EQ(parse_restart("")->kind, RestartPolicy::kNo);
  EXPECT_EQ(parse_restart("always")->kind, RestartPolicy::kAlways);
  EXPECT_EQ(parse_restart("unless-stopped")->kind, RestartPolicy::kUnlessStopped);
  auto p = parse_restart("on-failure");
  EXPECT_EQ(p->kind, RestartPolicy::kOnFailure);
  EXPECT_EQ(p->max_retries, 0);
  EXPECT_EQ(parse_restart("on-failure:5")->max_retries, 5);
}

TEST(SpecBuilderRestart, Errors) {
  EXPECT_EQ(parse_restart("sometimes").error().message(),
            "--restart \"sometimes\": expected no, on-failure[:N], always or unless-stopped");
  EXPECT_EQ(parse_restart("always:3").error().message(),
            "--restart \"always:3\": a retry count needs on-failure");
  EXPECT_EQ(parse_restart("on-failure:x").error().message(),
            "--restart \"on-failure:x\": expected on-failure:N with N a number, 0 or more");
}

TEST(SpecBuilderSignal, NamesAndNumbers) {
  EXPECT_EQ(*parse_signal("SIGTERM", "--stop-signal"), 15);
  EXPECT_EQ(*parse_signal("TERM", "--stop-signal"), 15);
  EXPECT_EQ(*parse_signal("15", "--stop-signal"), 15);
  EXPECT_EQ(*parse_signal("sigkill", "--stop-signal"), 9);
  EXPECT_EQ(parse_signal("SIGFOO", "--stop-signal").error().message(),
            "--stop-signal \"SIGFOO\": unknown signal (expected a name such as SIGTERM or a "
            "number)");
  EXPECT_EQ(parse_signal("0", "--signal").error().message(),
            "--signal \"0\": unknown signal (expected a name such as SIGTERM or a number)");
}

}  // namespace
}  // namespace hull::engine
