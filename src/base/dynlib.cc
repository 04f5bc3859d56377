#include "base/dynlib.h"

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

namespace hull::base {

DynLib::DynLib(const char* soname, const char* package) : soname_(soname), package_(package) {
  handle_ = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle_) missing(::dlerror());
}

void* DynLib::symbol(const char* name) const {
  void* p = ::dlsym(handle_, name);
  if (!p) missing(name);
  return p;
}

void DynLib::missing(const char* what) const {
  std::fprintf(stderr, "hull: %s: %s (install the %s package)\n", soname_, what, package_);
  std::exit(125);
}

}  // namespace hull::base
