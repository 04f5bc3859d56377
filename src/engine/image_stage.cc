#include "engine/image_stage.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <set>

#include "base/clock.h"
#include "base/sys.h"
#include "engine/image_config.h"
#include "engine/image_digest.h"
#include "engine/image_layer.h"

namespace hull::engine {

using base::sys::exists;

namespace {

// rename(2) that treats "the destination is already there" as done: another process
// installed the same content first, and ours is dropped with the staging dir.
base::Result<void> install_rename(const std::string& from, const std::string& to) {
  if (exists(to)) return {};
  if (::rename(from.c_str(), to.c_str()) != 0 && errno != EEXIST && errno != ENOTEMPTY) {
    return base::sys_error("rename " + from + " to " + to, errno);
  }
  return {};
}

// Removes a tree by renaming it into the staging area first, so that a crash halfway
// leaves no half-deleted layer under layers/.
base::Result<void> remove_tree(const std::string& root, const std::string& path) {
  std::string grave =
      root + "/tmp/" + std::to_string(::getpid()) + "-rm-" + path.substr(path.rfind('/') + 1);
  if (::rename(path.c_str(), grave.c_str()) != 0) {
    if (errno == ENOENT) return {};
    return base::sys_error("rename " + path + " to " + grave, errno);
  }
  return base::sys::remove_all(grave);
}

}  // namespace

std::string blob_path(const std::string& root, const std::string& digest) {
  return root + "/blobs/sha256/" + digest_hex(digest);
}

std::string layer_path(const std::string& root, const std::string& diff_id) {
  return root + "/layers/" + digest_hex(diff_id);
}

base::Result<void> ensure_store_dirs(const std::string& root) {
  for (const char* sub : {"/blobs/sha256", "/layers", "/tmp"}) {
    TRY(base::sys::mkdir_all(root + sub, 0700));
  }
  // Overlayfs' lowerdirs are reached by the container's user too (rootless, userns): the
  // path down to each layer must be searchable.
  for (const char* sub : {"", "/layers"}) ::chmod((root + sub).c_str(), 0711);
  return {};
}

base::Result<Staging> Staging::make(const std::string& store_root) {
  TRY(ensure_store_dirs(store_root));
  std::string tmpl = store_root + "/tmp/" + std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return base::sys_error("mkdtemp " + tmpl, errno);
  return Staging(tmpl);
}

Staging::~Staging() {
  if (!dir_.empty()) (void)base::sys::remove_all(dir_);
}

std::string make_manifest(const std::string& config, const std::vector<LayerRecord>& layers) {
  nlohmann::json ls = nlohmann::json::array();
  for (const auto& l : layers) {
    ls.push_back({{"mediaType", l.media_type}, {"digest", l.digest}, {"size", l.blob_size}});
  }
  nlohmann::json m = {{"schemaVersion", 2},
                      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                      {"config",
                       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                        {"digest", sha256_digest(config)},
                        {"size", config.size()}}},
                      {"layers", ls}};
  return m.dump();
}

base::Result<StagedLayer> stage_layer(const Staging& st, const std::string& blob,
                                      const std::string& media_type) {
  static int seq = 0;
  StagedLayer out;
  out.blob = blob;
  out.dir = st.path("layer-" + std::to_string(++seq));
  TRY(base::sys::mkdir(out.dir, 0755));
  ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(blob, O_RDONLY));
  struct stat sb;
  if (::fstat(fd.get(), &sb) != 0) return base::sys_error("stat " + blob, errno);
  ASSIGN_OR_RETURN(UnpackedLayer u, unpack_layer(fd.get(), out.dir));
  out.record = {u.diff_id, u.digest, media_type, sb.st_size, u.size};
  return out;
}

base::Result<std::vector<std::string>> install(const std::string& root, const Staging& st,
                                               const std::vector<StagedImage>& images) {
  ASSIGN_OR_RETURN(IndexLock lock, IndexLock::take(root));
  ASSIGN_OR_RETURN(ImageIndex idx, read_index(root + "/index.json"));
  std::vector<std::string> ids;
  std::string now = base::rfc3339_now();
  for (const auto& img : images) {
    for (const auto& l : img.layers) {
      std::string blob = blob_path(root, l.record.digest);
      if (exists(l.blob)) TRY(install_rename(l.blob, blob));
      if (!exists(blob)) return base::Error("blob " + l.record.digest + " missing from the store");
      std::string dir = layer_path(root, l.record.diff_id);
      if (!l.dir.empty() && exists(l.dir)) TRY(install_rename(l.dir, dir));
      if (!exists(dir)) {
        // The layer was there when we looked, and a concurrent rmi removed it since: unpack
        // it again from its blob, now under the lock where no one can remove it.
        ASSIGN_OR_RETURN(StagedLayer again, stage_layer(st, blob, l.record.media_type));
        TRY(install_rename(again.dir, dir));
      }
    }
    std::string id = sha256_digest(img.config);
    std::string manifest_digest = sha256_digest(img.manifest);
    for (const auto& [digest, data] :
         {std::pair{id, img.config}, {manifest_digest, img.manifest}}) {
      if (!exists(blob_path(root, digest))) {
        TRY(base::sys::write_file_atomic(blob_path(root, digest), data, 0644));
      }
    }
    ImageRecord rec{id, manifest_digest, {}, img.created, now};
    for (const auto& l : img.layers) rec.layers.push_back(l.record);
    if (auto old = idx.images.find(id); old != idx.images.end()) rec.loaded = old->second.loaded;
    idx.images[id] = std::move(rec);
    for (const auto& t : img.tags) idx.tags[t] = id;
    ids.push_back(id);
  }
  TRY(write_index(root + "/index.json", idx));
  return ids;
}

base::Result<void> collect_garbage(const std::string& root, const ImageIndex& index) {
  std::set<std::string> blobs, layers;
  for (const auto& [id, img] : index.images) {
    blobs.insert(digest_hex(id));
    blobs.insert(digest_hex(img.manifest_digest));
    for (const auto& l : img.layers) {
      blobs.insert(digest_hex(l.digest));
      layers.insert(digest_hex(l.diff_id));
    }
  }
  for (const auto& name : base::sys::list_dir(root + "/layers")) {
    if (!layers.count(name)) TRY(remove_tree(root, root + "/layers/" + name));
  }
  for (const auto& name : base::sys::list_dir(root + "/blobs/sha256")) {
    if (blobs.count(name)) continue;
    std::string path = root + "/blobs/sha256/" + name;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return base::sys_error("unlink " + path, errno);
    }
  }
  // Staging dirs of processes that died before cleaning up ("<pid>-…").
  for (const auto& name : base::sys::list_dir(root + "/tmp")) {
    pid_t pid = static_cast<pid_t>(std::atoi(name.c_str()));
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) {
      TRY(base::sys::remove_all(root + "/tmp/" + name));
    }
  }
  return {};
}

}  // namespace hull::engine
