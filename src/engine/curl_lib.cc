#define HULL_CURL_LIB_IMPL
#include "engine/curl_lib.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace hull::engine {

namespace {

[[noreturn]] void missing(const char* what) {
  std::fprintf(stderr, "hull: libcurl: %s (install the libcurl4 package)\n", what);
  std::exit(125);
}

CurlLib load() {
  void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) missing(::dlerror());
  CurlLib t{};
#define HULL_CURL_LOAD(name)                                         \
  t.name = reinterpret_cast<decltype(t.name)>(::dlsym(lib, #name)); \
  if (!t.name) missing("no symbol " #name);
  HULL_CURL_FUNCTIONS(HULL_CURL_LOAD)
#undef HULL_CURL_LOAD
  // Not thread-safe, and hull is single-threaded where it pulls: once, before any handle.
  t.curl_global_init(CURL_GLOBAL_DEFAULT);
  return t;
}

}  // namespace

const CurlLib& libcurl() {
  static const CurlLib table = load();
  return table;
}

}  // namespace hull::engine
