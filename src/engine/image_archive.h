// The members of an image archive (a tar, possibly compressed), streamed once into a staging
// dir under flat names, each hashed on the way, with the archive's symlinks and hard links
// (docker save links duplicate layers) resolved by name. Used by load.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/error.h"
#include "engine/image_stage.h"

namespace hull::engine {

struct ArchiveMember {
  std::string path;    // where it was written, in the staging dir
  std::string digest;  // "sha256:<hex>" of its content
  int64_t size = 0;
};

class ArchiveMembers {
 public:
  static base::Result<ArchiveMembers> extract(const std::string& archive, const Staging& st);

  // The member with this name (after "./" and links); the error names the archive member.
  base::Result<ArchiveMember> get(const std::string& name) const;
  base::Result<std::string> read(const std::string& name) const;
  bool has(const std::string& name) const { return get(name).has_value(); }

 private:
  std::map<std::string, ArchiveMember> files_;
  std::map<std::string, std::string> links_;  // name -> the name it stands for
};

}  // namespace hull::engine
