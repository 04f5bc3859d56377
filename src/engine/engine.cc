#include "engine/engine.h"

namespace hull::engine {

const char* version() { return HULL_VERSION; }

Engine::Engine(Paths paths) : paths_(std::move(paths)), images_(paths_.images()) {}

}  // namespace hull::engine
