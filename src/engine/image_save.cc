// save: a docker-save archive (manifest.json, repositories) that is at the same time an OCI
// image layout (oci-layout, index.json), as docker 25 writes: blobs are copied byte for
// byte from the store under blobs/sha256/, so every digest stays what it was.
#include "engine/archive_lib.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "base/sys.h"
#include "engine/image_index.h"
#include "engine/image_ref.h"
#include "engine/image_stage.h"
#include "engine/image_store.h"

namespace hull::engine {

namespace {

using nlohmann::json;

class TarWriter {
 public:
  TarWriter() : a_(archive_write_new(), archive_write_free) {
    archive_write_set_format_pax_restricted(a_.get());
  }
  base::Result<void> open(const std::string& path) {
    if (archive_write_open_filename(a_.get(), path.c_str()) != ARCHIVE_OK) return fail(path);
    return {};
  }
  base::Result<void> dir(const std::string& name) { return header(name, AE_IFDIR, 0755, 0); }
  base::Result<void> data(const std::string& name, const std::string& content) {
    TRY(header(name, AE_IFREG, 0644, static_cast<int64_t>(content.size())));
    if (archive_write_data(a_.get(), content.data(), content.size()) < 0) return fail(name);
    return {};
  }
  base::Result<void> file(const std::string& name, const std::string& path) {
    ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(path, O_RDONLY));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return base::sys_error("stat " + path, errno);
    TRY(header(name, AE_IFREG, 0644, st.st_size));
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return base::sys_error("read " + path, errno);
      if (n == 0) return {};
      if (archive_write_data(a_.get(), buf, static_cast<size_t>(n)) < 0) return fail(name);
    }
  }
  base::Result<void> close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return fail("close");
    return {};
  }

 private:
  base::Result<void> header(const std::string& name, unsigned type, int perm, int64_t size) {
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), perm);
    archive_entry_set_size(e.get(), size);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail(name);
    return {};
  }
  base::Error fail(const std::string& what) {
    return base::Error("write " + what + ": " + archive_error_string(a_.get()),
                       archive_errno(a_.get()));
  }
  std::unique_ptr<archive, int (*)(archive*)> a_;
};

std::string member(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

}  // namespace

base::Result<void> ImageStore::save(const std::vector<std::string>& refs,
                                    const std::string& out_path) {
  ASSIGN_OR_RETURN(ImageIndex idx, read_index(root_ + "/index.json"));
  // Which images, and under which names: a name saves that name, an id all of the image's.
  std::vector<std::string> order;
  std::map<std::string, std::vector<std::string>> names;
  for (const auto& ref : refs) {
    ASSIGN_OR_RETURN(Image img, find(ref));
    if (!names.count(img.id)) order.push_back(img.id);
    auto& n = names[img.id];
    auto r = parse_image_ref(ref);
    bool by_name = r && r->digest.empty() && idx.tags.count(r->familiar());
    for (const auto& t : by_name ? std::vector<std::string>{r->familiar()} : idx.tags_of(img.id)) {
      if (std::find(n.begin(), n.end(), t) == n.end()) n.push_back(t);
    }
  }
  std::string tmp = out_path + ".tmp." + std::to_string(::getpid());
  TarWriter w;
  auto write = [&]() -> base::Result<void> {
    TRY(w.open(tmp));
    TRY(w.dir("blobs"));
    TRY(w.dir("blobs/sha256"));
    json manifest = json::array(), index_list = json::array(), repos = json::object();
    std::set<std::string> written;
    auto blob = [&](const std::string& digest) -> base::Result<void> {
      if (!written.insert(digest).second) return {};
      return w.file(member(digest), blob_path(root_, digest));
    };
    for (const auto& id : order) {
      const ImageRecord& rec = idx.images.at(id);
      TRY(blob(id));
      TRY(blob(rec.manifest_digest));
      json layers = json::array();
      for (const auto& l : rec.layers) {
        TRY(blob(l.digest));
        layers.push_back(member(l.digest));
      }
      manifest.push_back({{"Config", member(id)}, {"RepoTags", names[id]}, {"Layers", layers}});
      ASSIGN_OR_RETURN(std::string mtext, base::sys::read_file(blob_path(root_, rec.manifest_digest)));
      std::string mtype = "application/vnd.oci.image.manifest.v1+json";
      try {
        mtype = json::parse(mtext).value("mediaType", mtype);
      } catch (const json::exception&) {
        // A manifest without a media type of its own: OCI's is the right default.
      }
      json desc = {{"mediaType", mtype}, {"digest", rec.manifest_digest}, {"size", mtext.size()}};
      if (names[id].empty()) index_list.push_back(desc);
      for (const auto& t : names[id]) {
        ASSIGN_OR_RETURN(ImageRef r, parse_image_ref(t));
        desc["annotations"] = {{"io.containerd.image.name", r.full()},
                               {"org.opencontainers.image.ref.name", r.tag}};
        index_list.push_back(desc);
        std::string repo = t.substr(0, t.rfind(':'));
        if (!rec.layers.empty()) repos[repo][r.tag] = rec.layers.back().digest.substr(7);
      }
    }
    TRY(w.data("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
    TRY(w.data("index.json", json({{"schemaVersion", 2},
                                    {"mediaType", "application/vnd.oci.image.index.v1+json"},
                                    {"manifests", index_list}})
                                 .dump()));
    TRY(w.data("manifest.json", manifest.dump()));
    TRY(w.data("repositories", repos.dump()));
    TRY(w.close());
    if (::rename(tmp.c_str(), out_path.c_str()) != 0) {
      return base::sys_error("rename " + tmp + " to " + out_path, errno);
    }
    return {};
  };
  auto r = write();
  if (!r) {
    ::unlink(tmp.c_str());
    return std::move(r.error()).context("save " + out_path);
  }
  return {};
}

}  // namespace hull::engine
