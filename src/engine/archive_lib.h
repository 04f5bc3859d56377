// libarchive, loaded on first use. Debian's libarchive.so pulls libxml2 and ICU (30 MB) in
// with it: linked the usual way they cost every `hull` command ~7 ms of loading and 8 MB of
// memory, a container's monitor included, while only image import, load and save need
// them. Code includes this header instead of <archive.h>; its archive_* calls then go
// through a table that dlopen(3) fills the first time one is made.
#pragma once

#include <archive.h>
#include <archive_entry.h>

// Every libarchive function hull calls. A call to one missing here fails to link.
#define HULL_ARCHIVE_FUNCTIONS(X) \
  X(archive_entry_filetype) \
  X(archive_entry_free) \
  X(archive_entry_hardlink) \
  X(archive_entry_new) \
  X(archive_entry_pathname) \
  X(archive_entry_set_filetype) \
  X(archive_entry_set_hardlink) \
  X(archive_entry_set_pathname) \
  X(archive_entry_set_perm) \
  X(archive_entry_set_rdev) \
  X(archive_entry_set_size) \
  X(archive_entry_set_symlink) \
  X(archive_entry_size) \
  X(archive_entry_symlink) \
  X(archive_entry_xattr_add_entry) \
  X(archive_entry_xattr_clear) \
  X(archive_entry_xattr_next) \
  X(archive_entry_xattr_reset) \
  X(archive_errno) \
  X(archive_error_string) \
  X(archive_read_data) \
  X(archive_read_data_block) \
  X(archive_read_free) \
  X(archive_read_new) \
  X(archive_read_next_header) \
  X(archive_read_open) \
  X(archive_read_open_filename) \
  X(archive_read_support_filter_all) \
  X(archive_read_support_format_raw) \
  X(archive_read_support_format_tar) \
  X(archive_set_error) \
  X(archive_write_add_filter_gzip) \
  X(archive_write_close) \
  X(archive_write_data) \
  X(archive_write_data_block) \
  X(archive_write_disk_new) \
  X(archive_write_disk_set_options) \
  X(archive_write_finish_entry) \
  X(archive_write_free) \
  X(archive_write_header) \
  X(archive_write_new) \
  X(archive_write_open_filename) \
  X(archive_write_set_format_pax_restricted) \
  X(archive_entry_mode) \
  X(archive_entry_set_mode) \
  X(archive_entry_set_uid) \
  X(archive_entry_set_gid) \
  X(archive_entry_set_mtime) \
  X(archive_entry_uid) \
  X(archive_entry_gid) \
  X(archive_entry_mtime) \
  X(archive_entry_rdev) \
  X(archive_read_support_filter_gzip)

namespace hull::engine {

struct ArchiveLib {
#define HULL_ARCHIVE_MEMBER(name) decltype(&::name) name;
  HULL_ARCHIVE_FUNCTIONS(HULL_ARCHIVE_MEMBER)
#undef HULL_ARCHIVE_MEMBER
};

// The table; loads the library on the first call. A missing library is an installation
// error: the process exits with a line naming the package.
const ArchiveLib& libarchive();

}  // namespace hull::engine

