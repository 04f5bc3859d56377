// `hull ns`: the /proc/<pid>/ns comparison of the seed as a table. For each subject (the
// host, a container's init, any pid) and each namespace kind (the eight, plus
// pid_for_children and time_for_children), the inode and whether it is the host's, shared
// with another subject, or private to this one.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace hull::engine {

struct NsSubject {
  std::string label;  // "host", a container name, "pid 1234"
  pid_t pid = 0;
};

enum class NsSharing { kHost, kShared, kPrivate, kUnavailable };

struct NsCell {
  uint64_t inode = 0;
  NsSharing sharing = NsSharing::kUnavailable;
  std::string shared_with;  // for kShared: the labels of the other subjects, comma-joined
};

struct NsReport {
  std::vector<std::string> kinds;      // "cgroup", "ipc", "mnt", "net", "pid", …
  std::vector<NsSubject> subjects;     // columns
  std::vector<std::vector<NsCell>> cells;  // [kind][subject]
};

// Reads /proc/<pid>/ns/* of each subject and of the host (pid 1 as seen from here, or the
// caller's own namespaces when pid 1's are not readable).
base::Result<NsReport> ns_report(const std::vector<NsSubject>& subjects);
// The table, one row per kind, one column per subject: "4026531840 (host)".
std::string ns_table(const NsReport& r);
nlohmann::json ns_json(const NsReport& r);
// For one pid: {"net": 4026531840, …}; what `hull inspect` and `hull ps --ns` show.
nlohmann::json ns_inodes(pid_t pid);

}  // namespace hull::engine
