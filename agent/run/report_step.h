// The report step of a run (SPEC §7), and what `nodeboot report --flush` records: both put
// reports in the task service's hands through the outbox, and both tell state.json (so
// `status`) what became of the last run's report, in the same words.
#pragma once

#include <string>

#include "agent/base/paths.h"
#include "agent/base/redact.h"
#include "agent/config/node_config.h"
#include "agent/report/flush.h"
#include "agent/report/outbox.h"
#include "agent/run/host.h"
#include "agent/run/identity.h"
#include "agent/run/state.h"

namespace nodeboot::run {

// The report of `run`, written to the outbox before the first attempt (a crash, a reboot or an
// unreachable service loses nothing), then the outbox flushed: this run's report first, then
// older ones, within task.deliverySeconds. A run being stopped only leaves its report in the
// outbox. `runner` reads the system log for a failed run's excerpt.
ReportRecord ReportStep(const config::NodeConfig& config, const Paths& paths, const Identity& identity,
                        const RunRecord& run, CommandRunner& runner, Host& host);

// After `report --flush` delivered or refused reports: the last run's report record in
// state.json says so, in the words of the run's own report step. Problems are logged.
void RecordFlushedReports(const Paths& paths, const report::Outbox& outbox, const report::FlushResult& flushed,
                          const std::string& url, const Redactor& redactor);

}  // namespace nodeboot::run
