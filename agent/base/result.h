// Result<T>: a value or an Error, with the method names of std::expected (not in C++20 here).
//
// An Error says what failed, on what, and why, in one message; `code` is the error catalog
// code (e.g. "NB-STORAGE-UNSAFE-DISK") and `exit_code` is the process exit code of SPEC §2 it
// maps to. Every fallible function in the project returns a Result; exceptions are caught in
// the adapter of the library that throws them.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace nodeboot {

// Exit codes of SPEC §2, named once.
namespace exit_code {
inline constexpr int kOk = 0;
inline constexpr int kInternal = 1;
inline constexpr int kInvalidConfig = 2;
inline constexpr int kLocked = 3;
inline constexpr int kPreInstallFailed = 10;
inline constexpr int kPreInstallTimedOut = 11;
inline constexpr int kStorageUnsatisfiable = 20;
inline constexpr int kStorageUnsafe = 21;
inline constexpr int kStorageCommandFailed = 22;
inline constexpr int kJoinFailed = 30;
inline constexpr int kJoinTimedOut = 31;
inline constexpr int kPostInstallFailed = 40;
inline constexpr int kPostInstallTimedOut = 41;
inline constexpr int kGpuResetFailed = 50;
inline constexpr int kGpuResetTimedOut = 51;
}  // namespace exit_code

struct Error {
  std::string code;  // error catalog code; "NB-INTERNAL" when nothing more specific applies
  std::string message;
  int exit_code = exit_code::kInternal;

  static Error Internal(std::string message) { return Error{"NB-INTERNAL", std::move(message), exit_code::kInternal}; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(state_); }
  Error&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const {}

  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace nodeboot

#define NB_CONCAT_INNER(a, b) a##b
#define NB_CONCAT(a, b) NB_CONCAT_INNER(a, b)

// NB_TRY(expr): evaluate a Result<void>; return its error from the enclosing function.
#define NB_TRY(expr)                                               \
  do {                                                             \
    auto nb_try_result_ = (expr);                                  \
    if (!nb_try_result_) return std::move(nb_try_result_).error(); \
  } while (0)

// NB_TRY_ASSIGN(lhs, expr): `lhs = value of expr`, or return its error.
#define NB_TRY_ASSIGN(lhs, expr)                                                             \
  auto NB_CONCAT(nb_try_, __LINE__) = (expr);                                                \
  if (!NB_CONCAT(nb_try_, __LINE__)) return std::move(NB_CONCAT(nb_try_, __LINE__)).error(); \
  lhs = std::move(NB_CONCAT(nb_try_, __LINE__)).value()
