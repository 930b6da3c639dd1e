#include "storage/lvm.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <regex>

namespace nodeboot::storage {
namespace {

constexpr auto kReadTimeout = std::chrono::seconds(120);
constexpr auto kWriteTimeout = std::chrono::seconds(600);

}  // namespace

bool Lvm::UdevRunning(const Paths& paths) {
  std::error_code ec;
  return std::filesystem::exists(paths.Host("/run/udev/control"), ec);
}

std::vector<std::string> Lvm::Common() const {
  if (udev_running_) return {};
  return {"--config", "activation{udev_sync=0 udev_rules=0} devices{obtain_device_list_from_udev=0}"};
}

Result<LvmState> Lvm::Report() {
  Command command;
  command.argv = {"lvm", "fullreport", "--reportformat", "json", "--units", "b", "--nosuffix"};
  for (auto& option : Common()) command.argv.push_back(option);
  command.timeout = kReadTimeout;
  command.changes_system = false;
  command.capture_bytes = 64 << 20;  // the report itself; a few KiB per VG
  auto result = runner_.Run(command);
  if (!result) {
    return errors::StorageCommandFailed(fmt::format("lvm fullreport: {}", result.error().message));
  }
  if (!result->ok()) {
    return errors::StorageCommandFailed(fmt::format("lvm fullreport: {}", DescribeFailure(command, *result)));
  }
  return ParseLvmFullReport(result->out);
}

bool Lvm::SupportsDevicesOption() {
  if (supports_devices_ >= 0) return supports_devices_ == 1;
  Command command;
  command.argv = {"lvm", "version"};
  command.timeout = kReadTimeout;
  command.changes_system = false;
  auto result = runner_.Run(command);
  supports_devices_ = 0;
  std::smatch match;
  static const std::regex kVersion(R"(LVM version:\s*(\d+)\.(\d+)\.(\d+))");
  if (result && result->ok() && std::regex_search(result->out, match, kVersion)) {
    const int major = std::stoi(match[1]), minor = std::stoi(match[2]), patch = std::stoi(match[3]);
    supports_devices_ = std::tuple(major, minor, patch) >= std::tuple(2, 3, 12) ? 1 : 0;
  }
  return supports_devices_ == 1;
}

Status Lvm::Run(std::vector<std::string> argv, const std::string& what) {
  if (!SupportsDevicesOption()) {
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--devices")
        argv.erase(argv.begin() + static_cast<long>(i), argv.begin() + static_cast<long>(i) + 2);
    }
  }
  const std::string name = argv.front();
  Command command;
  command.argv = {"lvm"};
  command.argv.insert(command.argv.end(), argv.begin(), argv.end());
  for (auto& option : Common()) command.argv.push_back(option);
  command.timeout = kWriteTimeout;
  auto result = runner_.Run(command);
  if (!result) {
    return errors::StorageCommandFailed(fmt::format("{} ({}): {}", name, what, result.error().message));
  }
  if (!result->ok()) {
    return errors::StorageCommandFailed(fmt::format("{} ({}): {}", name, what, DescribeFailure(command, *result)));
  }
  return Ok();
}

}  // namespace nodeboot::storage
