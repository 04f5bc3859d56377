#define HULL_CURL_LIB_IMPL
#include "engine/curl_lib.h"

#include "base/dynlib.h"

namespace hull::engine {

namespace {

CurlLib load() {
  base::DynLib lib("libcurl.so.4", "libcurl4");
  CurlLib t{};
#define HULL_CURL_LOAD(name) t.name = reinterpret_cast<decltype(t.name)>(lib.symbol(#name));
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
