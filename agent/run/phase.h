// Phase: one step of a run (SPEC §1). The engine decides whether a phase runs (selection,
// earlier failures, "already succeeded"); the phase only does its work and says how it went.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/command_runner.h"
#include "agent/base/host_files.h"
#include "agent/base/http_client.h"
#include "agent/base/paths.h"
#include "agent/base/result.h"
#include "agent/config/node_config.h"
#include "agent/run/identity.h"
#include "storage/signature_probe.h"

namespace nodeboot::run {

// What a phase may read and change: the node's config and identity, and the host's side
// effects behind their interfaces (agent/run/host.h).
struct PhaseContext {
  const config::NodeConfig& config;
  const Identity& identity;
  const Paths& paths;
  CommandRunner& runner;           // the dry-run runner under --dry-run
  HostFiles& files;                // likewise
  HttpClient& http;                // the API server (join); a dry run only reads
  storage::SignatureProbe& probe;  // reads only, also in a dry run
  bool repair = false;
  bool dry_run = false;
  // True once nodeboot is being stopped (empty: never): long waits end early. Commands are
  // stopped by the runner itself.
  std::function<bool()> stopping;
};

struct PhaseOutcome {
  Status status;                    // an Error carries the catalog code and the exit code
  std::vector<std::string> output;  // the step's own output, kept for state and the report
  // A script that succeeded and asked for a reboot (README "Scripts"): the run stops after it
  // and goes on with the next phase on the next boot.
  bool reboot_requested = false;
  // The phase refused to start (its status says why): the phase's last real outcome on this
  // instance stays what it was (an `interrupted` script must stay interrupted).
  bool not_started = false;
  // With an Ok status: the phase looked at the node and found nothing for it to do ("no NVIDIA
  // GPU"); recorded as `skipped` with this reason, never as `succeeded`, and the phase's last
  // real outcome on this instance stays what it was.
  std::string skipped = {};
};

class Phase {
 public:
  virtual ~Phase() = default;
  virtual std::string_view name() const = 0;
  // Why the phase has nothing to do on this node ("no cluster configured"), or "".
  virtual std::string NothingToDo(const config::NodeConfig& config) const = 0;
  // Scripts: a success is final for the instance (only --rerun-scripts repeats it). Other
  // phases re-check their real state under --repair.
  virtual bool is_script() const = 0;
  virtual PhaseOutcome Run(PhaseContext& context) = 0;
  // The phase needs the node's services (containerd, the kubelet) running. Those units are
  // ordered after nodeboot.service, which is Type=notify: before the engine considers the first
  // such phase, it tells the service manager that the node is ready for them (READY=1). So every
  // phase before it (scripts, storage, GPU) must be one that protects their data: its layout is
  // settled before they may start.
  virtual bool needs_node_services() const { return false; }
  // The error a script phase that an earlier run left interrupted is reported with, when a
  // plain run declines to run it again (it may have done part of its work). Its catalog code
  // and exit code are the phase's own.
  virtual Error InterruptedError(std::string message) const { return Error::Internal(std::move(message)); }
};

}  // namespace nodeboot::run
