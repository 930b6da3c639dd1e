#include "agent/run/textfile.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "agent/base/atomic_file.h"

namespace nodeboot::run {
namespace {

// Seconds since the epoch of an RFC 3339 UTC time as FormatUtc writes it
// ("2026-11-22T10:00:00Z"); none for anything else.
std::optional<int64_t> EpochSeconds(const std::string& utc) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  char zulu = 0;
  int consumed = 0;
  if (std::sscanf(utc.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &year, &month, &day, &hour, &minute, &second, &zulu,
                  &consumed) != 7 ||
      zulu != 'Z' || static_cast<size_t>(consumed) != utc.size()) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const auto days = std::chrono::sys_days(date).time_since_epoch().count();
  return int64_t{days} * 86400 + hour * 3600 + minute * 60 + second;
}

// Milliseconds as seconds, exactly and without trailing zeros: 1500 -> "1.5", 3000 -> "3".
std::string Seconds(int64_t ms) {
  if (ms < 0) ms = 0;
  std::string text = fmt::format("{}.{:03}", ms / 1000, ms % 1000);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

// Length of the valid UTF-8 sequence at `text[i]`, or 0.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead == 0xE0)
    length = 3, low = 0xA0;
  else if (lead == 0xED)
    length = 3, high = 0x9F;  // no surrogates
  else if (lead >= 0xE1 && lead <= 0xEF)
    length = 3;
  else if (lead == 0xF0)
    length = 4, low = 0x90;
  else if (lead == 0xF4)
    length = 4, high = 0x8F;
  else if (lead >= 0xF1 && lead <= 0xF3)
    length = 4;
  else
    return 0;
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

class Exposition {
 public:
  void Family(std::string_view name, std::string_view help) {
    text_ += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, help, name);
  }
  void Sample(std::string_view name, Labels labels, std::string_view value) {
    text_ += name;
    if (labels.size() > 0) {
      text_ += '{';
      bool first = true;
      for (const auto& [label, label_value] : labels) {
        if (!first) text_ += ',';
        first = false;
        text_ += fmt::format("{}=\"{}\"", label, EscapeLabelValue(label_value));
      }
      text_ += '}';
    }
    text_ += fmt::format(" {}\n", value);
  }
  void Sample(std::string_view name, Labels labels, int64_t value) { Sample(name, labels, std::to_string(value)); }
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size();) {
    const char c = value[i];
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else {
      const size_t length = Utf8Length(value, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD: the format is UTF-8
        ++i;
        continue;
      }
      out.append(value.substr(i, length));
      i += length;
      continue;
    }
    ++i;
  }
  return out;
}

std::string RenderTextfile(const RunRecord& run, std::string_view node_name, std::string_view instance_id) {
  Exposition out;
  const std::string_view status = ToString(run.status);
  out.Family("nodeboot_run_info", "The last nodeboot run on this node: its id, the instance, the node and the result.");
  out.Sample("nodeboot_run_info",
             {{"run_id", run.run_id}, {"instance_id", instance_id}, {"node", node_name}, {"status", status}}, 1);
  out.Family("nodeboot_run_success", "1 if the last nodeboot run succeeded, else 0 (failed, interrupted, rebooting).");
  out.Sample("nodeboot_run_success", {}, run.status == RunStatus::kSucceeded ? 1 : 0);
  if (const auto exit = run.ExitCode()) {
    out.Family("nodeboot_run_exit_code", "The exit code of the last nodeboot run (0 success, see SPEC section 2).");
    out.Sample("nodeboot_run_exit_code", {}, *exit);
  }
  if (const auto finished = EpochSeconds(run.finished_at)) {
    out.Family("nodeboot_run_last_timestamp_seconds", "When the last nodeboot run ended, in seconds since the epoch.");
    out.Sample("nodeboot_run_last_timestamp_seconds", {}, *finished);
  }
  out.Family("nodeboot_run_duration_seconds", "How long the last nodeboot run took, in seconds.");
  out.Sample("nodeboot_run_duration_seconds", {}, Seconds(run.duration_ms));
  // Only the phases that ran have a duration; a skipped or not-run phase has none.
  bool any_started = false;
  for (const auto& phase : run.phases) {
    if (phase.started_at.empty()) continue;
    if (!any_started) {
      out.Family("nodeboot_phase_duration_seconds",
                 "How long each phase that ran in the last nodeboot run took, in seconds.");
      any_started = true;
    }
    out.Sample("nodeboot_phase_duration_seconds", {{"phase", phase.name}}, Seconds(phase.duration_ms));
  }
  if (!run.phases.empty()) {
    out.Family("nodeboot_phase_status", "Each phase of the last nodeboot run, with its status as a label (always 1).");
    for (const auto& phase : run.phases) {
      out.Sample("nodeboot_phase_status", {{"phase", phase.name}, {"status", ToString(phase.status)}}, 1);
    }
  }
  out.Family("nodeboot_report_delivered", "1 if the last nodeboot run's report reached the task service, else 0.");
  out.Sample("nodeboot_report_delivered", {}, run.report.status == ReportStatus::kDelivered ? 1 : 0);
  out.Family("nodeboot_report_status", "The last nodeboot run's report, with its status as a label (always 1).");
  out.Sample("nodeboot_report_status", {{"status", ToString(run.report.status)}}, 1);
  return out.Take();
}

Status WriteTextfile(const Paths& paths, std::string_view content) {
  return WriteFileAtomically(paths.Host(Paths::kTextfile), content, std::filesystem::perms(0644),
                             std::filesystem::perms(0755));
}

}  // namespace nodeboot::run
