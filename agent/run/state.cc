#include "agent/run/state.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "agent/base/atomic_file.h"

namespace nodeboot::run {
namespace {

using nlohmann::json;

constexpr int kVersion = 1;

constexpr std::array<std::pair<PhaseStatus, std::string_view>, 6> kPhaseStatuses{{
    {PhaseStatus::kSucceeded, "succeeded"},
    {PhaseStatus::kFailed, "failed"},
    {PhaseStatus::kSkipped, "skipped"},
    {PhaseStatus::kNotRun, "not-run"},
    {PhaseStatus::kRunning, "running"},
    {PhaseStatus::kInterrupted, "interrupted"},
}};
constexpr std::array<std::pair<RunStatus, std::string_view>, 5> kRunStatuses{{
    {RunStatus::kRunning, "running"},
    {RunStatus::kSucceeded, "succeeded"},
    {RunStatus::kFailed, "failed"},
    {RunStatus::kInterrupted, "interrupted"},
    {RunStatus::kRebooting, "rebooting"},
}};
constexpr std::array<std::pair<ReportStatus, std::string_view>, 6> kReportStatuses{{
    {ReportStatus::kSending, "sending"},
    {ReportStatus::kDelivered, "delivered"},
    {ReportStatus::kPending, "pending"},
    {ReportStatus::kFailed, "failed"},
    {ReportStatus::kNotConfigured, "not-configured"},
    {ReportStatus::kNotSent, "not-sent"},
}};

template <typename Enum, size_t N>
std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "?";
}

// A malformed file is reported as this, caught once in ParseState.
struct NotAStateFile {
  std::string why;
};

template <typename Enum, size_t N>
Enum EnumOf(const std::array<std::pair<Enum, std::string_view>, N>& table, const json& j, std::string_view where) {
  if (j.is_string()) {
    const auto text = j.get<std::string>();
    for (const auto& [e, name] : table) {
      if (name == text) return e;
    }
  }
  throw NotAStateFile{
      fmt::format("{}: unknown status {}", where, j.dump(-1, ' ', false, json::error_handler_t::replace))};
}

const json& Required(const json& j, std::string_view key, json::value_t type, std::string_view where) {
  const auto it = j.find(std::string(key));
  if (it == j.end()) throw NotAStateFile{fmt::format("{} has no \"{}\"", where, key)};
  const bool number_ok = type == json::value_t::number_integer && it->is_number_integer();
  if (it->type() != type && !number_ok) throw NotAStateFile{fmt::format("{}.{} has the wrong type", where, key)};
  return *it;
}

json PhaseJson(const PhaseRecord& p) {
  json j = {{"name", p.name}, {"status", ToString(p.status)}};
  if (!p.reason.empty()) j["reason"] = p.reason;
  if (!p.started_at.empty()) {
    j["startedAt"] = p.started_at;
    j["durationMs"] = p.duration_ms;
    j["exitCode"] = p.exit_code;
  }
  if (!p.error_code.empty()) j["error"] = {{"code", p.error_code}, {"message", p.error_message}};
  if (!p.output.empty()) j["output"] = p.output;
  if (!p.run_id.empty()) j["runId"] = p.run_id;
  if (p.reboot_requested) j["rebootRequested"] = true;
  return j;
}

PhaseRecord PhaseFromJson(const json& j, const std::string& where) {
  if (!j.is_object()) throw NotAStateFile{fmt::format("{} is not an object", where)};
  PhaseRecord p;
  p.name = Required(j, "name", json::value_t::string, where).get<std::string>();
  p.status = EnumOf(kPhaseStatuses, Required(j, "status", json::value_t::string, where), where);
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
  p.reboot_requested = j.value("rebootRequested", false);
  if (p.status != PhaseStatus::kSkipped && p.status != PhaseStatus::kNotRun && p.started_at.empty()) {
    throw NotAStateFile{fmt::format("{} ({}) has no \"startedAt\"", where, ToString(p.status))};
  }
  return p;
}

json RunJson(const RunRecord& r) {
  json phases = json::array();
  for (const auto& p : r.phases) phases.push_back(PhaseJson(p));
  const auto exit = r.ExitCode();
  json j = {{"runId", r.run_id},
            {"bootId", r.boot_id},
            {"startedAt", r.started_at},
            {"finishedAt", r.finished_at},
            {"durationMs", r.duration_ms},
            {"status", ToString(r.status)},
            {"exitCode", exit ? json(*exit) : json(nullptr)},
            {"phases", phases},
            {"report", {{"status", ToString(r.report.status)}, {"detail", r.report.detail}}}};
  if (r.stopped_by != 0) j["stoppedBy"] = r.stopped_by;
  if (!r.warnings.empty()) j["warnings"] = r.warnings;
  // Derived from the phases (never read back): what a reader of the file looks for first.
  if (const PhaseRecord* failed = r.FailedPhase()) {
    j["phase"] = failed->name;
    if (!failed->error_code.empty()) {
      j["error"] = {{"code", failed->error_code}, {"message", failed->error_message}};
    }
  }
  return j;
}

RunRecord RunFromJson(const json& j) {
  const std::string where = "lastRun";
  if (!j.is_object()) throw NotAStateFile{"lastRun is not an object"};
  RunRecord r;
  r.run_id = Required(j, "runId", json::value_t::string, where).get<std::string>();
  r.boot_id = j.value("bootId", "");
  r.started_at = Required(j, "startedAt", json::value_t::string, where).get<std::string>();
  r.finished_at = j.value("finishedAt", "");
  r.duration_ms = j.value("durationMs", int64_t{0});
  r.status = EnumOf(kRunStatuses, Required(j, "status", json::value_t::string, where), where);
  r.stopped_by = j.value("stoppedBy", 0);
  const json& phases = Required(j, "phases", json::value_t::array, where);
  for (size_t i = 0; i < phases.size(); ++i) {
    r.phases.push_back(PhaseFromJson(phases[i], fmt::format("lastRun.phases[{}]", i)));
  }
  const json& report = Required(j, "report", json::value_t::object, where);
  r.report.status =
      EnumOf(kReportStatuses, Required(report, "status", json::value_t::string, "lastRun.report"), "lastRun.report");
  r.report.detail = report.value("detail", "");
  if (j.contains("warnings")) r.warnings = j["warnings"].get<std::vector<std::string>>();
  return r;
}

json StateJson(const State& state) {
  json phases = json::object();
  for (const auto& [name, record] : state.phases) phases[name] = PhaseJson(record);
  json j = {{"version", kVersion}, {"instanceId", state.instance_id}, {"node", state.node_name}, {"phases", phases}};
  if (state.last_run) j["lastRun"] = RunJson(*state.last_run);
  return j;
}

constexpr std::string_view kDiedMessage =
    "nodeboot ended during this phase without recording its end (SIGKILL, a crash, a reboot or a power cut)";

}  // namespace

