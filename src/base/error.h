// Errors as values: an Error carries errno, the failed call with its arguments, a chain of
// context (outermost first) and an optional hint, and renders as one lower-case line.
// Result<T> follows std::expected's member names so it can become an alias later.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace hull::base {

class Error {
 public:
  Error() = default;
  explicit Error(std::string what, int err = 0) : what_(std::move(what)), errno_(err) {}

  // Wraps with an outer context: "rootfs" + "mount proc: EPERM" -> "rootfs: mount proc: EPERM".
  Error& context(std::string outer) & {
    context_.insert(context_.begin(), std::move(outer));
    return *this;
  }
  Error&& context(std::string outer) && { return std::move(context(std::move(outer))); }
  Error& hint(std::string h) & {
    hint_ = std::move(h);
    return *this;
  }
  Error&& hint(std::string h) && { return std::move(hint(std::move(h))); }

  int code() const { return errno_; }
  const std::string& hint_text() const { return hint_; }
  const std::string& what() const { return what_; }
  // "ctx: ctx: what: Strerror (ENAME) (hint)".
  std::string message() const;

  // Flat wire form, so an error made in the container's child crosses the socket whole.
  std::string serialize() const;
  static Error deserialize(const std::string& wire);

 private:
  std::string what_;
  int errno_ = 0;
  std::vector<std::string> context_;
  std::string hint_;
};

// The name of an errno value ("EPERM"), or "" if unknown.
const char* errno_name(int err);

template <typename E>
class Unexpected {
 public:
  explicit Unexpected(E e) : e_(std::move(e)) {}
  E& error() { return e_; }

 private:
  E e_;
};

inline Unexpected<Error> unexpected(Error e) { return Unexpected<Error>(std::move(e)); }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT: implicit like expected
  Result(Unexpected<Error> e) : v_(std::in_place_index<1>, std::move(e.error())) {}  // NOLINT
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}                      // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& value() const& { return std::get<0>(v_); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(value()); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  Error& error() & { return std::get<1>(v_); }
  const Error& error() const& { return std::get<1>(v_); }
  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return has_value() ? std::move(value()) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected<Error> e) : err_(std::move(e.error())), ok_(false) {}  // NOLINT
  Result(Error e) : err_(std::move(e)), ok_(false) {}                      // NOLINT
  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {}
  Error& error() & { return err_; }
  const Error& error() const& { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

// An Error from errno: Error::sys("mount", "proc on /proc").
Error sys_error(const std::string& call, int err);

}  // namespace hull::base

// Propagates an error with optional context: TRY(expr) or TRY_CTX(expr, "rootfs").
#define HULL_CAT2(a, b) a##b
#define HULL_CAT(a, b) HULL_CAT2(a, b)
#define TRY_IMPL(var, expr, ...)                                      \
  do {                                                                \
    auto&& var = (expr);                                              \
    if (!var.has_value()) {                                           \
      return ::hull::base::Error(std::move(var.error())) __VA_ARGS__; \
    }                                                                 \
  } while (0)
#define TRY(expr) TRY_IMPL(HULL_CAT(try_, __LINE__), expr, )
#define TRY_CTX(expr, ctx) TRY_IMPL(HULL_CAT(try_, __LINE__), expr, .context(ctx))
// Assigns the value of a Result<T> or returns its error: ASSIGN_OR_RETURN(auto fd, open(...)).
// It expands to several statements: under an `if`, put it in braces.
#define ASSIGN_OR_RETURN(decl, expr)                    \
  auto HULL_CAT(res_, __LINE__) = (expr);               \
  if (!HULL_CAT(res_, __LINE__).has_value()) {          \
    return std::move(HULL_CAT(res_, __LINE__).error()); \
  }                                                     \
  decl = std::move(HULL_CAT(res_, __LINE__).value())
