#include "agent/run/state.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "agent/base/atomic_file.h"

namespace nodeboot::run {
namespace {

using nlohmann::json;

json PhaseJson(const PhaseRecord& p) {
  json j = {{"name", p.name}, {"status", p.status}};
  if (!p.reason.empty()) j["reason"] = p.reason;
  if (!p.started_at.empty()) {
    j["startedAt"] = p.started_at;
    j["durationMs"] = p.duration_ms;
    j["exitCode"] = p.exit_code;
  }
  if (!p.error_code.empty()) j["error"] = {{"code", p.error_code}, {"message", p.error_message}};
  if (!p.output.empty()) j["output"] = p.output;
  if (!p.run_id.empty()) j["runId"] = p.run_id;
  return j;
}

PhaseRecord PhaseFromJson(const json& j) {
  PhaseRecord p;
  p.name = j.value("name", "");
  p.status = j.value("status", "");
  p.reason = j.value("reason", "");
  p.started_at = j.value("startedAt", "");
  p.duration_ms = j.value("durationMs", int64_t{0});
  p.exit_code = j.value("exitCode", 0);
  if (j.contains("error")) {
    p.error_code = j["error"].value("code", "");
    p.error_message = j["error"].value("message", "");
  }
  if (j.contains("output")) p.output = j["output"].get<std::vector<std::string>>();
  p.run_id = j.value("runId", "");
  return p;
}

json RunJson(const RunRecord& r) {
  json phases = json::array();
  for (const auto& p : r.phases) phases.push_back(PhaseJson(p));
  json j = {{"runId", r.run_id},        {"bootId", r.boot_id},       {"startedAt", r.started_at},
            {"finishedAt", r.finished_at}, {"durationMs", r.duration_ms}, {"status", r.status},
            {"exitCode", r.exit_code},  {"phases", phases},
            {"report", {{"status", r.report.status}, {"detail", r.report.detail}}}};
  if (!r.failed_phase.empty()) j["phase"] = r.failed_phase;
  if (!r.error_code.empty()) j["error"] = {{"code", r.error_code}, {"message", r.error_message}};
  return j;
}

RunRecord RunFromJson(const json& j) {
  RunRecord r;
  r.run_id = j.value("runId", "");
  r.boot_id = j.value("bootId", "");
  r.started_at = j.value("startedAt", "");
  r.finished_at = j.value("finishedAt", "");
  r.duration_ms = j.value("durationMs", int64_t{0});
  r.status = j.value("status", "");
  r.exit_code = j.value("exitCode", 0);
  r.failed_phase = j.value("phase", "");
  if (j.contains("error")) {
    r.error_code = j["error"].value("code", "");
    r.error_message = j["error"].value("message", "");
  }
  if (auto it = j.find("phases"); it != j.end() && it->is_array()) {
    for (const auto& p : *it) r.phases.push_back(PhaseFromJson(p));
  }
  if (j.contains("report")) {
    r.report.status = j["report"].value("status", "");
    r.report.detail = j["report"].value("detail", "");
  }
  return r;
}

json StateJson(const State& state) {
  json phases = json::object();
  for (const auto& [name, record] : state.phases) phases[name] = PhaseJson(record);
  json j = {{"version", 1}, {"instanceId", state.instance_id}, {"node", state.node_name}, {"phases", phases}};
  if (state.last_run) j["lastRun"] = RunJson(*state.last_run);
  return j;
}

}  // namespace

std::string ToJson(const State& state) { return StateJson(state).dump(2) + "\n"; }
std::string ToJson(const RunRecord& run) { return RunJson(run).dump(2) + "\n"; }

Result<std::optional<State>> ReadState(const Paths& paths) {
  const auto path = paths.Host(Paths::kStateFile);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<State>();
  NB_TRY_ASSIGN(const std::string text, ReadFile(path));
  try {
    const json j = json::parse(text);
    State state;
    state.instance_id = j.at("instanceId").get<std::string>();
    state.node_name = j.value("node", "");
    if (auto it = j.find("phases"); it != j.end() && it->is_object()) {
      for (const auto& [name, record] : it->items()) state.phases[name] = PhaseFromJson(record);
    }
    if (j.contains("lastRun")) state.last_run = RunFromJson(j["lastRun"]);
    return std::optional<State>(std::move(state));
  } catch (const json::exception& e) {
    return Error::Internal(fmt::format("{} is corrupt ({}); move it away to start this node's bootstrap afresh",
                                       path.string(), e.what()));
  }
}

Result<State> LoadState(const Paths& paths, const std::string& instance_id) {
  NB_TRY_ASSIGN(auto stored, ReadState(paths));
  if (stored && stored->instance_id == instance_id) return std::move(*stored);
  State fresh;
  fresh.instance_id = instance_id;
  return fresh;
}

Status SaveState(const Paths& paths, const State& state) {
  return WriteFileAtomically(paths.Host(Paths::kStateFile), ToJson(state), std::filesystem::perms(0600),
                             std::filesystem::perms(0700));
}

}  // namespace nodeboot::run
