// Placeholder: the image store is being written (see image_store.h).
#include "engine/image_store.h"

namespace hull::engine {

ImageStore::ImageStore(std::string root) : root_(std::move(root)) {}

}  // namespace hull::engine
