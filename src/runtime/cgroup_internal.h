// What cgroup.cc, cgroup_v1*.cc and cgroup_v2*.cc share, kept out of cgroup.h: the pure parsers
// of /proc/self/mountinfo and /proc/self/cgroup, the cgroupsPath rules, the two
// implementations' factories and a few directory helpers. Tests include it for the parsers.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/cgroup.h"

namespace hull::runtime::cgroup_internal {

// One cgroup filesystem visible in the mount table.
struct CgroupMount {
  std::string mount_point;  // "/sys/fs/cgroup/memory", unescaped
  std::string root;         // the hierarchy directory mounted there, usually "/"
  bool v2 = false;
  std::vector<std::string> controllers;  // v1 only, sorted: {"cpu", "cpuacct"}, {"name=systemd"}
};

// The cgroup mounts at or below `under` that are still visible, in mount order. A later mount
// on the same or a parent mount point hides earlier ones, as the kernel does.
std::vector<CgroupMount> parse_cgroup_mounts(const std::string& mountinfo,
                                             const std::string& under);

// cgroup2 at `root` -> kUnified; v1 mounts (plus maybe a cgroup2 one) under it -> kHybrid or
// kLegacy; nothing at all -> kUnified, so the v2 code reports what is missing on create.
CgroupLayout layout_of(const std::vector<CgroupMount>& mounts, const std::string& root);

// The process's own cgroup from /proc/self/cgroup text: the "0::" line when `controllers` is
// empty, else the v1 line with exactly that controller set. nullopt if there is none.
std::optional<std::string> own_cgroup(const std::string& proc_cgroup,
                                      const std::vector<std::string>& controllers);

// The hierarchy path a spec's cgroupsPath names (always absolute and lexically clean, so ".."
// never climbs out of the hierarchy):
//   ""                         -> "/<id>"
//   "/a/b"                     -> "/a/b"
//   "a/b"                      -> "<own>/a/b" (own = the runtime's own cgroup)
//   "slice:prefix:name"        -> the systemd form: "/<expanded slice>/prefix-name.scope",
//                                 "machine-x.slice" expanding to "/machine.slice/machine-x.slice"
//                                 as systemd nests slices; an empty name means the id.
std::string resolve_cgroup_path(const std::string& cgroups_path, const std::string& id,
                                const std::string& own);

// "/a/./b/../c//" -> "/a/c"; never above "/".
std::string clean_path(const std::string& path);

// Where hierarchy path `path` lives under a mount (the mount may show only a subtree).
std::string dir_in_mount(const CgroupMount& m, const std::string& path);

// A v1 hierarchy as an implementation uses it.
struct V1Hierarchy {
  std::vector<std::string> controllers;
  std::string mount_point;
  std::string dir;  // the container's directory in this hierarchy, below mount_point
};
std::unique_ptr<Cgroup> make_cgroup_v1(std::string path, std::vector<V1Hierarchy> hierarchies,
                                       std::string root);
std::unique_ptr<Cgroup> make_cgroup_v2(std::string path, std::string root, std::string dir);

// Writes linux.resources: into the v1 hierarchies (cgroup_v1_resources.cc), or into the v2
// directory `dir` (cgroup_v2_resources.cc), whose fd `dir_fd` (-1: opened when needed) the
// device filter is attached to.
base::Result<void> apply_v1_resources(const oci::Resources& r,
                                      const std::vector<V1Hierarchy>& hierarchies,
                                      const std::string& root);
base::Result<void> apply_v2_resources(const oci::Resources& r, const std::string& dir, int dir_fd);

// Directory helpers for both implementations. (They read errno, which STYLE reserves for
// base/sys; they move there once base/sys grows rmdir and a directory listing.)
base::Result<void> rmdir(const std::string& path);
// Immediate subdirectories (names only); ENOENT keeps its code.
base::Result<std::vector<std::string>> subdirs(const std::string& path);
// Removes `dir` and every cgroup below it, deepest first; a missing directory is success.
base::Result<void> rmdir_tree(const std::string& dir);
// The pids in cgroup.procs of `dir` and of every cgroup below it.
base::Result<std::vector<pid_t>> procs_tree(const std::string& dir);
// Signals each pid through a pidfd; processes that are already gone are skipped.
base::Result<void> signal_pids(const std::vector<pid_t>& pids, int sig);
// Writes a knob; the error names file and value: "write <file> (<value>): Invalid argument".
base::Result<void> write_knob(const std::string& file, const std::string& value);
// True if the path exists (an O_PATH open succeeds).
bool exists(const std::string& path);
// Values of cgroup files, for stats(). A single value: a number, or "max" (kCgroupUnlimited);
// nullopt for anything else.
std::optional<uint64_t> parse_value(const std::string& text);
// One entry of a flat-keyed file ("user_usec 12\nsystem_usec 3\n"); nullopt if it is absent.
std::optional<uint64_t> keyed_value(const std::string& text, const std::string& key);
// The same read from a file; a missing or unreadable file is nullopt, not an error.
std::optional<uint64_t> read_value(const std::string& file);
std::optional<uint64_t> read_keyed(const std::string& file, const std::string& key);
// How long freeze() waits for the kernel to report a cgroup frozen: the tasks stop at their
// next return to user space, which a task in an uninterruptible sleep delays.
inline constexpr int kFreezeAttempts = 1000;
inline constexpr int kFreezeSleepMs = 1;
// How long destroy waits for a cgroup to empty before reporting EBUSY.
inline constexpr int kDestroyAttempts = 100;
inline constexpr int kDestroySleepMs = 10;
void sleep_ms(int ms);

}  // namespace hull::runtime::cgroup_internal
