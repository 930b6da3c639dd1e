#include "agent/base/host_files.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "agent/base/atomic_file.h"

namespace nodeboot {
namespace {

class RealHostFiles : public HostFiles {
 public:
  explicit RealHostFiles(Paths paths) : paths_(std::move(paths)) {}

  Status Write(std::string_view host_path, std::string_view content, std::filesystem::perms mode,
               std::filesystem::perms dir_mode) override {
    const auto path = Real(host_path);
    NB_TRY(CreateDirectories(path.parent_path(), dir_mode));
    ::chmod(path.parent_path().c_str(), static_cast<mode_t>(dir_mode));
    return WriteFileAtomically(path, content, mode, dir_mode);
  }

  std::filesystem::path Real(std::string_view host_path) const override { return paths_.Host(host_path); }

 private:
  Paths paths_;
};

class DryRunHostFiles : public HostFiles {
 public:
  DryRunHostFiles(Paths paths, std::function<void(const std::string&)> print)
      : paths_(std::move(paths)), print_(std::move(print)) {}

  Status Write(std::string_view host_path, std::string_view content, std::filesystem::perms mode,
               std::filesystem::perms) override {
    print_(fmt::format("would write {} (mode {:04o}, {} bytes)", Real(host_path).string(), static_cast<unsigned>(mode),
                       content.size()));
    return Ok();
  }

  std::filesystem::path Real(std::string_view host_path) const override { return paths_.Host(host_path); }

 private:
  Paths paths_;
  std::function<void(const std::string&)> print_;
};

}  // namespace

std::unique_ptr<HostFiles> MakeRealHostFiles(const Paths& paths) { return std::make_unique<RealHostFiles>(paths); }

std::unique_ptr<HostFiles> MakeDryRunHostFiles(const Paths& paths, std::function<void(const std::string&)> print) {
  return std::make_unique<DryRunHostFiles>(paths, std::move(print));
}

}  // namespace nodeboot
