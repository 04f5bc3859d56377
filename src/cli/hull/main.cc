// hull: the docker-style CLI. The engine (images, networks, monitors) comes with the engine
// issue; until then hull answers --version and says what exists.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && (!std::strcmp(argv[1], "--version") || !std::strcmp(argv[1], "version"))) {
    std::printf("hull version %s\n", HULL_VERSION);
    return 0;
  }
  std::fprintf(stderr,
               "hull: the engine is not built yet; use hull-oci (a runc-compatible runtime) "
               "for now\n");
  return 1;
}
