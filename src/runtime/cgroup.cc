// Layout detection, cgroupsPath resolution and the choice of implementation; the shared
// directory helpers of cgroup_internal.h.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

#include "base/sys.h"
#include "runtime/cgroup_internal.h"

namespace hull::runtime {

namespace cgroup_internal {

namespace {

namespace sys = base::sys;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string::npos ? pos : pos - start));
    if (pos == std::string::npos) return out;
    start = pos + 1;
  }
}

// mountinfo escapes space, tab, newline and backslash in paths as \ooo (octal).
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    bool octal = s[i] == '\\' && i + 3 < s.size() &&
                 std::all_of(s.begin() + i + 1, s.begin() + i + 4,
                             [](char c) { return c >= '0' && c <= '7'; });
    if (octal) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool at_or_under(const std::string& path, const std::string& base) {
  if (path == base) return true;
  if (base == "/") return !path.empty() && path[0] == '/';
  return path.size() > base.size() && path.compare(0, base.size(), base) == 0 &&
         path[base.size()] == '/';
}

// The v1 controllers a super-options field names; mount options such as "rw", "noprefix",
// "clone_children" or "release_agent=..." sit in the same list and are dropped.
std::vector<std::string> v1_controllers(const std::string& super_options) {
  static const char* const kKnown[] = {"cpu",     "cpuacct", "cpuset",   "memory", "devices",
                                       "freezer", "net_cls", "net_prio", "blkio",  "perf_event",
                                       "hugetlb", "pids",    "rdma",     "misc",   "debug"};
  std::vector<std::string> out;
  for (const auto& opt : split(super_options, ',')) {
    bool known = opt.starts_with("name=") || std::any_of(std::begin(kKnown), std::end(kKnown),
                                                         [&](const char* k) { return opt == k; });
    if (known) out.push_back(opt);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// "a-b.slice" -> "/a.slice/a-b.slice": systemd nests a slice under the slice of each prefix
// of its name. "-.slice" is the root slice. A name that is not a slice is used as it is.
std::string expand_slice(const std::string& slice) {
  const std::string suffix = ".slice";
  if (slice.size() <= suffix.size() ||
      slice.compare(slice.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return "/" + slice;
  }
  std::string stem = slice.substr(0, slice.size() - suffix.size());
  if (stem == "-") return "";
  std::string out;
  for (size_t dash = stem.find('-');; dash = stem.find('-', dash + 1)) {
    out += "/" + stem.substr(0, dash) + suffix;
    if (dash == std::string::npos) return out;
  }
}

}  // namespace

std::vector<CgroupMount> parse_cgroup_mounts(const std::string& mountinfo,
                                             const std::string& under) {
  const std::string base = clean_path(under);
  std::vector<CgroupMount> out;
  for (const auto& line : split(mountinfo, '\n')) {
    // id parent major:minor root mount-point options [optional...] - fstype source super-options
    auto f = split(line, ' ');
    if (f.size() < 10) continue;
    auto dash = std::find(f.begin() + 6, f.end(), "-");
    if (f.end() - dash < 4) continue;
    std::string mount_point = unescape(f[4]);
    if (!at_or_under(mount_point, base)) continue;
    // Whatever is mounted here hides earlier mounts at or below this point.
    std::erase_if(out,
                  [&](const CgroupMount& m) { return at_or_under(m.mount_point, mount_point); });
    const std::string& fstype = dash[1];
    if (fstype != "cgroup" && fstype != "cgroup2") continue;
    CgroupMount m;
    m.mount_point = mount_point;
    m.root = unescape(f[3]);
    m.v2 = fstype == "cgroup2";
    if (!m.v2) m.controllers = v1_controllers(dash[3]);
    out.push_back(std::move(m));
  }
  return out;
}

CgroupLayout layout_of(const std::vector<CgroupMount>& mounts, const std::string& root) {
  const std::string base = clean_path(root);
  bool v1 = false, v2 = false;
  for (const auto& m : mounts) {
    if (m.v2 && m.mount_point == base) return CgroupLayout::kUnified;
    (m.v2 ? v2 : v1) = true;
  }
  if (!v1) return CgroupLayout::kUnified;
  return v2 ? CgroupLayout::kHybrid : CgroupLayout::kLegacy;
}

std::optional<std::string> own_cgroup(const std::string& proc_cgroup,
                                      const std::vector<std::string>& controllers) {
  for (const auto& line : split(proc_cgroup, '\n')) {
    // "hierarchy-id:controller-list:path"; the path itself may hold ':'.
    size_t a = line.find(':');
    size_t b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    std::string ctrl = line.substr(a + 1, b - a - 1);
    bool match;
    if (controllers.empty()) {
      match = line.compare(0, a, "0") == 0 && ctrl.empty();
    } else {
      auto mine = split(ctrl, ',');
      std::sort(mine.begin(), mine.end());
      match = !ctrl.empty() && mine == controllers;
    }
    if (match) return line.substr(b + 1);
  }
  return std::nullopt;
}

std::string clean_path(const std::string& path) {
  std::vector<std::string> parts;
  for (const auto& p : split(path, '/')) {
    if (p.empty() || p == ".") continue;
    if (p == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(p);
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string resolve_cgroup_path(const std::string& cgroups_path, const std::string& id,
                                const std::string& own) {
  if (cgroups_path.empty()) return clean_path("/" + id);
  if (cgroups_path[0] == '/') return clean_path(cgroups_path);
  if (std::count(cgroups_path.begin(), cgroups_path.end(), ':') == 2) {
    auto f = split(cgroups_path, ':');
    std::string slice = f[0].empty() ? "system.slice" : f[0];
    std::string name = f[2].empty() ? id : f[2];
    std::string unit = (f[1].empty() ? "" : f[1] + "-") + name + ".scope";
    return clean_path(expand_slice(slice) + "/" + unit);
  }
  return clean_path(own + "/" + cgroups_path);
}

std::string dir_in_mount(const CgroupMount& m, const std::string& path) {
  std::string rel = path;
  // A mount that shows only a subtree (a container's view) has that subtree at its top.
  if (m.root != "/" && at_or_under(path, m.root)) rel = path.substr(m.root.size());
  return rel.empty() || rel == "/" ? m.mount_point : m.mount_point + rel;
}

base::Result<void> rmdir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0) return base::Error("rmdir " + path, errno);
  return {};
}

base::Result<std::vector<std::string>> subdirs(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) return base::Error("open " + path, errno);
  std::vector<std::string> out;
  while (dirent* e = ::readdir(d)) {
    // cgroupfs fills d_type, so no stat is needed.
    if (e->d_type != DT_DIR || !std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) {
      continue;
    }
    out.emplace_back(e->d_name);
  }
  ::closedir(d);
  return out;
}

base::Result<void> rmdir_tree(const std::string& dir) {
  auto subs = subdirs(dir);
  if (!subs) {
    if (subs.error().code() == ENOENT) return {};  // already gone
    return subs.error();
  }
  for (const auto& s : *subs) TRY(rmdir_tree(dir + "/" + s));
  auto r = rmdir(dir);
  if (!r && r.error().code() != ENOENT) return r;
  return {};
}

base::Result<std::vector<pid_t>> procs_tree(const std::string& dir) {
  ASSIGN_OR_RETURN(std::string text, sys::read_file(dir + "/cgroup.procs"));
  std::vector<pid_t> out;
  for (const auto& line : split(text, '\n')) {
    if (!line.empty()) out.push_back(static_cast<pid_t>(std::strtol(line.c_str(), nullptr, 10)));
  }
  auto subs = subdirs(dir);
  if (!subs) {
    if (subs.error().code() == ENOENT) return out;
    return subs.error();
  }
  for (const auto& s : *subs) {
    auto more = procs_tree(dir + "/" + s);
    if (!more) {
      if (more.error().code() == ENOENT) continue;  // removed while we looked
      return more.error();
    }
    out.insert(out.end(), more->begin(), more->end());
  }
  return out;
}

base::Result<void> signal_pids(const std::vector<pid_t>& pids, int sig) {
  // Through a pidfd, so the signal reaches the process we opened even if its pid is reused
  // afterwards. (A pid reused between reading cgroup.procs and pidfd_open is not caught;
  // v2's cgroup.kill has no such window.)
  for (pid_t pid : pids) {
    auto fd = sys::pidfd_open(pid);
    if (!fd) {
      if (fd.error().code() == ESRCH) continue;
      return fd.error();
    }
    auto r = sys::pidfd_send_signal(fd->get(), sig);
    if (!r && r.error().code() != ESRCH) return r.error().context("pid " + std::to_string(pid));
  }
  return {};
}

base::Result<void> write_knob(const std::string& file, const std::string& value) {
  auto r = sys::write_file(file, value);
  if (!r) return base::Error("write " + file + " (" + value + ")", r.error().code());
  return {};
}

bool exists(const std::string& path) { return sys::open(path, O_PATH).has_value(); }

std::optional<uint64_t> parse_value(const std::string& text) {
  size_t end = text.find_last_not_of(" \n");
  std::string v = end == std::string::npos ? "" : text.substr(0, end + 1);
  if (v == "max") return kCgroupUnlimited;
  uint64_t n = 0;
  auto [end_ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end_ptr != v.data() + v.size()) return std::nullopt;
  return n;
}

std::optional<uint64_t> keyed_value(const std::string& text, const std::string& key) {
  for (const auto& line : split(text, '\n')) {
    size_t space = line.find(' ');
    if (space != std::string::npos && line.compare(0, space, key) == 0 && space == key.size()) {
      return parse_value(line.substr(space + 1));
    }
  }
  return std::nullopt;
}

std::optional<uint64_t> read_value(const std::string& file) {
  auto text = sys::read_file(file);
  if (!text) return std::nullopt;
  return parse_value(*text);
}

std::optional<uint64_t> read_keyed(const std::string& file, const std::string& key) {
  auto text = sys::read_file(file);
  if (!text) return std::nullopt;
  return keyed_value(*text, key);
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  ::nanosleep(&ts, nullptr);
}

}  // namespace cgroup_internal

namespace ci = cgroup_internal;

CgroupLayout detect_cgroup_layout(const std::string& root) {
  auto text = base::sys::read_file("/proc/self/mountinfo");
  return ci::layout_of(ci::parse_cgroup_mounts(text ? *text : "", root), root);
}

namespace {

// What make_cgroup reads of the process: its mounts (cgroup ones parsed) and its cgroups.
// Read once per call: the layout is detected from the same parse.
struct Seen {
  std::vector<ci::CgroupMount> mounts;
  std::string proc_cgroup;
};

Seen look(const std::string& root) {
  // Unreadable files leave the defaults: no mounts known, own cgroup "/". The implementation
  // then reports what is missing when create() touches the hierarchy.
  auto mountinfo = base::sys::read_file("/proc/self/mountinfo");
  auto self = base::sys::read_file("/proc/self/cgroup");
  return {ci::parse_cgroup_mounts(mountinfo ? *mountinfo : "", root), self ? *self : ""};
}

std::unique_ptr<Cgroup> build(CgroupLayout layout, const Seen& seen,
                              const std::string& cgroups_path, const std::string& id,
                              const std::string& root);

}  // namespace

std::unique_ptr<Cgroup> make_cgroup(const std::string& cgroups_path, const std::string& id,
                                    const std::string& root) {
  Seen seen = look(root);
  return build(ci::layout_of(seen.mounts, root), seen, cgroups_path, id, root);
}

std::unique_ptr<Cgroup> make_cgroup(CgroupLayout layout, const std::string& cgroups_path,
                                    const std::string& id, const std::string& root) {
  return build(layout, look(root), cgroups_path, id, root);
}

namespace {

std::unique_ptr<Cgroup> build(CgroupLayout layout, const Seen& seen,
                              const std::string& cgroups_path, const std::string& id,
                              const std::string& root) {
  const auto& mounts = seen.mounts;
  const std::string& proc_cgroup = seen.proc_cgroup;
  const std::string base = ci::clean_path(root);

  if (layout == CgroupLayout::kUnified) {
    std::string path =
        ci::resolve_cgroup_path(cgroups_path, id, ci::own_cgroup(proc_cgroup, {}).value_or("/"));
    auto m = std::find_if(mounts.begin(), mounts.end(),
                          [&](const ci::CgroupMount& c) { return c.v2 && c.mount_point == base; });
    ci::CgroupMount top = m != mounts.end() ? *m : ci::CgroupMount{base, "/", true, {}};
    return ci::make_cgroup_v2(path, base, ci::dir_in_mount(top, path));
  }

  std::vector<ci::V1Hierarchy> hierarchies;
  std::string path = ci::resolve_cgroup_path(cgroups_path, id, "/");
  for (const auto& m : mounts) {
    if (m.v2 || m.controllers.empty()) continue;  // hybrid: the v2 part has no controllers
    bool twice = std::any_of(hierarchies.begin(), hierarchies.end(), [&](const ci::V1Hierarchy& h) {
      return h.controllers == m.controllers;
    });
    if (twice) continue;  // the same hierarchy mounted twice
    // Relative paths are taken under our own cgroup in each hierarchy, which may differ.
    std::string p = ci::resolve_cgroup_path(
        cgroups_path, id, ci::own_cgroup(proc_cgroup, m.controllers).value_or("/"));
    bool is_pids =
        std::find(m.controllers.begin(), m.controllers.end(), "pids") != m.controllers.end();
    if (hierarchies.empty() || is_pids) path = p;
    hierarchies.push_back({m.controllers, m.mount_point, ci::dir_in_mount(m, p)});
  }
  return ci::make_cgroup_v1(path, std::move(hierarchies), base);
}

}  // namespace

}  // namespace hull::runtime
