// Phase: one step of a run (SPEC §1). The engine decides whether a phase runs (selection,
// earlier failures, "already succeeded"); the phase only does its work and says how it went.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/command_runner.h"
#include "agent/base/host_files.h"
#include "agent/base/paths.h"
#include "agent/base/result.h"
#include "agent/config/node_config.h"
#include "agent/run/identity.h"

namespace nodeboot::run {

struct PhaseContext {
  const config::NodeConfig& config;
  const Identity& identity;
  const Paths& paths;
  CommandRunner& runner;  // the dry-run runner under --dry-run
  HostFiles& files;       // likewise
  bool repair = false;
  bool dry_run = false;
};

struct PhaseOutcome {
  Status status;                    // an Error carries the catalog code and the exit code
  std::vector<std::string> output;  // the step's own output, kept for state and the report
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
};

}  // namespace nodeboot::run
