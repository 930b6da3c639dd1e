// RunLock: one nodeboot run at a time (SPEC §8, /run/nodeboot.lock). flock(2), so a crashed
// run never leaves a stale lock behind: the kernel drops it with the process.
#pragma once

#include <filesystem>
#include <optional>

#include "agent/base/result.h"

namespace nodeboot {

class RunLock {
 public:
  // The lock, or an Error with exit code 3 naming the holder's pid when another run has it.
  static Result<RunLock> Acquire(const std::filesystem::path& path);

  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace nodeboot
