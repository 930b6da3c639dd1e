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
#include "agent/run/progress.h"
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

// Who hears what a run is doing while it does it: the service manager (nodeboot.service is
// Type=notify; README "At boot") through its status line, and, for a run that is not a dry
// run, the progress file `nodeboot status` reads (progress.h). One object knows the phase
// under way, so the two never disagree.
class RunProgress {
 public:
  // `file` may be null (a dry run is not a run in progress); it must outlive this object.
  RunProgress(ServiceManager& manager, Redactor redactor, ProgressFile* file);

  // Connects to the engine's hooks: each phase as it starts ("phase storage"), and READY=1
  // before the first phase that needs the node's services (node_services_may_start).
  void Attach(RunHooks& hooks);
  // Each command as it starts, within its phase ("phase storage: lvcreate ... vgpaas"), so
  // `systemctl status nodeboot` shows what a long phase is doing; the logged runner's on_start.
  // Argv is masked and cut to 160 characters. Silent before the first phase.
  void StepStarted(const Command& command);
  // The report step after the phases.
  void ReportStarted(std::string_view run_id);

 private:
  void PhaseStarted(std::string_view phase);

  ServiceManager& manager_;
  Redactor redactor_;
  ProgressFile* file_;
  std::string phase_;
};

// At the end of a run that exits with `code`: READY=1 when that is 0 (a Type=notify unit
// whose process exits 0 without it fails with result 'protocol'), else a status line naming
// the failure; the exit code itself is what marks the unit failed.
void TellServiceManagerRunEnded(ServiceManager& manager, const RunRecord& run, int code);

}  // namespace nodeboot::run
