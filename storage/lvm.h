// The lvm facade: every lvm command nodeboot runs, with LC_ALL=C (the runner), a timeout,
// udev-less settings when no udev is running (first boots and containers have none: lvm then
// creates the /dev/mapper nodes itself instead of waiting for udev forever), and `--devices`
// only where this lvm supports it (>= 2.03.12).
#pragma once

#include <string>
#include <vector>

#include "agent/base/command_runner.h"
#include "agent/base/paths.h"
#include "storage/lvm_report.h"

namespace nodeboot::storage {

class Lvm {
 public:
  // `udev_running`: whether /run/udev/control exists on this host.
  Lvm(CommandRunner& runner, bool udev_running) : runner_(runner), udev_running_(udev_running) {}

  // One read of the whole LVM state (read-only; also under --dry-run).
  Result<LvmState> Report();
  // An lvm command from the plan ("vgcreate", ...), run as `lvm <argv>`. Returns an Error
  // (exit 22) naming the command, `what` and the first line of its stderr when it fails.
  Status Run(std::vector<std::string> argv, const std::string& what);

  static bool UdevRunning(const Paths& paths);

 private:
  std::vector<std::string> Common() const;
  bool SupportsDevicesOption();

  CommandRunner& runner_;
  bool udev_running_;
  int supports_devices_ = -1;  // unknown until the first write
};

}  // namespace nodeboot::storage
