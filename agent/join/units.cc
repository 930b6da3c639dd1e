#include "agent/join/units.h"

#include <fmt/format.h>

namespace nodeboot::join {
namespace {

Result<CommandResult> Systemctl(const UnitControl& control, std::vector<std::string> argv, bool changes_system) {
  Command command;
  command.argv = std::move(argv);
  command.argv.insert(command.argv.begin(), "systemctl");
  command.timeout = std::chrono::seconds(30);
  command.changes_system = changes_system;
  const std::string shown = FormatArgv(command.argv);
  auto result = control.runner.Run(command);
  if (!result) return errors::JoinFailed(fmt::format("{}: {}", shown, result.error().message));
  if (!result->ok()) return errors::JoinFailed(fmt::format("{}: {}", shown, DescribeFailure(command, *result)));
  return result;
}

}  // namespace

std::string UnitState::Describe() const {
  return fmt::format("ActiveState={} SubState={} Result={}", active_state, sub_state, result);
}

UnitState ParseUnitState(std::string_view show_output) {
  UnitState state;
  while (!show_output.empty()) {
    const size_t end = show_output.find('\n');
    const std::string_view line = show_output.substr(0, end);
    show_output = end == std::string_view::npos ? std::string_view() : show_output.substr(end + 1);
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, equals);
    const std::string value(line.substr(equals + 1));
    if (key == "LoadState") state.load_state = value;
    if (key == "ActiveState") state.active_state = value;
    if (key == "SubState") state.sub_state = value;
    if (key == "Result") state.result = value;
    if (key == "InvocationID") state.invocation_id = value;
  }
  return state;
}

Result<UnitState> ShowUnit(const UnitControl& control, std::string_view unit) {
  auto shown = Systemctl(
      control, {"show", "--property=LoadState,ActiveState,SubState,Result,InvocationID", std::string(unit)}, false);
  if (!shown) return shown.error();
  return ParseUnitState(shown->out);
}

Status StopUnit(const UnitControl& control, std::string_view unit) {
  const auto stopped = [](const UnitState& state) {
    return state.active_state == "inactive" || state.active_state == "failed";
  };
  if (!control.dry_run) {
    NB_TRY_ASSIGN(const UnitState before, ShowUnit(control, unit));
    if (stopped(before)) return Ok();
  }
  NB_TRY(Systemctl(control, {"stop", "--no-block", std::string(unit)}, true));
  if (control.dry_run) return Ok();
  const auto deadline = control.clock.now() + control.limit;
  UnitState state;
  while (true) {
    NB_TRY_ASSIGN(state, ShowUnit(control, unit));
    if (stopped(state)) return Ok();
    if (control.clock.now() >= deadline) break;
    control.clock.sleep(control.poll);
  }
  return errors::JoinFailed(fmt::format("systemctl stop {}: still not stopped after {} s ({})", unit,
                                        std::chrono::duration_cast<std::chrono::seconds>(control.limit).count(),
                                        state.Describe()));
}

Status StartUnit(const UnitControl& control, std::string_view unit, UnitVerb verb) {
  // The invocation before ours: until it changed, what `show` says is about the old one (a
  // failed unit still reads failed until our job has run).
  UnitState before;
  if (!control.dry_run) {
    auto state = ShowUnit(control, unit);
    if (!state) return state.error();
    before = std::move(*state);
  }
  // A start of a unit that is already starting (systemd's own start job: containerd is wanted
  // by multi-user.target and starts once nodeboot said READY) merges into that job: there will
  // be no new invocation, and the one under way is the one to wait for.
  const bool already_started =
      verb == UnitVerb::kStart &&
      (before.active_state == "active" || before.active_state == "activating" || before.active_state == "reloading");
  const std::string verb_word = verb == UnitVerb::kStart ? "start" : "restart";
  NB_TRY(Systemctl(control, {verb_word, "--no-block", std::string(unit)}, true));
  if (control.dry_run) return Ok();

  const auto deadline = control.clock.now() + control.limit;
  UnitState state;
  while (true) {
    auto seen = ShowUnit(control, unit);
    if (!seen) return seen.error();
    state = std::move(*seen);
    const bool new_invocation = already_started || state.invocation_id != before.invocation_id;
    if (state.active_state == "active" && new_invocation) {
      control.note(fmt::format("{} is active ({})", unit, state.sub_state));
      return Ok();
    }
    // "failed" is final only for this invocation: a unit with Restart= goes on to
    // auto-restart, which reads as activating.
    if (state.active_state == "failed" && new_invocation) {
      return errors::JoinFailed(fmt::format("systemctl {} {}: the unit failed ({}); `journalctl -u {}` says why",
                                            verb_word, unit, state.Describe(), unit));
    }
    if (control.clock.now() >= deadline) break;
    control.clock.sleep(control.poll);
  }
  return errors::JoinFailed(
      fmt::format("systemctl {} {}: not active after {} s ({}); `journalctl -u {}` says why", verb_word, unit,
                  std::chrono::duration_cast<std::chrono::seconds>(control.limit).count(), state.Describe(), unit));
}

}  // namespace nodeboot::join
