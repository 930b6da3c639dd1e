#include "agent/base/lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/base/atomic_file.h"

namespace nodeboot {

Result<RunLock> RunLock::Acquire(const std::filesystem::path& path) {
  NB_TRY(CreateDirectories(path.parent_path(), std::filesystem::perms(0755)));
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
  if (fd < 0) {
    const int err = errno;
    return Error::Internal(
        fmt::format("open lock {}: {}{}", path.string(), std::strerror(err),
                    err == ELOOP ? " (a symbolic link: nodeboot does not follow it; remove it)" : ""));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    ::close(fd);
    return Error::Internal(
        fmt::format("lock {} is not a regular file owned by uid {}; nodeboot does not use it "
                    "(remove it if it is not yours)",
                    path.string(), ::geteuid()));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char holder[32] = {};
    const ssize_t n = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string pid = n > 0 ? std::string(holder, static_cast<size_t>(n)) : "?";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return errors::Locked(fmt::format("another nodeboot run (pid {}) holds {}", pid, path.string()));
    }
    return Error::Internal(fmt::format("lock {}: {}", path.string(), std::strerror(err)));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t ignored = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return RunLock(fd);
}

bool RunLock::IsHeld(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // drops our shared lock, if we got it
  return held;
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace nodeboot
