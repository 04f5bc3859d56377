#include "engine/engine.h"

namespace hull::engine {

const char* version() { return HULL_VERSION; }

}  // namespace hull::engine
