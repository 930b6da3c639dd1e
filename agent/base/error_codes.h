// nodeboot's error codes: the one list of every code the agent and the storage library report,
// each with the process exit code of SPEC §2 it maps to. packaging/errors.yaml explains each of
// them (tests/report/catalog_test.cc checks the two agree both ways), and result.h turns each
// entry into a named constructor: errors::StorageUnsafeDisk("...") is
// Error{"NB-STORAGE-UNSAFE-DISK", "...", 21}. A new code is one line here and one catalog entry.
#pragma once

#include <string_view>

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
// A run stopped between phases exits with 128 + the signal; the catalog names SIGTERM's.
inline constexpr int kStoppedBySigterm = 128 + 15;
}  // namespace exit_code

// X(Name, code, exit code): the list. Name is the constructor's name in errors::.
// clang-format off
#define NB_ERROR_CODES(X)                                                                     \
  X(Internal,               "NB-INTERNAL",                exit_code::kInternal)               \
  X(Interrupted,            "NB-INTERRUPTED",             exit_code::kStoppedBySigterm)       \
  X(ConfigInvalid,          "NB-CONFIG-INVALID",          exit_code::kInvalidConfig)          \
  X(Locked,                 "NB-LOCKED",                  exit_code::kLocked)                 \
  X(PreInstallFailed,       "NB-PREINSTALL-FAILED",       exit_code::kPreInstallFailed)       \
  X(PreInstallInterrupted,  "NB-PREINSTALL-INTERRUPTED",  exit_code::kPreInstallFailed)       \
  X(PreInstallTimeout,      "NB-PREINSTALL-TIMEOUT",      exit_code::kPreInstallTimedOut)     \
  X(StorageUnsatisfiable,   "NB-STORAGE-UNSATISFIABLE",   exit_code::kStorageUnsatisfiable)   \
  X(StorageUnsafeDisk,      "NB-STORAGE-UNSAFE-DISK",     exit_code::kStorageUnsafe)          \
  X(StorageCommandFailed,   "NB-STORAGE-COMMAND-FAILED",  exit_code::kStorageCommandFailed)   \
  X(StorageVerifyFailed,    "NB-STORAGE-VERIFY-FAILED",   exit_code::kStorageCommandFailed)   \
  X(JoinFailed,             "NB-JOIN-FAILED",             exit_code::kJoinFailed)             \
  X(JoinTimeout,            "NB-JOIN-TIMEOUT",            exit_code::kJoinTimedOut)           \
  X(PostInstallFailed,      "NB-POSTINSTALL-FAILED",      exit_code::kPostInstallFailed)      \
  X(PostInstallInterrupted, "NB-POSTINSTALL-INTERRUPTED", exit_code::kPostInstallFailed)      \
  X(PostInstallTimeout,     "NB-POSTINSTALL-TIMEOUT",     exit_code::kPostInstallTimedOut)    \
  X(GpuMigResetFailed,      "NB-GPU-MIG-RESET-FAILED",    exit_code::kGpuResetFailed)         \
  X(GpuInUse,               "NB-GPU-IN-USE",              exit_code::kGpuResetFailed)         \
  X(GpuRebootRequired,      "NB-GPU-REBOOT-REQUIRED",     exit_code::kGpuResetFailed)         \
  X(GpuMigResetTimeout,     "NB-GPU-MIG-RESET-TIMEOUT",   exit_code::kGpuResetTimedOut)
// clang-format on

namespace errors {

struct ErrorCode {
  std::string_view code;  // "NB-STORAGE-UNSAFE-DISK"
  int exit_code;          // SPEC §2
};

// errors::kStorageUnsafeDisk: one entry, for code comparisons and tables of codes.
#define NB_ERROR_CODE_CONSTANT(name, code, exit) inline constexpr ErrorCode k##name{code, exit};
NB_ERROR_CODES(NB_ERROR_CODE_CONSTANT)
#undef NB_ERROR_CODE_CONSTANT

// Every entry, in the list's order.
#define NB_ERROR_CODE_ENTRY(name, code, exit) k##name,
inline constexpr ErrorCode kAll[] = {NB_ERROR_CODES(NB_ERROR_CODE_ENTRY)};
#undef NB_ERROR_CODE_ENTRY

}  // namespace errors
}  // namespace nodeboot
