#include "engine/seccomp_profile.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace hull::engine {

namespace {

using nlohmann::json;
using Names = std::vector<const char*>;

// The allow-list, by purpose. Names the running kernel or libseccomp does not know (another
// architecture's, or newer than either) are skipped by the runtime when it compiles the
// filter, so each group lists every ABI's spelling (the *64 and *_time64 forms are 32-bit
// x86's and arm's). The lists are packed by hand, a purpose per comment.
// clang-format off

const Names kFiles = {
    // open, read, write, seek, close
    "open", "openat", "openat2", "creat", "close", "close_range", "read", "readv", "pread64",
    "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2", "lseek",
    "_llseek", "readahead", "sendfile", "sendfile64", "splice", "tee", "vmsplice",
    "copy_file_range", "cachestat",
    // descriptors
    "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock", "ioctl", "pipe", "pipe2",
    "memfd_create",
    // metadata and directories
    "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "newfstatat", "fstatat64",
    "statx", "statfs", "statfs64", "fstatfs", "fstatfs64", "access", "faccessat", "faccessat2",
    "getdents", "getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir",
    "mknod", "mknodat", "link", "linkat", "symlink", "symlinkat", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "readlink", "readlinkat", "truncate", "truncate64",
    "ftruncate", "ftruncate64", "fallocate", "fadvise64", "fadvise64_64", "umask",
    // ownership, modes and times
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "chown32", "fchown", "fchown32",
    "fchownat", "lchown", "lchown32", "utime", "utimes", "utimensat", "utimensat_time64",
    "futimesat",
    // extended attributes
    "getxattr", "lgetxattr", "fgetxattr", "getxattrat", "setxattr", "lsetxattr", "fsetxattr",
    "setxattrat", "listxattr", "llistxattr", "flistxattr", "listxattrat", "removexattr",
    "lremovexattr", "fremovexattr", "removexattrat",
    // syncing
    "sync", "syncfs", "fsync", "fdatasync", "sync_file_range", "msync",
    // change notification (fanotify_init needs CAP_SYS_ADMIN and is in that group)
    "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark",
    // unprivileged sandboxing
    "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
};

const Names kEvents = {
    "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait",
    "epoll_wait_old", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2", "signalfd",
    "signalfd4", "timerfd_create", "timerfd_settime", "timerfd_settime64", "timerfd_gettime",
    "timerfd_gettime64",
    // Linux AIO. io_uring is not here: its own paths bypass this filter, and it has been a
    // steady source of kernel bugs (docker removed it too).
    "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64",
};

const Names kMemory = {
    "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "mlock",
    "mlock2", "munlock", "mlockall", "munlockall", "remap_file_pages", "membarrier",
    "pkey_alloc", "pkey_free", "pkey_mprotect", "map_shadow_stack", "mseal",
    // System V shared memory (the ipc namespace keeps it private)
    "shmget", "shmat", "shmdt", "shmctl",
};

const Names kProcesses = {
    "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid",
    "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
    "set_tid_address", "set_robust_list", "get_robust_list", "rseq", "restart_syscall",
    "prctl", "arch_prctl", "set_thread_area", "get_thread_area", "capget", "capset", "seccomp",
    "uname", "sysinfo", "times", "getrandom", "getcpu", "kill", "tkill", "tgkill",
    "pidfd_open", "pidfd_send_signal", "process_mrelease",
    // futexes
    "futex", "futex_time64", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
    // scheduling and limits (raising beyond the hard limits still needs the capabilities)
    "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
    "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
    "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "getpriority", "setpriority", "ioprio_get", "ioprio_set",
    "getrlimit", "ugetrlimit", "setrlimit", "prlimit64", "getrusage",
    // credentials (the kernel checks CAP_SETUID / CAP_SETGID)
    "getuid", "getuid32", "geteuid", "geteuid32", "getgid", "getgid32", "getegid", "getegid32",
    "getresuid", "getresuid32", "getresgid", "getresgid32", "getgroups", "getgroups32",
    "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid",
    "setregid32", "setresuid", "setresuid32", "setresgid", "setresgid32", "setfsuid",
    "setfsuid32", "setfsgid", "setfsgid32", "setgroups", "setgroups32",
};

const Names kSignals = {
    "rt_sigaction", "rt_sigprocmask", "rt_sigpending", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "sigaction", "sigaltstack", "signal", "sigpending", "sigprocmask", "sigreturn",
    "sigsuspend", "pause", "alarm",
};

const Names kTime = {
    "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64",
    "clock_nanosleep", "clock_nanosleep_time64", "gettimeofday", "time", "nanosleep",
    "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
    "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
};

const Names kNetworkAndIpc = {
    // sockets (socket itself is below: every family but AF_VSOCK)
    "socketpair", "socketcall", "bind", "listen", "accept", "accept4", "connect",
    "getsockname", "getpeername", "getsockopt", "setsockopt", "send", "sendto", "sendmsg",
    "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "shutdown",
    // System V messages and semaphores, POSIX message queues
    "ipc", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
    "semtimedop_time64", "semctl", "mq_open", "mq_unlink", "mq_timedsend",
    "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64", "mq_notify",
    "mq_getsetattr",
};

// Each architecture's own calls: the libseccomp of another architecture does not know them.
#if defined(__aarch64__)
const Names kArch = {"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                     "breakpoint", "cacheflush", "set_tls"};
#else
const Names kArch = {"modify_ldt"};  // Wine and old threading code build segments with it
#endif

// clang-format on

// Calls allowed when the container has the capability that the kernel checks for them (or
// that makes them dangerous): without it they fail with EPERM as everything not listed.
struct CapGroup {
  const char* cap;
  Names names;
};
const CapGroup kCapGroups[] = {
    {"CAP_SYS_ADMIN",
     {"mount",           "umount",      "umount2",       "mount_setattr",  "move_mount",
      "open_tree",       "fsopen",      "fsconfig",      "fsmount",        "fspick",
      "pivot_root",      "unshare",     "setns",         "sethostname",    "setdomainname",
      "quotactl",        "quotactl_fd", "fanotify_init", "lookup_dcookie", "bpf",
      "perf_event_open", "clone3",      "syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
    {"CAP_SYS_PTRACE",
     {"ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
      "userfaultfd"}},
    {"CAP_SYS_MODULE", {"init_module", "finit_module", "delete_module"}},
    {"CAP_SYS_TIME",
     {"settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime",
      "clock_adjtime64"}},
    {"CAP_SYS_BOOT", {"reboot", "kexec_load", "kexec_file_load"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_NICE",
     {"get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "mbind", "migrate_pages",
      "move_pages"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at", "name_to_handle_at"}},
};

// clone's flags that make new namespaces: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID,
// NEWNET (0x7E020000). Without CAP_SYS_ADMIN, clone is allowed only without them.
constexpr uint64_t kCloneNamespaceFlags = 0x7E020000;
// personality: Linux (0), UNAME26 (0x0020000), PER_LINUX32 (0x8), both, and 0xffffffff
// (query). Anything else, such as ADDR_NO_RANDOMIZE, is refused.
constexpr uint64_t kPersonalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
constexpr uint64_t kAfVsock = 40;

json allow(const Names& names) { return {{"names", names}, {"action", "SCMP_ACT_ALLOW"}}; }

json allow_if(const char* name, uint64_t value, uint64_t value_two, const char* op) {
  return {{"names", {name}},
          {"action", "SCMP_ACT_ALLOW"},
          {"args", {{{"index", 0}, {"value", value}, {"valueTwo", value_two}, {"op", op}}}}};
}

json architectures() {
#if defined(__aarch64__)
  return {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};
#else
  return {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"};
#endif
}

}  // namespace

json default_seccomp_profile(const std::vector<std::string>& capabilities) {
  auto has = [&](const char* cap) {
    return std::find(capabilities.begin(), capabilities.end(), cap) != capabilities.end();
  };
  json syscalls = json::array();
  for (const Names* group :
       {&kFiles, &kEvents, &kMemory, &kProcesses, &kSignals, &kTime, &kNetworkAndIpc, &kArch}) {
    syscalls.push_back(allow(*group));
  }
  syscalls.push_back(allow_if("socket", kAfVsock, 0, "SCMP_CMP_NE"));
  for (uint64_t p : kPersonalities)
    syscalls.push_back(allow_if("personality", p, 0, "SCMP_CMP_EQ"));

  Names granted;
  for (const auto& g : kCapGroups) {
    if (!has(g.cap)) continue;
    for (const char* n : g.names) {
      if (std::find(granted.begin(), granted.end(), std::string_view(n)) == granted.end()) {
        granted.push_back(n);
      }
    }
  }
  if (has("CAP_SYS_ADMIN")) {
    granted.push_back("clone");
  } else {
    syscalls.push_back(allow_if("clone", kCloneNamespaceFlags, 0, "SCMP_CMP_MASKED_EQ"));
    // ENOSYS rather than EPERM: glibc then falls back to clone, whose flags can be checked
    // (clone3 passes them in memory, out of a filter's reach).
    syscalls.push_back({{"names", {"clone3"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}});
  }
  if (!granted.empty()) syscalls.push_back(allow(granted));

  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", EPERM},
          {"architectures", architectures()},
          {"syscalls", std::move(syscalls)}};
}

}  // namespace hull::engine
