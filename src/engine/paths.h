// Where the engine keeps things (DESIGN.md, "Places on disk"): images, layers and container
// records under root (/var/lib/hull), monitor sockets and the runtime's state under run_root
// (/run/hull). Both move with --root/--runroot or HULL_ROOT/HULL_RUNROOT, so tests use their
// own temporary roots.
#pragma once

#include <string>

namespace hull::engine {

struct Paths {
  std::string root;      // /var/lib/hull
  std::string run_root;  // /run/hull
  // Where containers' cgroups go: <cgroup_parent>/<id> (dockerd's --cgroup-parent).
  std::string cgroup_parent = "/hull";

  // The defaults for this user: root's, or the XDG places of an ordinary user; the
  // environment variables override them, flags override those.
  static Paths defaults();

  std::string images() const { return root + "/images"; }          // the image store
  std::string containers() const { return root + "/containers"; }  // one dir per container
  std::string names() const { return root + "/names"; }            // name -> id symlinks
  std::string runtime_root() const { return run_root + "/oci"; }   // the runtime's --root
  std::string sockets() const { return run_root + "/sockets"; }    // <id>.sock per monitor
};

}  // namespace hull::engine
