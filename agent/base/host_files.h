// HostFiles: the files a phase writes on the host (scripts, kubeadm config, fstab), behind an
// interface so that `run --dry-run` prints them instead (the ninja model). Paths are host
// paths; the implementation prefixes the root.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/base/paths.h"
#include "agent/base/result.h"

namespace nodeboot {

class HostFiles {
 public:
  virtual ~HostFiles() = default;
  // Writes atomically with `mode`; creates missing parents with `dir_mode` (and sets
  // `dir_mode` on the immediate parent even when it exists, so a 0700 directory stays 0700).
  virtual Status Write(std::string_view host_path, std::string_view content, std::filesystem::perms mode,
                       std::filesystem::perms dir_mode) = 0;
  // Where a host path is on this machine (the root prefixed).
  virtual std::filesystem::path Real(std::string_view host_path) const = 0;
};

std::unique_ptr<HostFiles> MakeRealHostFiles(const Paths& paths);
// Prints "would write PATH (mode 0700, 812 bytes)" and writes nothing. The content is not
// printed: it may be a secret (a script, a bootstrap kubeconfig).
std::unique_ptr<HostFiles> MakeDryRunHostFiles(const Paths& paths, std::function<void(const std::string&)> print);

}  // namespace nodeboot
