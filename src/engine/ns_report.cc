#include "engine/ns_report.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "oci/spec.h"

namespace hull::engine {
namespace {

// The kinds in /proc/<pid>/ns: the spec's eight (one table, oci/namespaces.cc) and the two
// *_for_children links, which differ from pid/time after an unshare until the next fork.
// Sorted, as `ls /proc/self/ns` shows them.
const std::vector<std::string>& ns_kinds() {
  static const std::vector<std::string> kKinds = [] {
    std::vector<std::string> k;
    for (const auto& info : oci::all_namespaces()) k.emplace_back(info.proc_name);
    k.emplace_back("pid_for_children");
    k.emplace_back("time_for_children");
    std::sort(k.begin(), k.end());
    return k;
  }();
  return kKinds;
}

std::string ns_path(pid_t pid, const std::string& kind) {
  return "/proc/" + std::to_string(pid) + "/ns/" + kind;
}

// stat follows the magic link to the nsfs inode: the namespace's identity, without parsing
// readlink's "net:[4026531840]".
struct Inode {
  uint64_t ino = 0;
  std::string error;  // "" when ino is valid
};
Inode ns_inode(pid_t pid, const std::string& kind) {
  struct stat st;
  if (::stat(ns_path(pid, kind).c_str(), &st) != 0) {
    int err = errno;
    return {0, err == ENOENT ? "not supported by this kernel" : std::strerror(err)};
  }
  return {static_cast<uint64_t>(st.st_ino), ""};
}

// The host is pid 1 as this /proc shows it; an unprivileged caller may not read pid 1's
// links (ptrace access), and then its own namespaces stand for the host.
pid_t host_pid() {
  struct stat st;
  return ::stat("/proc/1/ns/mnt", &st) == 0 ? 1 : ::getpid();
}

const char* sharing_name(NsSharing s) {
  switch (s) {
    case NsSharing::kHost:
      return "host";
    case NsSharing::kShared:
      return "shared";
    case NsSharing::kPrivate:
      return "private";
    case NsSharing::kUnavailable:
      break;
  }
  return "unavailable";
}

std::string cell_text(const NsCell& c) {
  if (c.sharing == NsSharing::kUnavailable) return "-";
  std::string s = std::to_string(c.inode) + " " + sharing_name(c.sharing);
  if (c.sharing == NsSharing::kShared) s += ":" + c.shared_with;
  return s;
}

}  // namespace

base::Result<NsReport> ns_report(const std::vector<NsSubject>& subjects) {
  NsReport r;
  r.kinds = ns_kinds();
  const pid_t host = host_pid();
  for (NsSubject s : subjects) {
    if (s.pid == 0) s.pid = host;
    struct stat st;
    if (::stat(("/proc/" + std::to_string(s.pid) + "/ns").c_str(), &st) != 0) {
      int err = errno;
      auto e = base::sys_error("stat /proc/" + std::to_string(s.pid) + "/ns", err);
      if (err == ENOENT) e.hint("no such process");
      return std::move(e).context(s.label);
    }
    r.subjects.push_back(std::move(s));
  }
  for (const auto& kind : r.kinds) {
    const Inode host_ns = ns_inode(host, kind);
    std::vector<NsCell> row(r.subjects.size());
    for (size_t i = 0; i < r.subjects.size(); ++i) {
      Inode in = ns_inode(r.subjects[i].pid, kind);
      row[i].inode = in.ino;
      row[i].error = in.error;
      if (!in.error.empty()) {
        row[i].sharing = NsSharing::kUnavailable;
      } else if (host_ns.error.empty() && in.ino == host_ns.ino) {
        row[i].sharing = NsSharing::kHost;
      } else {
        row[i].sharing = NsSharing::kPrivate;
      }
    }
    // What is not the host's is shared when another subject has the same inode.
    for (size_t i = 0; i < row.size(); ++i) {
      if (row[i].sharing != NsSharing::kPrivate) continue;
      std::string with;
      for (size_t j = 0; j < row.size(); ++j) {
        if (j == i || row[j].sharing == NsSharing::kUnavailable) continue;
        if (row[j].inode != row[i].inode) continue;
        if (!with.empty()) with += ',';
        with += r.subjects[j].label;
      }
      if (!with.empty()) {
        row[i].sharing = NsSharing::kShared;
        row[i].shared_with = std::move(with);
      }
    }
    r.cells.push_back(std::move(row));
  }
  return r;
}

std::string ns_table(const NsReport& r) {
  // Text of every cell first, then one width per column.
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header{"NAMESPACE"};
  for (const auto& s : r.subjects) header.push_back(s.label);
  rows.push_back(std::move(header));
  for (size_t k = 0; k < r.kinds.size(); ++k) {
    std::vector<std::string> row{r.kinds[k]};
    for (const auto& c : r.cells[k]) row.push_back(cell_text(c));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 3, ' ');
    }
    out += line + "\n";
  }
  return out;
}

nlohmann::json ns_json(const NsReport& r) {
  nlohmann::json subjects = nlohmann::json::array();
  for (const auto& s : r.subjects) subjects.push_back({{"label", s.label}, {"pid", s.pid}});
  nlohmann::json namespaces = nlohmann::json::object();
  for (size_t k = 0; k < r.kinds.size(); ++k) {
    nlohmann::json row = nlohmann::json::object();
    for (size_t i = 0; i < r.subjects.size(); ++i) {
      const NsCell& c = r.cells[k][i];
      nlohmann::json cell = {{"sharing", sharing_name(c.sharing)}};
      if (c.sharing == NsSharing::kUnavailable) {
        cell["inode"] = nullptr;
        cell["error"] = c.error;
      } else {
        cell["inode"] = c.inode;
      }
      if (c.sharing == NsSharing::kShared) {
        nlohmann::json with = nlohmann::json::array();
        for (size_t j = 0; j < r.subjects.size(); ++j) {
          const NsCell& o = r.cells[k][j];
          if (j != i && o.sharing != NsSharing::kUnavailable && o.inode == c.inode) {
            with.push_back(r.subjects[j].label);
          }
        }
        cell["shared_with"] = std::move(with);
      }
      row[r.subjects[i].label] = std::move(cell);
    }
    namespaces[r.kinds[k]] = std::move(row);
  }
  return {{"subjects", std::move(subjects)}, {"namespaces", std::move(namespaces)}};
}

nlohmann::json ns_inodes(pid_t pid) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& kind : ns_kinds()) {
    Inode in = ns_inode(pid, kind);
    if (in.error.empty()) out[kind] = in.ino;
  }
  return out;
}

}  // namespace hull::engine
