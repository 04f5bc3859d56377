// The namespace table declared in spec.h: spec name, /proc/<pid>/ns name and clone flag.
#include <sched.h>

#include "oci/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080  // linux 5.6; older libc headers lack it
#endif

namespace hull::oci {

const std::vector<NamespaceInfo>& all_namespaces() {
  // In NamespaceType order, so namespace_info() is an index. Callers that join namespaces
  // pick their own order (user first).
  static const std::vector<NamespaceInfo> kTable = {
      {NamespaceType::kPid, "pid", "pid", CLONE_NEWPID},
      {NamespaceType::kNetwork, "network", "net", CLONE_NEWNET},
      {NamespaceType::kMount, "mount", "mnt", CLONE_NEWNS},
      {NamespaceType::kIpc, "ipc", "ipc", CLONE_NEWIPC},
      {NamespaceType::kUts, "uts", "uts", CLONE_NEWUTS},
      {NamespaceType::kUser, "user", "user", CLONE_NEWUSER},
      {NamespaceType::kCgroup, "cgroup", "cgroup", CLONE_NEWCGROUP},
      {NamespaceType::kTime, "time", "time", CLONE_NEWTIME},
  };
  return kTable;
}

const NamespaceInfo& namespace_info(NamespaceType t) {
  return all_namespaces().at(static_cast<size_t>(t));
}

const NamespaceInfo* namespace_by_spec_name(const std::string& name) {
  for (const auto& info : all_namespaces()) {
    if (name == info.spec_name) return &info;
  }
  return nullptr;
}

}  // namespace hull::oci
