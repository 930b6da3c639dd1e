// Result<T>: a value or an Error, with the method names of std::expected (not in C++20 here).
//
// An Error says what failed, on what, and why, in one message; `code` is the error catalog
// code (e.g. "NB-STORAGE-UNSAFE-DISK") and `exit_code` is the process exit code of SPEC §2 it
// maps to; an Error is made with the named constructor of its code (errors::StorageUnsafeDisk
// ("...")), one per entry of the list in error_codes.h. Every fallible function in the project
// returns a Result; exceptions are caught in the adapter of the library that throws them.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "agent/base/error_codes.h"

namespace nodeboot {

struct Error {
  std::string code;  // error catalog code; "NB-INTERNAL" when nothing more specific applies
  std::string message;
  int exit_code = exit_code::kInternal;

  static Error Internal(std::string message);  // errors::Internal
};

// The named constructors, one per entry of error_codes.h: errors::StorageUnsafeDisk(message).
namespace errors {
inline Error Make(const ErrorCode& code, std::string message) {
  return Error{std::string(code.code), std::move(message), code.exit_code};
}
#define NB_ERROR_CONSTRUCTOR(name, code, exit) \
  inline Error name(std::string message) { return Make(k##name, std::move(message)); }
NB_ERROR_CODES(NB_ERROR_CONSTRUCTOR)
#undef NB_ERROR_CONSTRUCTOR
}  // namespace errors

inline Error Error::Internal(std::string message) { return errors::Internal(std::move(message)); }

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
