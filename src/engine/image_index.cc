#include "engine/image_index.h"

#include <fcntl.h>
#include <sys/file.h>

#include <nlohmann/json.hpp>

#include "base/sys.h"

namespace hull::engine {

using nlohmann::json;

std::vector<std::string> ImageIndex::tags_of(const std::string& id) const {
  std::vector<std::string> out;
  for (const auto& [tag, target] : tags) {
    if (target == id) out.push_back(tag);
  }
  return out;
}

const LayerRecord* ImageIndex::find_layer(const std::string& diff_id,
                                          const std::string& digest) const {
  for (const auto& [_, img] : images) {
    for (const auto& l : img.layers) {
      if (l.diff_id == diff_id && l.digest == digest) return &l;
    }
  }
  return nullptr;
}

base::Result<ImageIndex> read_index(const std::string& path) {
  ImageIndex idx;
  auto text = base::sys::read_file(path);
  if (!text) {
    if (text.error().code() == ENOENT) return idx;
    return std::move(text.error());
  }
  std::string at = "";
  try {
    json j = json::parse(*text);
    for (const auto& [id, r] : j.at("images").items()) {
      at = "images." + id;
      ImageRecord rec;
      rec.id = id;
      rec.manifest_digest = r.at("manifest").get<std::string>();
      rec.created = r.value("created", "");
      rec.loaded = r.value("loaded", "");
      for (const auto& l : r.at("layers")) {
        rec.layers.push_back({l.at("diff_id").get<std::string>(), l.at("digest").get<std::string>(),
                              l.at("media_type").get<std::string>(), l.at("blob_size").get<int64_t>(),
                              l.at("size").get<int64_t>()});
      }
      idx.images[id] = std::move(rec);
    }
    at = "tags";
    for (const auto& [tag, id] : j.at("tags").items()) idx.tags[tag] = id.get<std::string>();
  } catch (const json::exception& e) {
    return base::Error(path + ": bad index" + (at.empty() ? "" : " at " + at) + ": " + e.what())
        .hint("the image store is damaged; move it away and load the images again");
  }
  return idx;
}

base::Result<void> write_index(const std::string& path, const ImageIndex& idx) {
  json images = json::object();
  for (const auto& [id, r] : idx.images) {
    json layers = json::array();
    for (const auto& l : r.layers) {
      layers.push_back({{"diff_id", l.diff_id},
                        {"digest", l.digest},
                        {"media_type", l.media_type},
                        {"blob_size", l.blob_size},
                        {"size", l.size}});
    }
    images[id] = {{"manifest", r.manifest_digest},
                  {"created", r.created},
                  {"loaded", r.loaded},
                  {"layers", layers}};
  }
  json j = {{"images", images}, {"tags", idx.tags}};
  return base::sys::write_file_atomic(path, j.dump(1) + "\n", 0600);
}

base::Result<IndexLock> IndexLock::take(const std::string& root) {
  ASSIGN_OR_RETURN(base::Fd fd, base::sys::open(root + "/index.lock", O_RDWR | O_CREAT, 0600));
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return base::sys_error("flock " + root + "/index.lock", errno);
  }
  return IndexLock(std::move(fd));
}

}  // namespace hull::engine
