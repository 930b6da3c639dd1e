// Paths: where host files live. Every host *file* nodeboot reads or writes goes through
// Host(), which prefixes the --root directory (SPEC §1). Commands still get real device paths.
#pragma once

#include <filesystem>
#include <string_view>

namespace nodeboot {

class Paths {
 public:
  explicit Paths(std::filesystem::path root = "/") : root_(std::move(root)) {}

  // Host("/etc/fstab") is "<root>/etc/fstab"; `absolute` must start with '/'.
  std::filesystem::path Host(std::string_view absolute) const;
  const std::filesystem::path& root() const { return root_; }

  // The agent's own files, in one place.
  static constexpr std::string_view kDefaultConfig = "/etc/nodeboot/config.yaml";
  static constexpr std::string_view kStateDir = "/var/lib/nodeboot";
  static constexpr std::string_view kStateFile = "/var/lib/nodeboot/state.json";
  static constexpr std::string_view kScriptsDir = "/var/lib/nodeboot/scripts";
  static constexpr std::string_view kOutboxDir = "/var/lib/nodeboot/outbox";
  static constexpr std::string_view kLogFile = "/var/log/nodeboot/nodeboot.log";
  static constexpr std::string_view kLockFile = "/run/nodeboot.lock";
  // What the storage phase is doing right now (storage/intent.h), and where it stages copies.
  static constexpr std::string_view kStorageIntentFile = "/var/lib/nodeboot/storage-intent.json";
  static constexpr std::string_view kStagingDir = "/run/nodeboot/staging";
  // What a run in progress is doing now: its phase and command (run/progress.h).
  static constexpr std::string_view kProgressFile = "/run/nodeboot/progress.json";
  // The last run as Prometheus metrics, for node_exporter's textfile collector (run/textfile.h).
  static constexpr std::string_view kTextfile = "/var/lib/node_exporter/textfile_collector/nodeboot.prom";

 private:
  std::filesystem::path root_;
};

}  // namespace nodeboot