#ifndef HULL_ARCHIVE_LIB_IMPL  // archive_lib.cc names the members themselves
#define archive_entry_filetype (::hull::engine::libarchive().archive_entry_filetype)
#define archive_entry_free (::hull::engine::libarchive().archive_entry_free)
#define archive_entry_hardlink (::hull::engine::libarchive().archive_entry_hardlink)
#define archive_entry_new (::hull::engine::libarchive().archive_entry_new)
#define archive_entry_pathname (::hull::engine::libarchive().archive_entry_pathname)
#define archive_entry_set_filetype (::hull::engine::libarchive().archive_entry_set_filetype)
#define archive_entry_set_hardlink (::hull::engine::libarchive().archive_entry_set_hardlink)
#define archive_entry_set_pathname (::hull::engine::libarchive().archive_entry_set_pathname)
#define archive_entry_set_perm (::hull::engine::libarchive().archive_entry_set_perm)
#define archive_entry_set_rdev (::hull::engine::libarchive().archive_entry_set_rdev)
#define archive_entry_set_size (::hull::engine::libarchive().archive_entry_set_size)
#define archive_entry_set_symlink (::hull::engine::libarchive().archive_entry_set_symlink)
#define archive_entry_size (::hull::engine::libarchive().archive_entry_size)
#define archive_entry_symlink (::hull::engine::libarchive().archive_entry_symlink)
#define archive_entry_xattr_add_entry (::hull::engine::libarchive().archive_entry_xattr_add_entry)
#define archive_entry_xattr_clear (::hull::engine::libarchive().archive_entry_xattr_clear)
#define archive_entry_xattr_next (::hull::engine::libarchive().archive_entry_xattr_next)
#define archive_entry_xattr_reset (::hull::engine::libarchive().archive_entry_xattr_reset)
#define archive_errno (::hull::engine::libarchive().archive_errno)
#define archive_error_string (::hull::engine::libarchive().archive_error_string)
#define archive_read_data (::hull::engine::libarchive().archive_read_data)
#define archive_read_data_block (::hull::engine::libarchive().archive_read_data_block)
#define archive_read_free (::hull::engine::libarchive().archive_read_free)
#define archive_read_new (::hull::engine::libarchive().archive_read_new)
#define archive_read_next_header (::hull::engine::libarchive().archive_read_next_header)
#define archive_read_open (::hull::engine::libarchive().archive_read_open)
#define archive_read_open_filename (::hull::engine::libarchive().archive_read_open_filename)
#define archive_read_support_filter_all (::hull::engine::libarchive().archive_read_support_filter_all)
#define archive_read_support_format_raw (::hull::engine::libarchive().archive_read_support_format_raw)
#define archive_read_support_format_tar (::hull::engine::libarchive().archive_read_support_format_tar)
#define archive_set_error (::hull::engine::libarchive().archive_set_error)
#define archive_write_add_filter_gzip (::hull::engine::libarchive().archive_write_add_filter_gzip)
#define archive_write_close (::hull::engine::libarchive().archive_write_close)
#define archive_write_data (::hull::engine::libarchive().archive_write_data)
#define archive_write_data_block (::hull::engine::libarchive().archive_write_data_block)
#define archive_write_disk_new (::hull::engine::libarchive().archive_write_disk_new)
#define archive_write_disk_set_options (::hull::engine::libarchive().archive_write_disk_set_options)
#define archive_write_finish_entry (::hull::engine::libarchive().archive_write_finish_entry)
#define archive_write_free (::hull::engine::libarchive().archive_write_free)
#define archive_write_header (::hull::engine::libarchive().archive_write_header)
#define archive_write_new (::hull::engine::libarchive().archive_write_new)
#define archive_write_open_filename (::hull::engine::libarchive().archive_write_open_filename)
#define archive_write_set_format_pax_restricted (::hull::engine::libarchive().archive_write_set_format_pax_restricted)
#define archive_entry_mode (::hull::engine::libarchive().archive_entry_mode)
#define archive_entry_set_mode (::hull::engine::libarchive().archive_entry_set_mode)
#define archive_entry_set_uid (::hull::engine::libarchive().archive_entry_set_uid)
#define archive_entry_set_gid (::hull::engine::libarchive().archive_entry_set_gid)
#define archive_entry_set_mtime (::hull::engine::libarchive().archive_entry_set_mtime)
#define archive_entry_uid (::hull::engine::libarchive().archive_entry_uid)
#define archive_entry_gid (::hull::engine::libarchive().archive_entry_gid)
#define archive_entry_mtime (::hull::engine::libarchive().archive_entry_mtime)
#define archive_entry_rdev (::hull::engine::libarchive().archive_entry_rdev)
#define archive_read_support_filter_gzip (::hull::engine::libarchive().archive_read_support_filter_gzip)
#endif