std::string_view ToString(PhaseStatus status) { return NameOf(kPhaseStatuses, status); }
std::string_view ToString(RunStatus status) { return NameOf(kRunStatuses, status); }
std::string_view ToString(ReportStatus status) { return NameOf(kReportStatuses, status); }

const PhaseRecord* RunRecord::FailedPhase() const {
  for (const auto& phase : phases) {
    if (phase.status == PhaseStatus::kFailed || phase.status == PhaseStatus::kInterrupted) return &phase;
  }
  return nullptr;
}

std::optional<int> RunRecord::ExitCode() const {
  if (status == RunStatus::kRunning) return std::nullopt;
  if (stopped_by != 0) return 128 + stopped_by;
  if (status == RunStatus::kInterrupted) return std::nullopt;  // died: nobody saw its end
  if (const PhaseRecord* failed = FailedPhase()) return failed->exit_code;
  return 0;
}

// Every string nodeboot stores went through the redactor; output of a script may still hold
// bytes that are not UTF-8 (a Latin-1 "café"): they become U+FFFD, as in the report.
std::string ToJson(const State& state) {
  return StateJson(state).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<State> ParseState(std::string_view text) {
  try {
    const json j = json::parse(text);
    if (!j.is_object()) throw NotAStateFile{"not a JSON object"};
    if (Required(j, "version", json::value_t::number_integer, "the file").get<int>() != kVersion) {
      throw NotAStateFile{fmt::format("version {} (this nodeboot writes {})", j["version"].dump(), kVersion)};
    }
    State state;
    state.instance_id = Required(j, "instanceId", json::value_t::string, "the file").get<std::string>();
    if (state.instance_id.empty()) throw NotAStateFile{"\"instanceId\" is empty"};
    state.node_name = Required(j, "node", json::value_t::string, "the file").get<std::string>();
    for (const auto& [name, record] : Required(j, "phases", json::value_t::object, "the file").items()) {
      state.phases[name] = PhaseFromJson(record, "phases." + name);
      if (state.phases[name].name != name) throw NotAStateFile{fmt::format("phases.{} names another phase", name)};
    }
    if (!j.contains("lastRun")) throw NotAStateFile{"the file has no \"lastRun\""};
    state.last_run = RunFromJson(j["lastRun"]);
    return state;
  } catch (const NotAStateFile& e) {
    return Error::Internal(e.why);
  } catch (const json::exception& e) {
    return Error::Internal(e.what());
  }
}

Result<std::optional<State>> ReadState(const Paths& paths) {
  const auto path = paths.Host(Paths::kStateFile);
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) return std::optional<State>();
  NB_TRY_ASSIGN(const std::string text, ReadFile(path));
  auto state = ParseState(text);
  if (!state) {
    return Error::Internal(fmt::format(
        "{} is not a state file nodeboot wrote ({}). nodeboot will not guess what already ran on this node: "
        "moving the file away (mv {} {}.bad) makes the next run start afresh and run the install scripts again",
        path.string(), state.error().message, path.string(), path.string()));
  }
  return std::optional<State>(std::move(*state));
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

bool MarkDeadRunInterrupted(State& state) {
  bool marked = false;
  auto mark = [&marked](PhaseRecord& phase) {
    if (phase.status != PhaseStatus::kRunning) return;
    phase.status = PhaseStatus::kInterrupted;
    if (phase.error_message.empty()) phase.error_message = std::string(kDiedMessage);
    marked = true;
  };
  for (auto& [name, phase] : state.phases) mark(phase);
  if (state.last_run && state.last_run->status == RunStatus::kRunning) {
    state.last_run->status = RunStatus::kInterrupted;
    for (auto& phase : state.last_run->phases) mark(phase);
    marked = true;
  }
  // Its phases may all have ended: the report step is recorded separately.
  if (state.last_run && state.last_run->report.status == ReportStatus::kSending) {
    state.last_run->report = {ReportStatus::kPending,
                              "nodeboot ended while sending the report; if it reached the outbox, "
                              "`nodeboot report --flush` or the next run sends it"};
    marked = true;
  }
  return marked;
}

}  // namespace nodeboot::run
