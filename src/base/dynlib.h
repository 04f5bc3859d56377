// Libraries loaded on first use with dlopen(3): what only some commands need (libarchive,
// libcurl, libcrypto) is not loaded by every `hull` command, `hull run` above all. A library
// or symbol that is missing is an installation error: the process exits (125) with one line
// naming the package to install.
#pragma once

namespace hull::base {

// The library stays loaded for the life of the process (no dlclose): the tables of
// function pointers made from it live as long.
class DynLib {
 public:
  DynLib(const char* soname, const char* package);
  // The symbol's address; exits naming it when the library lacks it.
  void* symbol(const char* name) const;

 private:
  [[noreturn]] void missing(const char* what) const;

  void* handle_ = nullptr;
  const char* soname_;
  const char* package_;
};

}  // namespace hull::base
