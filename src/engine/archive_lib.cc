#define HULL_ARCHIVE_LIB_IMPL
#include "engine/archive_lib.h"

#include "base/dynlib.h"

namespace hull::engine {

namespace {

ArchiveLib load() {
  base::DynLib lib("libarchive.so.13", "libarchive13");
  ArchiveLib t{};
#define HULL_ARCHIVE_LOAD(name) t.name = reinterpret_cast<decltype(t.name)>(lib.symbol(#name));
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
