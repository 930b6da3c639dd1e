// `nodeboot run` (SPEC §1): the recipe around the engine.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "agent/base/command_runner.h"
#include "agent/base/redact.h"
#include "agent/base/service_manager.h"
#include "agent/run/engine.h"
#include "agent/run/host.h"
#include "agent/run/state.h"

namespace nodeboot::run {

struct BootstrapOptions {
  std::string root = "/";
  std::string config;  // empty: the default under the root
  std::set<std::string> only;
  std::set<std::string> skip;
  bool repair = false;
  bool rerun_scripts = false;
  bool dry_run = false;
};

// Returns the process exit code of SPEC §2. `host` is the real one (main) or a test's fakes;
// the run wraps its runner in the command log and, with --dry-run, in the dry run.
int Bootstrap(const BootstrapOptions& options, Host& host);

// What a run tells the service manager (nodeboot.service is Type=notify; README "At boot"):
// each phase as the unit's status line, and READY=1 before the first phase that needs the
// node's services (RunHooks::node_services_may_start says when).
void TellServiceManagerAboutPhases(ServiceManager& manager, RunHooks& hooks);
// And each command as it starts, within its phase ("phase storage: lvcreate ... vgpaas"), so
// `systemctl status nodeboot` shows what a long phase is doing. Call after the above; the
// returned function is the logged runner's on_start. Argv is masked and cut to 160 characters.
std::function<void(const Command&)> TellServiceManagerAboutSteps(ServiceManager& manager, RunHooks& hooks,
                                                                 const Redactor& redactor);
// At the end of a run that exits with `code`: READY=1 when that is 0 (a Type=notify unit
// whose process exits 0 without it fails with result 'protocol'), else a status line naming
// the failure; the exit code itself is what marks the unit failed.
void TellServiceManagerRunEnded(ServiceManager& manager, const RunRecord& run, int code);

}  // namespace nodeboot::run
