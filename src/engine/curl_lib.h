// libcurl, loaded on first use, as libarchive is (archive_lib.h): only pull (and later push
// and login) talk HTTP, and `hull run` of a present image, the monitor above all, should not
// pay for loading libcurl and the TLS stack behind it. Code includes this header instead of
// <curl/curl.h>; its curl_* calls go through a table that dlopen(3) fills on the first one.
#pragma once

// The type-checking macros of curl.h would wrap curl_easy_setopt in a macro of its own.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

// Every libcurl function hull calls. A call to one missing here fails to link.
#define HULL_CURL_FUNCTIONS(X) \
  X(curl_global_init)          \
  X(curl_easy_init)            \
  X(curl_easy_cleanup)         \
  X(curl_easy_setopt)          \
  X(curl_easy_getinfo)         \
  X(curl_easy_perform)         \
  X(curl_easy_strerror)        \
  X(curl_multi_init)           \
  X(curl_multi_cleanup)        \
  X(curl_multi_add_handle)     \
  X(curl_multi_remove_handle)  \
  X(curl_multi_perform)        \
  X(curl_multi_poll)           \
  X(curl_multi_info_read)      \
  X(curl_multi_strerror)       \
  X(curl_slist_append)         \
  X(curl_slist_free_all)

namespace hull::engine {

struct CurlLib {
#define HULL_CURL_MEMBER(name) decltype(&::name) name;
  HULL_CURL_FUNCTIONS(HULL_CURL_MEMBER)
#undef HULL_CURL_MEMBER
};

// The table; loads the library (and runs curl_global_init) on the first call. A missing
// library is an installation error: the process exits with a line naming the package.
const CurlLib& libcurl();

}  // namespace hull::engine

#ifndef HULL_CURL_LIB_IMPL  // curl_lib.cc names the members themselves
// curl.h makes these two function-like macros of their own.
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (::hull::engine::libcurl().curl_global_init)
#define curl_easy_init (::hull::engine::libcurl().curl_easy_init)
#define curl_easy_cleanup (::hull::engine::libcurl().curl_easy_cleanup)
#define curl_easy_setopt (::hull::engine::libcurl().curl_easy_setopt)
#define curl_easy_getinfo (::hull::engine::libcurl().curl_easy_getinfo)
#define curl_easy_perform (::hull::engine::libcurl().curl_easy_perform)
#define curl_easy_strerror (::hull::engine::libcurl().curl_easy_strerror)
#define curl_multi_init (::hull::engine::libcurl().curl_multi_init)
#define curl_multi_cleanup (::hull::engine::libcurl().curl_multi_cleanup)
#define curl_multi_add_handle (::hull::engine::libcurl().curl_multi_add_handle)
#define curl_multi_remove_handle (::hull::engine::libcurl().curl_multi_remove_handle)
#define curl_multi_perform (::hull::engine::libcurl().curl_multi_perform)
#define curl_multi_poll (::hull::engine::libcurl().curl_multi_poll)
#define curl_multi_info_read (::hull::engine::libcurl().curl_multi_info_read)
#define curl_multi_strerror (::hull::engine::libcurl().curl_multi_strerror)
#define curl_slist_append (::hull::engine::libcurl().curl_slist_append)
#define curl_slist_free_all (::hull::engine::libcurl().curl_slist_free_all)
#endif
