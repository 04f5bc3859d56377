#include "engine/image_archive.h"

#include "engine/archive_lib.h"
#include <fcntl.h>

#include <memory>
#include <vector>

#include "base/sys.h"
#include "engine/image_digest.h"

namespace hull::engine {

namespace {

// Normalises a member name ("./a//b/../c" -> "a/c"); false when it climbs out of the archive.
bool normalize(const std::string& in, std::string& out) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= in.size()) {
    size_t end = std::min(in.find('/', start), in.size());
    std::string p = in.substr(start, end - start);
    if (p == "..") {
      if (parts.empty()) return false;
      parts.pop_back();
    } else if (!p.empty() && p != ".") {
      parts.push_back(p);
    }
    start = end + 1;
  }
  out.clear();
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return true;
}

}  // namespace

base::Result<ArchiveMembers> ArchiveMembers::extract(const std::string& path, const Staging& st) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  auto fail = [&](const std::string& what) {
    return base::Error(what + ": " + archive_error_string(a.get()), archive_errno(a.get()));
  };
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return fail("open");
  }
  TRY(base::sys::mkdir(st.path("in"), 0700));
  ArchiveMembers m;
  archive_entry* e;
  std::vector<char> buf(1 << 16);
  for (int n = 0;; ++n) {
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return fail("read");
    std::string raw = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    std::string name;
    if (!normalize(raw, name) || (!raw.empty() && raw.front() == '/')) {
      return base::Error("member " + raw + ": path leaves the archive");
    }
    if (const char* hard = archive_entry_hardlink(e)) {
      std::string target;
      if (normalize(hard, target)) m.links_[name] = target;
      continue;
    }
    if (archive_entry_filetype(e) == AE_IFLNK) {
      std::string dir = name.substr(0, name.rfind('/') == std::string::npos ? 0 : name.rfind('/'));
      std::string target;
      const char* sym = archive_entry_symlink(e);
      if (sym && sym[0] != '/' && normalize(dir + "/" + sym, target)) m.links_[name] = target;
      continue;
    }
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    ArchiveMember mem;
    mem.path = st.path("in/" + std::to_string(n));
    ASSIGN_OR_RETURN(base::Fd out, base::sys::open(mem.path, O_WRONLY | O_CREAT | O_EXCL, 0644));
    Sha256Stream hash;
    for (;;) {
      la_ssize_t got = archive_read_data(a.get(), buf.data(), buf.size());
      if (got < 0) return fail("read " + raw);
      if (got == 0) break;
      hash.update(buf.data(), static_cast<size_t>(got));
      TRY_CTX(base::sys::write_all(out.get(), std::string(buf.data(), static_cast<size_t>(got))),
              "extract " + raw);
      mem.size += got;
    }
    mem.digest = hash.digest();
    m.files_[name] = std::move(mem);
  }
  return m;
}

base::Result<ArchiveMember> ArchiveMembers::get(const std::string& name) const {
  std::string cur;
  if (!normalize(name, cur)) return base::Error("member " + name + ": path leaves the archive");
  for (int hops = 0; hops < 16; ++hops) {
    if (auto f = files_.find(cur); f != files_.end()) return f->second;
    auto l = links_.find(cur);
    if (l == links_.end()) break;
    cur = l->second;
  }
  return base::Error("member " + name + ": not in the archive");
}

base::Result<std::string> ArchiveMembers::read(const std::string& name) const {
  ASSIGN_OR_RETURN(ArchiveMember mem, get(name));
  return base::sys::read_file(mem.path);
}

}  // namespace hull::engine
