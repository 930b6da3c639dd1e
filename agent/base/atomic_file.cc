#include "agent/base/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nodeboot {
namespace {

Error IoError(std::string_view what, const std::filesystem::path& path, int err) {
  return Error::Internal(fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
}

}  // namespace

Status CreateDirectories(const std::filesystem::path& path, std::filesystem::perms mode) {
  if (path.empty()) return Ok();
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Ok();
    return Error::Internal(fmt::format("create directory {}: exists and is not a directory", path.string()));
  }
  if (path.has_parent_path() && path.parent_path() != path) {
    NB_TRY(CreateDirectories(path.parent_path(), mode));
  }
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST) {
    return IoError("create directory", path, errno);
  }
  // mkdir honours the umask; the mode we were asked for is the mode we set.
  ::chmod(path.c_str(), static_cast<mode_t>(mode));
  return Ok();
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content, std::filesystem::perms mode,
                           std::filesystem::perms dir_mode) {
  NB_TRY(CreateDirectories(path.parent_path(), dir_mode));
  const std::filesystem::path temp = path.string() + fmt::format(".tmp.{}", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return IoError("write", temp, errno);
  ::fchmod(fd, static_cast<mode_t>(mode));
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return IoError("write", temp, err);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return IoError("sync", temp, err);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return IoError("rename to", path, err);
  }
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Ok();
}

Result<std::string> ReadFile(const std::filesystem::path& path, size_t max_bytes) {
  // O_NONBLOCK so that opening a FIFO with no writer cannot hang; only regular files and
  // character devices (/dev/null) are read, in blocking mode again.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return IoError("read", path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return IoError("read", path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Error::Internal(fmt::format("read {}: is a directory", path.string()));
  }
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
    ::close(fd);
    return Error::Internal(fmt::format("read {}: not a regular file", path.string()));
  }
  if (S_ISCHR(st.st_mode)) ::fcntl(fd, F_SETFL, 0);  // O_NONBLOCK means nothing to a regular file
  if (S_ISREG(st.st_mode) && static_cast<size_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Error::Internal(
        fmt::format("read {}: {} bytes is larger than the limit of {} bytes", path.string(), st.st_size, max_bytes));
  }
  std::string content;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return IoError("read", path, err);
    }
    if (n == 0) break;
    if (content.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(fd);
      return Error::Internal(fmt::format("read {}: larger than the limit of {} bytes", path.string(), max_bytes));
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

}  // namespace nodeboot
