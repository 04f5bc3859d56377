// `hull ns`: the /proc/<pid>/ns comparison of the seed as a table. For each subject (the
// host, a container's init, any pid) and each namespace kind (the eight, plus
// pid_for_children and time_for_children), the inode and whether it is the host's, shared
// with another subject, or private to this one.
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/error.h"

namespace hull::engine {

struct NsSubject {
  std::string label;  // "host", a container name, "pid 1234"
  pid_t pid = 0;      // 0: the host as ns_report() sees it (pid 1, or ourselves)
};

enum class NsSharing { kHost, kShared, kPrivate, kUnavailable };

struct NsCell {
  uint64_t inode = 0;
  NsSharing sharing = NsSharing::kUnavailable;
  std::string shared_with;  // for kShared: the labels of the other subjects, comma-joined
  std::string error;        // for kUnavailable: why (the kernel lacks it, no permission)
};

struct NsReport {
  std::vector<std::string> kinds;          // "cgroup", "ipc", "mnt", "net", "pid", …
  std::vector<NsSubject> subjects;         // columns
  std::vector<std::vector<NsCell>> cells;  // [kind][subject]
};

// Reads /proc/<pid>/ns/* of each subject and of the host (pid 1 as seen from here, or the
// caller's own namespaces when pid 1's are not readable). A subject whose pid does not exist
// is an error; a namespace file that cannot be read is a kUnavailable cell.
base::Result<NsReport> ns_report(const std::vector<NsSubject>& subjects);
// The table, one row per kind, one column per subject, aligned; cells "4026531840 host",
// "4026532201 shared:web,db", "4026532209 private", "-" (unavailable).
std::string ns_table(const NsReport& r);
// {"subjects": [{"label": "host", "pid": 1}, {"label": "web", "pid": 4242}],
//  "namespaces": {"net": {"host": {"inode": 4026531840, "sharing": "host"},
//                         "web": {"inode": 4026532201, "sharing": "shared",
//                                 "shared_with": ["db"]}}, …}}
// sharing is "host", "shared", "private" or "unavailable" (then inode is null and "error"
// says why). Keys are labels, so labels should be unique; the host subject's pid is the one
// whose namespaces were read (1, or our own pid).
nlohmann::json ns_json(const NsReport& r);
// For one pid: {"net": 4026531840, …}; what `hull inspect` and `hull ps --ns` show.
nlohmann::json ns_inodes(pid_t pid);

}  // namespace hull::engine
