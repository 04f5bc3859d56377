// The monitor's memory after its container started: it was forked from a `hull` command
// and has faulted in the code of everything that command and the start ran (spec parsing,
// cgroups, seccomp…), ~3.5 MB of the binary's and libraries' text that its relay loop
// never runs again. Dropping our mappings of those pages (they stay in the page cache,
// shared; the loop faults back the few it needs) leaves the monitor's resident set at what
// it uses. Only read-only pages without private changes are dropped.
#include <sys/mman.h>

#include <cstdio>
#include <cstring>

#include "engine/monitor.h"

namespace hull::engine {

void drop_unused_code() {
  // smaps, not maps: a read-only mapping may still hold private pages (relro, written by
  // the loader before it was sealed), which must not be dropped; its "Anonymous" says so.
  FILE* smaps = std::fopen("/proc/self/smaps", "re");
  if (!smaps) return;
  char line[512];
  unsigned long start = 0, end = 0;
  bool candidate = false;
  while (std::fgets(line, sizeof line, smaps)) {
    unsigned long s = 0, e = 0;
    char perms[5] = {};
    if (std::sscanf(line, "%lx-%lx %4s", &s, &e, perms) == 3 && std::strchr(line, ' ')) {
      start = s;
      end = e;
      // File-backed and never written ("[vdso]" and friends have no path).
      candidate = perms[1] == '-' && std::strchr(line, '/') != nullptr;
      continue;
    }
    unsigned long anon = 0;
    if (candidate && std::sscanf(line, "Anonymous: %lu kB", &anon) == 1) {
      if (anon == 0) {
        void* addr = reinterpret_cast<void*>(start);
        // Without fault-around (MADV_RANDOM), a page the loop touches brings back only
        // itself, not the 16 around it.
        ::madvise(addr, end - start, MADV_RANDOM);
        ::madvise(addr, end - start, MADV_DONTNEED);
      }
      candidate = false;
    }
  }
  std::fclose(smaps);
}

}  // namespace hull::engine
