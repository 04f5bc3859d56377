// An undo stack for multi-step work: each step pushes how to take itself back; if the
// whole does not succeed (dismiss() not called), the steps are undone in reverse order.
#pragma once

#include <functional>
#include <utility>
#include <vector>

namespace hull::base {

class Undo {
 public:
  Undo() = default;
  Undo(const Undo&) = delete;
  Undo& operator=(const Undo&) = delete;
  ~Undo() {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) (*it)();
  }
  void push(std::function<void()> f) { steps_.push_back(std::move(f)); }
  void dismiss() { steps_.clear(); }

 private:
  std::vector<std::function<void()>> steps_;
};

}  // namespace hull::base
