#include "agent/report/report.h"

#include <fmt/format.h>

namespace nodeboot::report {
namespace {

using nlohmann::json;

json NullIfEmpty(const std::string& value) { return value.empty() ? json(nullptr) : json(value); }

}  // namespace

Classification Classify(const Catalog& catalog, const std::string& error_code,
                        const std::vector<std::string>& lines_newest_first) {
  for (const auto& line : lines_newest_first) {
    if (const CatalogEntry* event = catalog.Classify(line)) return {event, true, line};
  }
  return {catalog.Find(error_code), false, ""};
}

json BuildReport(const RunSummary& run, const std::vector<std::string>& system_log, const Catalog& catalog,
                 const ThoroughRedactor& redactor, const ExcerptLimits& limits) {
  json phases = json::array();
  for (const auto& phase : run.phases) {
    phases.push_back({{"name", phase.name},
                      {"status", phase.status},
                      {"startedAt", NullIfEmpty(phase.started_at)},
                      {"durationMs", phase.duration_ms}});
  }
  json body = {{"taskId", run.task_id},
               {"node", {{"name", run.node_name}, {"instanceId", run.instance_id}, {"bootId", run.boot_id}}},
               {"runId", run.run_id},
               {"status", run.succeeded ? "succeeded" : "failed"},
               {"phase", run.succeeded ? json(nullptr) : json(run.failed_phase)},
               {"exitCode", run.exit_code}};
  if (!run.succeeded) {
    std::vector<std::string> output;
    for (const auto& line : run.step_output) output.push_back(redactor.Redact(line));
    std::vector<std::string> system;
    for (const auto& line : system_log) system.push_back(redactor.Redact(line));
    const std::string message = redactor.Redact(run.error_message);
    const std::vector<std::string> excerpt = ComposeExcerpt(output, system, limits);

    // Evidence, most specific first: the step's own output, the message, then the system log.
    std::vector<std::string> evidence(output.rbegin(), output.rend());
    evidence.push_back(message);
    evidence.insert(evidence.end(), system.rbegin(), system.rend());
    const Classification why = Classify(catalog, run.error_code, evidence);

    json error = {{"code", run.error_code}, {"message", message}};
    if (why.entry) {
      error["cause"] = why.entry->cause;
      error["solution"] = why.entry->solution;
    } else {
      error["cause"] = fmt::format("{} is not in the error catalog of nodeboot {}", run.error_code, run.agent_version);
      error["solution"] =
          "Read the message and the log excerpt; `nodeboot status` and `nodeboot logs` on the node "
          "show the same.";
    }
    if (why.by_event) {
      error["event"] = {{"code", why.entry->code}, {"title", why.entry->title}, {"line", why.line}};
    }
    body["error"] = std::move(error);
    body["logExcerpt"] = excerpt;
  }
  body["phases"] = std::move(phases);
  body["agentVersion"] = run.agent_version;
  return body;
}

std::string SerializeReport(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace nodeboot::report
