// The container's init before exec: the child side of the start handshake (channel.h).
// Runs in the process clone3 made, single-threaded, and never returns.
#pragma once

#include <string>
#include <vector>

#include "base/fd.h"
#include "oci/spec.h"
#include "runtime/channel.h"
#include "runtime/rootfs.h"
#include "runtime/seccomp.h"

namespace hull::runtime {

struct InitConfig {
  const oci::Spec* spec = nullptr;
  Channel* channel = nullptr;
  std::string id;
  int state_dir_fd = -1;    // O_PATH fd of the state directory (exec.fifo lives there)
  int close_first_fd = -1;  // the parent's locked fd: dropped at once so start can lock
  RootfsOptions rootfs;
  int preserve_fds = 0;
  bool new_keyring = true;
  bool unshare_cgroupns = false;  // cgroup ns made after the parent moved us into the cgroup
  bool unshare_timens = false;    // time ns made here so offsets can be written first
  bool user_namespace = false;    // a new user namespace was made by clone3
  const SeccompProgram* seccomp = nullptr;  // compiled by the parent; the child only loads it
  const std::vector<base::Fd>* cgroup_join_fds = nullptr;  // v1: write "0" to join (cgroup.h)
  const int* stdio = nullptr;    // CreateOptions::stdio
  int parent_death_signal = 0;   // CreateOptions::parent_death_signal
  bool init_reaper = false;      // CreateOptions::init_reaper
};

[[noreturn]] void container_init(const InitConfig& cfg);

}  // namespace hull::runtime
