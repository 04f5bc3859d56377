#include "runtime/path_in_root.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <utility>
#include <vector>

namespace hull::runtime {

using base::Error;
using base::Fd;
using base::Result;

namespace {

// The kernel's own limit on symlinks followed in one path walk (MAXSYMLINKS).
constexpr int kMaxSymlinks = 40;

// A component still to walk. One that came out of a symlink remembers the link, so that an
// escape through ".." is blamed on the link the user can go and fix.
struct Component {
  std::string name;
  std::string link;  // container path of the symlink it came from, or ""
  std::string target;
};

// Walks a path from a root dirfd one component at a time, keeping the directories it went
// through on a stack so that ".." means the directory we actually came from.
class Walk {
 public:
  Walk(int root_fd, const std::string& path, Create create)
      : root_fd_(root_fd), path_(path), create_(create) {}

  Result<Fd> run() {
    push_front(path_, "", "");
    while (!todo_.empty()) {
      Component c = std::move(todo_.front());
      todo_.pop_front();
      if (c.name == "..") {
        TRY(up(c));
        continue;
      }
      ASSIGN_OR_RETURN(Fd fd, open_component(c.name));
      struct stat st;
      if (::fstat(fd.get(), &st) != 0) return Error(path_ + ": stat " + here(c.name), errno);
      if (S_ISLNK(st.st_mode)) {
        TRY(follow(fd.get(), c.name));
        continue;
      }
      stack_.push_back(std::move(fd));
      names_.push_back(std::move(c.name));
    }
    if (!stack_.empty()) return std::move(stack_.back());
    int fd = ::openat(root_fd_, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error(path_ + ": open the rootfs root", errno);
    return Fd(fd);
  }

 private:
  int cur() const { return stack_.empty() ? root_fd_ : stack_.back().get(); }

  // The container path of `name` in the current directory, as resolved so far.
  std::string here(const std::string& name) const {
    std::string out;
    for (const auto& n : names_) out += "/" + n;
    return out + "/" + name;
  }

  void push_front(const std::string& path, const std::string& link, const std::string& target) {
    std::vector<Component> parts;
    size_t pos = 0;
    while (pos <= path.size()) {
      size_t end = path.find('/', pos);
      if (end == std::string::npos) end = path.size();
      std::string name = path.substr(pos, end - pos);
      if (!name.empty() && name != ".") parts.push_back({std::move(name), link, target});
      pos = end + 1;
    }
    todo_.insert(todo_.begin(), parts.begin(), parts.end());
  }

  Result<void> up(const Component& c) {
    if (stack_.empty()) {
      if (!c.link.empty()) {
        return Error(path_ + ": symlink " + c.link + " -> " + c.target + " leaves the rootfs",
                     EXDEV);
      }
      return Error(path_ + ": \"..\" leaves the rootfs", EXDEV);
    }
    stack_.pop_back();
    names_.pop_back();
    return {};
  }

  // O_PATH|O_NOFOLLOW opens a symlink itself rather than its target, so every link passes
  // through follow() and can be checked; missing components are made when asked to.
  Result<Fd> open_component(const std::string& name) {
    const bool last = todo_.empty();
    for (int attempt = 0;; ++attempt) {
      int fd = ::openat(cur(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) return Fd(fd);
      if (errno != ENOENT || create_ == Create::kNone || attempt > 0) {
        if (here(name) == path_) return Error("open " + path_, errno);
        return Error(path_ + ": open " + here(name), errno);
      }
      // EEXIST means someone made it between our open and create: open it on the next turn.
      if (last && create_ == Create::kFile) {
        int made = ::openat(cur(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
        if (made < 0 && errno != EEXIST) return Error(path_ + ": create " + here(name), errno);
        if (made >= 0) ::close(made);
      } else if (::mkdirat(cur(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return Error(path_ + ": mkdir " + here(name), errno);
      }
    }
  }

  // Splices the link's target in front of what is left to walk. An absolute target starts
  // again from the rootfs root, as it would for a process inside the container.
  Result<void> follow(int link_fd, const std::string& name) {
    if (++links_ > kMaxSymlinks) {
      return Error(path_ + ": more than " + std::to_string(kMaxSymlinks) + " symlinks", ELOOP);
    }
    std::string target(PATH_MAX, '\0');
    // An empty path with an O_PATH fd reads the link the fd itself refers to.
    ssize_t n = ::readlinkat(link_fd, "", target.data(), target.size());
    if (n < 0) return Error(path_ + ": readlink " + here(name), errno);
    target.resize(static_cast<size_t>(n));
    if (target.empty()) return Error(path_ + ": symlink " + here(name) + " is empty", ENOENT);
    std::string link = here(name);
    if (target[0] == '/') {
      stack_.clear();
      names_.clear();
    }
    push_front(target, link, target);
    return {};
  }

  const int root_fd_;
  const std::string path_;
  const Create create_;
  std::vector<Fd> stack_;           // directories below the root, innermost last
  std::vector<std::string> names_;  // their names, for messages
  std::deque<Component> todo_;
  int links_ = 0;
};

}  // namespace

Result<Fd> open_in_root(int root_fd, const std::string& path, Create create) {
  return Walk(root_fd, path, create).run();
}

}  // namespace hull::runtime
