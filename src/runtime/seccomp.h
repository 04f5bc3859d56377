// Seccomp: linux.seccomp compiled to classic BPF with libseccomp in the parent (before clone3,
// so the child does no allocation-heavy work), loaded by the child with seccomp(2) as its very
// last step before exec, and — for SCMP_ACT_NOTIFY — the listener handed to listenerPath.
// Compiled programs are cached on disk by a hash of the profile, libseccomp and kernel.
#pragma once

#include <linux/filter.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "base/fd.h"
#include "oci/spec.h"

namespace hull::runtime {

struct SeccompProgram {
  std::vector<sock_filter> filter;  // classic BPF, ready for seccomp(2)
  unsigned flags = 0;               // SECCOMP_FILTER_FLAG_* from linux.seccomp.flags
  bool notify = false;              // a rule uses SCMP_ACT_NOTIFY: loading yields a listener fd
  // Syscall names neither this kernel's headers nor libseccomp know, left out of the filter
  // (each once, in profile order); the caller logs them at debug level.
  std::vector<std::string> skipped;
  bool from_cache = false;  // set by compile_seccomp_cached when the program came from disk
};

// Compiles the profile with libseccomp. Every error names the profile entry it came from:
// `linux.seccomp.syscalls[3]: add rule for "mount": Invalid argument (EINVAL)`.
base::Result<SeccompProgram> compile_seccomp(const oci::Seccomp& s);

// compile_seccomp through a cache in cache_dir (e.g. <runtime root>/seccomp-cache): one file
// per program named by seccomp_cache_key, written atomically with mode 0600. A hit never
// touches libseccomp. A missing, short or corrupt file is recompiled and rewritten; failing
// to write the cache is not an error (a read-only root must still start containers).
base::Result<SeccompProgram> compile_seccomp_cached(const oci::Seccomp& s,
                                                    const std::string& cache_dir);

// Hex SHA-256 of the profile's canonical form plus the libseccomp version and the kernel
// (release and machine); listenerPath and listenerMetadata are left out, they change no BPF.
std::string seccomp_cache_key(const oci::Seccomp& s);

// In the child: installs the filter (SECCOMP_SET_MODE_FILTER, plus NEW_LISTENER when
// p.notify). Returns the listener fd when p.notify, else an invalid Fd. The kernel allows
// this only with no_new_privs set or CAP_SYS_ADMIN in the caller's user namespace.
base::Result<base::Fd> load_seccomp(const SeccompProgram& p);

// In the parent, once the child's listener fd has arrived: connects to listener_path (a unix
// stream socket) and sends the runtime-spec ContainerProcessState
// {"ociVersion","fds":["seccompFd"],"pid","metadata","state"} with the fd as SCM_RIGHTS.
// state_json is the container's state document (oci::state_json(...).dump()).
base::Result<void> send_seccomp_listener(const std::string& listener_path,
                                         const std::string& metadata, int listener_fd, int pid,
                                         const std::string& state_json);

}  // namespace hull::runtime
