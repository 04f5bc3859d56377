// The image store's queries and edits: find, list, import of a rootfs tarball, tag, remove
// and prune. Archives (load, save) are in image_load.cc and image_save.cc; the way content
// enters the store in image_stage.cc.
#include "engine/image_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "base/clock.h"
#include "base/sys.h"
#include "engine/image_digest.h"
#include "engine/image_layer.h"
#include "engine/image_ref.h"
#include "engine/image_stage.h"

namespace hull::engine {

namespace {

std::string short_id(const std::string& id) { return id.substr(7, 12); }

base::Result<std::string> familiar_tag(const std::string& ref) {
  ASSIGN_OR_RETURN(ImageRef r, parse_image_ref(ref));
  if (!r.digest.empty()) {
    return base::Error("invalid reference \"" + ref + "\": a tag cannot have a digest");
  }
  return r.familiar();
}

// Which image a reference names: its id, or an error naming the reference.
base::Result<std::string> resolve(const ImageIndex& idx, const std::string& ref) {
  std::string hex = ref.compare(0, 7, "sha256:") == 0 ? ref.substr(7) : "";
  if (hex.empty()) {
    if (auto r = parse_image_ref(ref)) {
      if (r->digest.empty()) {
        if (auto it = idx.tags.find(r->familiar()); it != idx.tags.end()) return it->second;
      } else {
        for (const auto& [id, img] : idx.images) {
          if (img.manifest_digest == r->digest || id == r->digest) return id;
        }
      }
    }
    if (is_hex(ref)) hex = ref;
  }
  if (hex.size() >= 4 && is_hex(hex)) {
    std::vector<std::string> hits;
    for (const auto& [id, _] : idx.images) {
      if (id.compare(7, hex.size(), hex) == 0) hits.push_back(id);
    }
    if (hits.size() == 1) return hits[0];
    if (hits.size() > 1) {
      return base::Error("image id prefix " + ref + " is ambiguous (" +
                         std::to_string(hits.size()) + " images)")
          .hint("give more digits of the id");
    }
  }
  return base::Error("no such image: " + ref);
}

// Drops an image from the index (not its files: collect_garbage does that).
void drop(ImageIndex& idx, const std::string& id, std::vector<std::string>& lines) {
  for (const auto& t : idx.tags_of(id)) {
    idx.tags.erase(t);
    lines.push_back("Untagged: " + t);
  }
  idx.images.erase(id);
  lines.push_back("Deleted: " + id);
}

}  // namespace

ImageStore::ImageStore(std::string root) : root_(std::move(root)) {
  // Layer dirs are handed to overlayfs and must be absolute whatever --root was.
  std::error_code ec;
  auto abs = std::filesystem::absolute(root_, ec);
  if (!ec) root_ = abs.lexically_normal().string();
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

base::Result<Image> ImageStore::image_of(const ImageIndex& idx, const std::string& id) const {
  const ImageRecord& rec = idx.images.at(id);
  Image img;
  img.id = id;
  img.tags = idx.tags_of(id);
  img.manifest_digest = rec.manifest_digest;
  ASSIGN_OR_RETURN(std::string text, base::sys::read_file(blob_path(root_, id)));
  ASSIGN_OR_RETURN(ParsedImageConfig cfg, parse_image_config(text, blob_path(root_, id)));
  img.config = std::move(cfg.config);
  img.diff_ids = std::move(cfg.diff_ids);
  for (const auto& l : rec.layers) {
    img.layer_dirs.push_back(layer_path(root_, l.diff_id));
    img.size += l.size;
  }
  img.created = rec.created;
  return img;
}

base::Result<Image> ImageStore::find(const std::string& ref) const {
  ASSIGN_OR_RETURN(ImageIndex idx, read_index(root_ + "/index.json"));
  ASSIGN_OR_RETURN(std::string id, resolve(idx, ref));
  return image_of(idx, id);
}

std::vector<Image> ImageStore::list() const {
  std::vector<Image> out;
  auto idx = read_index(root_ + "/index.json");
  if (!idx) return out;
  for (const auto& [id, _] : idx->images) {
    if (auto img = image_of(*idx, id)) out.push_back(std::move(*img));
  }
  // Newest first, as docker lists them.
  std::stable_sort(out.begin(), out.end(),
                   [](const Image& a, const Image& b) { return a.created > b.created; });
  return out;
}

base::Result<Image> ImageStore::import_rootfs(const std::string& tarball, const std::string& ref,
                                              const ImageConfig& config) {
  std::string tag;
  if (!ref.empty()) {
    ASSIGN_OR_RETURN(tag, familiar_tag(ref));
  }
  base::Fd in;
  if (tarball == "-") {
    in.reset(::dup(0));
  } else {
    ASSIGN_OR_RETURN(in, base::sys::open(tarball, O_RDONLY));
  }
  // Kept as read when OCI has a media type for its compression (digest-exact on save);
  // xz, bzip2 and stdin are kept as the uncompressed tar.
  char head[8] = {};
  ssize_t n = tarball == "-" ? -1 : ::pread(in.get(), head, sizeof head, 0);
  Compression comp = n > 0 ? detect_compression({head, static_cast<size_t>(n)})
                           : Compression::kBzip2;
  std::string media = layer_media_type(comp);
  ASSIGN_OR_RETURN(Staging st, Staging::make(root_));
  StagedLayer layer;
  layer.blob = st.path("blob");
  layer.dir = st.path("layer");
  TRY(base::sys::mkdir(layer.dir, 0755));
  {
    ASSIGN_OR_RETURN(base::Fd blob, base::sys::open(layer.blob, O_WRONLY | O_CREAT | O_EXCL, 0644));
    UnpackOptions opt;
    (media.empty() ? opt.tar_tee_fd : opt.raw_tee_fd) = blob.get();
    auto u = unpack_layer(in.get(), layer.dir, opt);
    if (!u) return std::move(u.error()).context("import " + tarball);
    layer.record.diff_id = u->diff_id;
    layer.record.digest = media.empty() ? u->diff_id : u->digest;
    layer.record.size = u->size;
  }
  layer.record.media_type = media.empty() ? layer_media_type(Compression::kNone) : media;
  struct stat sb;
  if (::stat(layer.blob.c_str(), &sb) != 0) return base::sys_error("stat " + layer.blob, errno);
  layer.record.blob_size = sb.st_size;

  StagedImage img;
  ImageConfig cfg = config;
  if (cfg.created.empty()) cfg.created = base::rfc3339_now();
  img.created = cfg.created;
  img.config = image_config_json(cfg, {layer.record.diff_id},
                                 "hull import " + (tarball == "-" ? "-" : tarball));
  img.manifest = make_manifest(img.config, {layer.record});
  img.layers.push_back(std::move(layer));
  if (!tag.empty()) img.tags.push_back(tag);
  ASSIGN_OR_RETURN(auto ids, install(root_, st, {img}));
  return find(ids.at(0));
}

base::Result<void> ImageStore::tag(const std::string& ref, const std::string& new_ref) {
  ASSIGN_OR_RETURN(std::string tag, familiar_tag(new_ref));
  ASSIGN_OR_RETURN(IndexLock lock, IndexLock::take(root_));
  ASSIGN_OR_RETURN(ImageIndex idx, read_index(root_ + "/index.json"));
  ASSIGN_OR_RETURN(std::string id, resolve(idx, ref));
  idx.tags[tag] = id;
  return write_index(root_ + "/index.json", idx);
}

base::Result<std::vector<std::string>> ImageStore::remove(const std::string& ref, bool force,
                                                          const std::set<std::string>& in_use) {
  TRY(ensure_store_dirs(root_));
  ASSIGN_OR_RETURN(IndexLock lock, IndexLock::take(root_));
  ASSIGN_OR_RETURN(ImageIndex idx, read_index(root_ + "/index.json"));
  ASSIGN_OR_RETURN(std::string id, resolve(idx, ref));
  std::vector<std::string> lines;
  std::vector<std::string> tags = idx.tags_of(id);
  // A name untags; an id (or the last name) deletes, as docker does.
  std::string named;
  if (auto r = parse_image_ref(ref); r && idx.tags.count(r->familiar()) && r->digest.empty()) {
    named = r->familiar();
  }
  if (!named.empty() && tags.size() > 1) {
    idx.tags.erase(named);
    lines.push_back("Untagged: " + named);
  } else {
    std::string shown = named.empty() ? (tags.empty() ? id : tags[0]) : named;
    if (in_use.count(id) && !force) {
      return base::Error("image " + shown + " (sha256:" + short_id(id) +
                         ") is in use by a container")
          .hint("remove the container first, or use rmi --force");
    }
    if (named.empty() && tags.size() > 1 && !force) {
      return base::Error("image " + short_id(id) + " is referenced by " +
                         std::to_string(tags.size()) + " names")
          .hint("remove the names one by one, or use rmi --force");
    }
    if (in_use.count(id)) {
      // Forced: the names go, the image stays (dangling) while a container uses its layers.
      for (const auto& t : tags) {
        idx.tags.erase(t);
        lines.push_back("Untagged: " + t);
      }
    } else {
      drop(idx, id, lines);
    }
  }
  TRY(write_index(root_ + "/index.json", idx));
  TRY(collect_garbage(root_, idx));
  return lines;
}

base::Result<std::vector<std::string>> ImageStore::prune(bool all,
                                                         const std::set<std::string>& in_use) {
  TRY(ensure_store_dirs(root_));
  ASSIGN_OR_RETURN(IndexLock lock, IndexLock::take(root_));
  ASSIGN_OR_RETURN(ImageIndex idx, read_index(root_ + "/index.json"));
  std::vector<std::string> lines;
  std::vector<std::string> ids;
  for (const auto& [id, _] : idx.images) {
    if (!in_use.count(id) && (all || idx.tags_of(id).empty())) ids.push_back(id);
  }
  for (const auto& id : ids) drop(idx, id, lines);
  TRY(write_index(root_ + "/index.json", idx));
  TRY(collect_garbage(root_, idx));
  TRY(clear_downloads());
  return lines;
}

base::Result<base::Fd> ImageStore::hold_downloads() const {
  TRY(base::sys::mkdir_all(downloads(), 0700));
  ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(downloads(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  while (::flock(fd.get(), LOCK_SH) != 0) {
    if (errno != EINTR) return base::sys_error("flock " + downloads(), errno);
  }
  return fd;
}

base::Result<void> ImageStore::clear_downloads() const {
  auto fd = base::sys::open(downloads(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (!fd) return {};  // no pull ever kept anything
  // A running pull may be about to unpack a blob it just put there: leave them all.
  if (::flock(fd->get(), LOCK_EX | LOCK_NB) != 0) return {};
  for (const auto& name : base::sys::list_dir(downloads())) {
    TRY(base::sys::remove_all(downloads() + "/" + name));
  }
  return {};
}

}  // namespace hull::engine
