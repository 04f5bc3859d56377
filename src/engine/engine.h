// The engine (images, storage, networks, container records, monitors) arrives with the
// engine issue; this layer exists now so that links point down from the start.
#pragma once

namespace hull::engine {

const char* version();

}  // namespace hull::engine
