// The report body of SPEC §7, built from a run summary the report library owns (agent/run
// fills it in; this library does not know agent/run). Pure: the caller gathers the system log
// lines and the catalog.
//
// Keys are SPEC §7's. Where SPEC is silent:
//   - `phase` is null on success; a phase that never started has `startedAt: null`.
//   - `error.cause`/`error.solution` come from the catalog entry of `error.code`, unless a line
//     of the failing step's output, the error message or the system log excerpt matches a
//     catalog event (e.g. "Ecs.0314"): then they are the event's, and `error.event` says which
//     ({"code","title","line"}). Lines are tried in that order, newest first within each.
//   - Every string that can carry text from the node (messages, output, log lines) passes the
//     ThoroughRedactor.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/base/redact.h"
#include "agent/report/catalog.h"
#include "agent/report/excerpt.h"

namespace nodeboot::report {

struct PhaseSummary {
  std::string name;
  std::string status;      // "succeeded", "failed", "skipped", "not-run"
  std::string started_at;  // RFC 3339; empty when the phase did not start
  int64_t duration_ms = 0;
};

struct RunSummary {
  std::string task_id;
  std::string node_name;
  std::string instance_id;
  std::string boot_id;
  std::string run_id;
  bool succeeded = true;
  std::string failed_phase;
  int exit_code = 0;
  std::string error_code;
  std::string error_message;
  std::vector<PhaseSummary> phases;
  std::vector<std::string> step_output;  // the failing phase's own output
  std::string agent_version;
};

// How a failure was explained.
struct Classification {
  const CatalogEntry* entry = nullptr;  // the code's entry, or the event's
  bool by_event = false;                // true: a log line matched an event's pattern
  std::string line;                     // the line that matched (redacted)
};

// The failure's explanation: an event seen in `lines_newest_first`, else the code's entry.
Classification Classify(const Catalog& catalog, const std::string& error_code,
                        const std::vector<std::string>& lines_newest_first);

// The body to POST. `system_log` are the system log's relevant lines (SystemLogLines), used
// only for a failure.
nlohmann::json BuildReport(const RunSummary& run, const std::vector<std::string>& system_log, const Catalog& catalog,
                           const ThoroughRedactor& redactor, const ExcerptLimits& limits = {});

// The body as sent and stored: compact JSON; invalid UTF-8 from a log is replaced, not fatal.
std::string SerializeReport(const nlohmann::json& body);

}  // namespace nodeboot::report
