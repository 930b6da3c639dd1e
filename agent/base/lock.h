// RunLock: one nodeboot run at a time (SPEC §8, /run/nodeboot.lock). flock(2), so a crashed
// run never leaves a stale lock behind: the kernel drops it with the process. The file is
// opened without following a link and must be a regular file owned by nodeboot's own user
// (root): a planted link would have its target truncated, another user's file could be held
// by that user to keep every run out.
#pragma once

#include <filesystem>
#include <optional>

#include "agent/base/result.h"

namespace nodeboot {

class RunLock {
 public:
  // The lock, or an Error with exit code 3 naming the holder's pid when another run has it.
  static Result<RunLock> Acquire(const std::filesystem::path& path);
  // Whether a run holds the lock now (for `status`: a run in progress, or one that died).
  static bool IsHeld(const std::filesystem::path& path);

  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace nodeboot
