#include "oci/mount_options.h"

#include <sys/mount.h>

#include <algorithm>
#include <iterator>

namespace hull::oci {

namespace {

enum class Kind {
  kSet,          // sets `flag` in flags
  kClear,        // clears `flag` from flags ("rw" undoes "ro")
  kPropagation,  // sets the propagation field
};

struct Option {
  const char* name;
  unsigned long flag;
  Kind kind;
};

// The one mount-option table. Its order is the printing order; where one name covers several
// bits (rbind = bind + rec) it comes before the single-bit name so the printer prefers it.
constexpr Option kOptions[] = {
    {"defaults", 0, Kind::kSet},
    {"ro", MS_RDONLY, Kind::kSet},
    {"rw", MS_RDONLY, Kind::kClear},
    {"nosuid", MS_NOSUID, Kind::kSet},
    {"suid", MS_NOSUID, Kind::kClear},
    {"nodev", MS_NODEV, Kind::kSet},
    {"dev", MS_NODEV, Kind::kClear},
    {"noexec", MS_NOEXEC, Kind::kSet},
    {"exec", MS_NOEXEC, Kind::kClear},
    {"sync", MS_SYNCHRONOUS, Kind::kSet},
    {"async", MS_SYNCHRONOUS, Kind::kClear},
    {"dirsync", MS_DIRSYNC, Kind::kSet},
    {"remount", MS_REMOUNT, Kind::kSet},
    {"mand", MS_MANDLOCK, Kind::kSet},
    {"nomand", MS_MANDLOCK, Kind::kClear},
    {"noatime", MS_NOATIME, Kind::kSet},
    {"atime", MS_NOATIME, Kind::kClear},
    {"nodiratime", MS_NODIRATIME, Kind::kSet},
    {"diratime", MS_NODIRATIME, Kind::kClear},
    {"relatime", MS_RELATIME, Kind::kSet},
    {"norelatime", MS_RELATIME, Kind::kClear},
    {"strictatime", MS_STRICTATIME, Kind::kSet},
    {"nostrictatime", MS_STRICTATIME, Kind::kClear},
    {"lazytime", MS_LAZYTIME, Kind::kSet},
    {"nolazytime", MS_LAZYTIME, Kind::kClear},
    {"silent", MS_SILENT, Kind::kSet},
    {"loud", MS_SILENT, Kind::kClear},
    {"rbind", MS_BIND | MS_REC, Kind::kSet},
    {"bind", MS_BIND, Kind::kSet},
    {"rprivate", MS_PRIVATE | MS_REC, Kind::kPropagation},
    {"private", MS_PRIVATE, Kind::kPropagation},
    {"rshared", MS_SHARED | MS_REC, Kind::kPropagation},
    {"shared", MS_SHARED, Kind::kPropagation},
    {"rslave", MS_SLAVE | MS_REC, Kind::kPropagation},
    {"slave", MS_SLAVE, Kind::kPropagation},
    {"runbindable", MS_UNBINDABLE | MS_REC, Kind::kPropagation},
    {"unbindable", MS_UNBINDABLE, Kind::kPropagation},
};

const Option* find_option(const std::string& name) {
  for (const auto& o : kOptions) {
    if (name == o.name) return &o;
  }
  return nullptr;
}

}  // namespace

bool MountOptions::is_bind() const { return (flags & MS_BIND) != 0; }

MountOptions parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const auto& name : options) {
    const Option* o = find_option(name);
    if (o == nullptr) {
      if (!out.data.empty()) out.data += ',';
      out.data += name;
      continue;
    }
    switch (o->kind) {
      case Kind::kSet:
        out.flags |= o->flag;
        break;
      case Kind::kClear:
        out.flags &= ~o->flag;
        break;
      case Kind::kPropagation:
        // The kernel takes one propagation type per mount(2) call; the last one wins.
        out.propagation = o->flag;
        break;
    }
  }
  return out;
}

std::string mount_flags_string(unsigned long flags) {
  // Names covering several bits claim their bits first, then single-bit names take the rest;
  // the chosen names are printed in table order.
  bool chosen[std::size(kOptions)] = {};
  unsigned long left = flags;
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < std::size(kOptions); ++i) {
      const Option& o = kOptions[i];
      if (o.kind == Kind::kClear || o.flag == 0) continue;
      bool multi = (o.flag & (o.flag - 1)) != 0;
      if (multi != (pass == 0)) continue;
      if ((left & o.flag) == o.flag) {
        chosen[i] = true;
        left &= ~o.flag;
      }
    }
  }
  std::string out;
  for (size_t i = 0; i < std::size(kOptions); ++i) {
    if (!chosen[i]) continue;
    if (!out.empty()) out += ',';
    out += kOptions[i].name;
  }
  return out;
}

std::vector<std::string> all_mount_option_names() {
  std::vector<std::string> names;
  for (const auto& o : kOptions) names.emplace_back(o.name);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace hull::oci
