#define HULL_ARCHIVE_LIB_IMPL
#include "engine/archive_lib.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace hull::engine {

namespace {

[[noreturn]] void missing(const char* what) {
  std::fprintf(stderr, "hull: libarchive: %s (install the libarchive13 package)\n", what);
  std::exit(125);
}

ArchiveLib load() {
  void* lib = ::dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
  if (!lib) missing(::dlerror());
  ArchiveLib t{};
#define HULL_ARCHIVE_LOAD(name)                                          \
  t.name = reinterpret_cast<decltype(t.name)>(::dlsym(lib, #name)); \
  if (!t.name) missing("no symbol " #name);
  HULL_ARCHIVE_FUNCTIONS(HULL_ARCHIVE_LOAD)
#undef HULL_ARCHIVE_LOAD
  return t;
}

}  // namespace

const ArchiveLib& libarchive() {
  static const ArchiveLib table = load();
  return table;
}

}  // namespace hull::engine
