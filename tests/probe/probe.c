/* probe: runs inside containers and prints one fact in an exact, parseable form, so the
 * integration tests compare strings instead of scraping the output of busybox tools.
 * Static, no dependencies beyond libc. Usage: probe COMMAND [ARG]; `probe help` lists them.
 * Every command prints to stdout and exits 0, or prints one line to stderr and exits 2. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/reboot.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(const char *what, const char *arg) {
  fprintf(stderr, "probe: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
  return 2;
}

/* Names for the errnos a probe is expected to see; anything else prints as its number. */
static const char *errno_name(int e) {
  static const struct { int num; const char *name; } kNames[] = {
      {EPERM, "EPERM"},   {EINVAL, "EINVAL"}, {EACCES, "EACCES"}, {ENOENT, "ENOENT"},
      {ENOSYS, "ENOSYS"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"},
  };
  static char buf[32];
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; i++)
    if (kNames[i].num == e) return kNames[i].name;
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

/* Prints the lines of PATH that start with PREFIX, with the prefix and tabs removed. */
static int status_field(const char *prefix) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[512];
  int found = 0;
  if (!f) return fail("open /proc/self/status", strerror(errno));
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, prefix, strlen(prefix)) != 0) continue;
    char *v = line + strlen(prefix);
    while (*v == '\t' || *v == ' ') v++;
    printf("%s", v);
    found = 1;
  }
  fclose(f);
  return found ? 0 : fail("field not in /proc/self/status", prefix);
}

static int cmd_ns(const char *type) {
  char path[64];
  struct stat st;
  snprintf(path, sizeof path, "/proc/self/ns/%s", type);
  if (stat(path, &st) != 0) return fail(path, strerror(errno));
  printf("%lu\n", (unsigned long)st.st_ino);
  return 0;
}

static int cmd_ns_all(void) {
  static const char *kTypes[] = {"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"};
  for (size_t i = 0; i < sizeof kTypes / sizeof kTypes[0]; i++) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/self/ns/%s", kTypes[i]);
    if (stat(path, &st) == 0) printf("%s %lu\n", kTypes[i], (unsigned long)st.st_ino);
  }
  return 0;
}

static int cmd_ids(void) {
  gid_t groups[NGROUPS_MAX];
  int n = getgroups(NGROUPS_MAX, groups);
  if (n < 0) return fail("getgroups", strerror(errno));
  printf("uid=%u gid=%u euid=%u egid=%u groups=", getuid(), getgid(), geteuid(), getegid());
  for (int i = 0; i < n; i++) printf("%s%u", i ? "," : "", groups[i]);
  printf("\n");
  return 0;
}

/* Prints a whitespace-aligned /proc file with every run of blanks squeezed to one space. */
static int cmd_squeeze(const char *path) {
  FILE *f = fopen(path, "r");
  char line[512];
  if (!f) return fail(path, strerror(errno));
  while (fgets(line, sizeof line, f)) {
    char *tok, *save = NULL;
    int first = 1;
    for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
      printf("%s%s", first ? "" : " ", tok);
      first = 0;
    }
    printf("\n");
  }
  fclose(f);
  return 0;
}

static int cmd_caps(void) {
  static const char *kSets[] = {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
  for (size_t i = 0; i < 5; i++) {
    printf("%.6s ", kSets[i]);
    if (status_field(kSets[i]) != 0) return 2;
  }
  return 0;
}

static int cmd_reboot(void) {
  /* CAD_OFF changes nothing but still needs CAP_SYS_BOOT in the init user namespace. */
  if (syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_OFF,
              NULL) == 0)
    printf("ok\n");
  else
    printf("%s\n", errno_name(errno));
  return 0;
}

static int cmd_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int first = 1;
  if (!d) return fail("open /proc/self/fd", strerror(errno));
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d)) continue;
    printf("%s%s", first ? "" : " ", e->d_name);
    first = 0;
  }
  printf("\n");
  closedir(d);
  return 0;
}

/* mountinfo field 5 is the mount point (octal escapes are kept as the kernel writes them). */
static int cmd_mounts(void) {
  FILE *f = fopen("/proc/self/mountinfo", "r");
  char line[4096];
  if (!f) return fail("open /proc/self/mountinfo", strerror(errno));
  while (fgets(line, sizeof line, f)) {
    char *save = NULL, *tok = strtok_r(line, " ", &save);
    for (int i = 1; tok && i < 5; i++) tok = strtok_r(NULL, " ", &save);
    if (tok) printf("%s\n", tok);
  }
  fclose(f);
  return 0;
}

static int cmd_links(void) {
  struct if_nameindex *ifs = if_nameindex(), *i;
  if (!ifs) return fail("if_nameindex", strerror(errno));
  for (i = ifs; i->if_index != 0; i++) printf("%s\n", i->if_name);
  if_freenameindex(ifs);
  return 0;
}

