#include "agent/run/progress.h"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "agent/base/atomic_file.h"
#include "agent/base/time_format.h"

namespace nodeboot::run {
namespace {

constexpr size_t kStepLineMax = 160;

std::string Now() { return FormatUtc(std::chrono::system_clock::now()); }

}  // namespace

std::string ProgressToJson(const Progress& progress) {
  const nlohmann::ordered_json j = {{"runId", progress.run_id},
                                    {"phase", progress.phase},
                                    {"phaseSince", progress.phase_since},
                                    {"step", progress.step},
                                    {"stepSince", progress.step_since}};
  return j.dump() + "\n";
}

Result<Progress> ProgressFromJson(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Error::Internal("the progress file is not a JSON object");
  Progress progress;
  for (auto [key, field] : {std::pair{"runId", &progress.run_id},
                            {"phase", &progress.phase},
                            {"phaseSince", &progress.phase_since},
                            {"step", &progress.step},
                            {"stepSince", &progress.step_since}}) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
      return Error::Internal(fmt::format("the progress file has no string \"{}\"", key));
    }
    *field = it->get<std::string>();
  }
  return progress;
}

Result<std::optional<Progress>> ReadProgress(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::optional<Progress>();
  auto text = ReadFile(file, 64 << 10);
  if (!text) return text.error();
  auto progress = ProgressFromJson(*text);
  if (!progress) return Error::Internal(fmt::format("{}: {}", file.string(), progress.error().message));
  return std::optional<Progress>(std::move(*progress));
}

std::string StepLine(const Command& command, const Redactor& redactor) {
  std::string step = redactor.Redact(FormatArgv(command.argv));
  if (step.size() > kStepLineMax) step = step.substr(0, kStepLineMax - 3) + "...";
  return step;
}

ProgressFile::ProgressFile(std::filesystem::path file, std::string run_id) : file_(std::move(file)) {
  progress_.run_id = std::move(run_id);
}

ProgressFile::~ProgressFile() {
  std::error_code ec;
  std::filesystem::remove(file_, ec);
}

void ProgressFile::PhaseStarted(std::string_view phase) {
  progress_.phase = std::string(phase);
  progress_.phase_since = Now();
  progress_.step.clear();
  progress_.step_since.clear();
  Write();
}

void ProgressFile::StepStarted(std::string_view step) {
  if (progress_.phase.empty()) return;  // before the first phase: nothing `status` would show
  progress_.step = std::string(step);
  progress_.step_since = Now();
  Write();
}

void ProgressFile::Write() {
  // 0600 in 0700, like state.json.
  [[maybe_unused]] auto written =
      WriteFileAtomically(file_, ProgressToJson(progress_), std::filesystem::perms(0600), std::filesystem::perms(0700));
}

}  // namespace nodeboot::run
