// Starting the node's systemd units (containerd, the kubelet) from inside nodeboot.service.
//
// nodeboot.service is ordered Before= containerd and the kubelet (their data directories are
// the volumes it mounts). A plain `systemctl start kubelet` from inside it would queue a job
// that waits for nodeboot's own start job to finish: a deadlock (canonical/cloud-init#5930 hit
// the same). So a unit is started with `--no-block` and then watched with `systemctl show`
// until it is active, has failed, or the limit passed; a restart is seen to be done when the
// unit's InvocationID changed. (nodeboot.service also tells systemd it is ready before the
// join, so the jobs kubeadm queues itself do not wait either: agent/run/phase.h.)
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "agent/base/command_runner.h"
#include "agent/base/result.h"
#include "agent/join/readiness.h"

namespace nodeboot::join {

// What `systemctl show --property=LoadState,ActiveState,SubState,Result,InvocationID` says.
struct UnitState {
  std::string load_state;    // loaded, not-found, masked, ...
  std::string active_state;  // active, activating, inactive, failed, ...
  std::string sub_state;     // running, exited, auto-restart, ...
  std::string result;        // success, exit-code, ...
  std::string invocation_id;

  bool exists() const { return load_state != "not-found" && !load_state.empty(); }
  std::string Describe() const;  // "ActiveState=activating SubState=auto-restart Result=exit-code"
};

// Pure: parses the KEY=VALUE lines of `systemctl show`.
UnitState ParseUnitState(std::string_view show_output);

enum class UnitVerb { kStart, kRestart };

struct UnitControl {
  CommandRunner& runner;
  const ReadinessClock& clock;
  std::function<void(const std::string&)> note;  // progress lines for the log and the report
  bool dry_run = false;
  std::chrono::milliseconds limit{std::chrono::seconds(120)};
  std::chrono::milliseconds poll{std::chrono::milliseconds(500)};
};

// `systemctl show` of `unit` (read-only: runs under --dry-run too).
Result<UnitState> ShowUnit(const UnitControl& control, std::string_view unit);

// `systemctl stop --no-block UNIT` unless it is already inactive or failed, then waits until it
// is (a unit in its Restart= back-off, "activating (auto-restart)", is stopped too: its next
// attempt is cancelled).
Status StopUnit(const UnitControl& control, std::string_view unit);

// `systemctl VERB --no-block UNIT`, then waits until the unit is active (after a restart: a new
// invocation of it). Errors (exit 30 via the caller's code) name the unit and its last state.
// Under dry run the command is printed and nothing is waited for.
Status StartUnit(const UnitControl& control, std::string_view unit, UnitVerb verb);

}  // namespace nodeboot::join
