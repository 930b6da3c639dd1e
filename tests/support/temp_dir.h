// TempDir: a fresh directory under $TMPDIR, removed with everything in it at scope exit.
// Tests use one as the --root of the binary.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace nodeboot::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to path()/relative, creating parent directories.
  std::filesystem::path Write(std::string_view relative, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// The whole file as a string ("" if it does not exist).
std::string Slurp(const std::filesystem::path& path);

}  // namespace nodeboot::testing