static int cmd_uptime(void) {
  FILE *f = fopen("/proc/uptime", "r");
  double up;
  if (!f) return fail("open /proc/uptime", strerror(errno));
  int n = fscanf(f, "%lf", &up);
  fclose(f);
  if (n != 1) return fail("parse /proc/uptime", NULL);
  printf("%lld\n", (long long)up);
  return 0;
}

static int cmd_rlimit(const char *name) {
  static const struct { const char *name; int res; } kLimits[] = {
      {"NOFILE", RLIMIT_NOFILE}, {"NPROC", RLIMIT_NPROC}, {"CORE", RLIMIT_CORE},
      {"STACK", RLIMIT_STACK},   {"AS", RLIMIT_AS},       {"MEMLOCK", RLIMIT_MEMLOCK},
  };
  for (size_t i = 0; i < sizeof kLimits / sizeof kLimits[0]; i++) {
    struct rlimit rl;
    if (strcmp(name, kLimits[i].name) != 0) continue;
    if (getrlimit(kLimits[i].res, &rl) != 0) return fail("getrlimit", strerror(errno));
    if (rl.rlim_cur == RLIM_INFINITY) printf("unlimited "); else printf("%llu ", (unsigned long long)rl.rlim_cur);
    if (rl.rlim_max == RLIM_INFINITY) printf("unlimited\n"); else printf("%llu\n", (unsigned long long)rl.rlim_max);
    return 0;
  }
  return fail("unknown rlimit", name);
}

/* Creates a System V message queue with KEY (hex or decimal) and prints its id. */
static int cmd_msgq(const char *key) {
  int id = msgget((key_t)strtol(key, NULL, 0), IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) return fail("msgget", strerror(errno));
  printf("%d\n", id);
  return 0;
}

static int cmd_hostname(void) {
  char name[HOST_NAME_MAX + 1];
  if (gethostname(name, sizeof name) != 0) return fail("gethostname", strerror(errno));
  printf("%s\n", name);
  return 0;
}

static int cmd_cwd(void) {
  char buf[PATH_MAX];
  if (!getcwd(buf, sizeof buf)) return fail("getcwd", strerror(errno));
  printf("%s\n", buf);
  return 0;
}

static int cmd_umask(void) {
  mode_t m = umask(0);
  umask(m);
  printf("%04o\n", (unsigned)m);
  return 0;
}

static int cmd_env(const char *name) {
  const char *v = getenv(name);
  if (!v) return fail("not set", name);
  printf("%s\n", v);
  return 0;
}

static const char kUsage[] =
    "usage: probe COMMAND [ARG]\n"
    "  ns TYPE | ns-all | ids | uidmap | gidmap | caps | pid | ppid | reboot | fds | mounts\n"
    "  msgq KEY | hostname | links | uptime | dumpable | nnp | rlimit NAME | umask | cwd | env NAME\n"
    "  sleep SECONDS | exit CODE\n";

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "help";
  const char *arg = argc > 2 ? argv[2] : NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (!strcmp(cmd, "ns") && arg) return cmd_ns(arg);
  if (!strcmp(cmd, "ns-all")) return cmd_ns_all();
  if (!strcmp(cmd, "ids")) return cmd_ids();
  if (!strcmp(cmd, "uidmap")) return cmd_squeeze("/proc/self/uid_map");
  if (!strcmp(cmd, "gidmap")) return cmd_squeeze("/proc/self/gid_map");
  if (!strcmp(cmd, "caps")) return cmd_caps();
  if (!strcmp(cmd, "pid")) return printf("%d\n", (int)getpid()) < 0;
  if (!strcmp(cmd, "ppid")) return printf("%d\n", (int)getppid()) < 0;
  if (!strcmp(cmd, "reboot")) return cmd_reboot();
  if (!strcmp(cmd, "fds")) return cmd_fds();
  if (!strcmp(cmd, "mounts")) return cmd_mounts();
  if (!strcmp(cmd, "hostname")) return cmd_hostname();
  if (!strcmp(cmd, "msgq") && arg) return cmd_msgq(arg);
  if (!strcmp(cmd, "links")) return cmd_links();
  if (!strcmp(cmd, "uptime")) return cmd_uptime();
  if (!strcmp(cmd, "dumpable")) return printf("%d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0)) < 0;
  if (!strcmp(cmd, "nnp")) return status_field("NoNewPrivs:");
  if (!strcmp(cmd, "rlimit") && arg) return cmd_rlimit(arg);
  if (!strcmp(cmd, "umask")) return cmd_umask();
  if (!strcmp(cmd, "cwd")) return cmd_cwd();
  if (!strcmp(cmd, "env") && arg) return cmd_env(arg);
  if (!strcmp(cmd, "sleep") && arg) {
    /* One sleep() call: a signal ends it, so `kill` tests see the default action. */
    sleep((unsigned)atoi(arg));
    return 0;
  }
  if (!strcmp(cmd, "exit") && arg) return atoi(arg);
  fputs(kUsage, strcmp(cmd, "help") ? stderr : stdout);
  return strcmp(cmd, "help") ? 2 : 0;
}
