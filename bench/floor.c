/* floor: the irreducible work of starting a container, as the baseline of bench/start.sh.
 *
 *   floor run ROOTFS      one clone() into new pid, mount, uts, ipc, net and cgroup namespaces;
 *                         the child makes / a recursive slave, binds ROOTFS onto itself, mounts
 *                         proc, pivots into it, detaches the old root and execs /bin/true; the
 *                         parent waits. Exit status: the child's.
 *   floor time CMD...     runs CMD (fork, exec, wait) and prints the elapsed CLOCK_MONOTONIC
 *                         time in nanoseconds on stdout; exits with CMD's status.
 *
 * No cgroup, no state, no config parsing, no error reporting beyond a line: a runtime cannot
 * do less than this and still isolate the process. Build: gcc -O2 -static -o floor floor.c */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  return 127;
}

static int child(void *arg) {
  const char *rootfs = arg;
  if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) return die("make / rslave");
  if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) != 0) return die("bind rootfs");
  if (chdir(rootfs) != 0) return die("chdir rootfs");
  if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    return die("mount proc");
  /* pivot_root(".", "."): the old root ends up stacked on the new one, so no directory for
   * it is needed; detaching "." afterwards drops the old root. */
  if (syscall(SYS_pivot_root, ".", ".") != 0) return die("pivot_root");
  if (umount2(".", MNT_DETACH) != 0) return die("umount old root");
  if (chdir("/") != 0) return die("chdir /");
  execl("/bin/true", "true", (char *)NULL);
  return die("exec /bin/true");
}

static int run(const char *rootfs) {
  static char stack[64 * 1024] __attribute__((aligned(16)));
  int flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
              CLONE_NEWCGROUP | SIGCHLD;
  pid_t pid = clone(child, stack + sizeof stack, flags, (void *)rootfs);
  int status;
  if (pid < 0) return die("clone");
  if (waitpid(pid, &status, 0) < 0) return die("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int timed(char **argv) {
  int status;
  long long start = now_ns();
  pid_t pid = fork();
  if (pid < 0) return die("fork");
  if (pid == 0) {
    execvp(argv[0], argv);
    _exit(die(argv[0]));
  }
  if (waitpid(pid, &status, 0) < 0) return die("waitpid");
  printf("%lld\n", now_ns() - start);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "run") == 0) return run(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "time") == 0) return timed(argv + 2);
  fprintf(stderr, "usage: floor run ROOTFS | floor time CMD [ARG...]\n");
  return 2;
}
