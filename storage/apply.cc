#include "storage/apply.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "agent/base/atomic_file.h"
#include "agent/base/logging.h"

namespace nodeboot::storage {
namespace {

bool IsLvmStep(StepKind kind) {
  return kind == StepKind::kCreateVg || kind == StepKind::kExtendVg || kind == StepKind::kCreateLv ||
         kind == StepKind::kActivateLv;
}

Error CommandFailed(const Step& step, const std::vector<std::string>& argv, const std::string& detail) {
  return errors::StorageCommandFailed(fmt::format("{} ({}): {}", argv.front(), step.why, detail));
}

// What the step is about to do, for the intent record; nullopt for steps that need none
// (mounts, fstab: they are atomic or re-checked from scratch).
std::optional<Intent> IntentOf(const Step& step, const Plan& plan) {
  Intent intent;
  intent.vg = step.vg;
  intent.lv = step.lv;
  switch (step.kind) {
    case StepKind::kCreateVg:
    case StepKind::kExtendVg:
      intent.kind = step.kind == StepKind::kCreateVg ? IntentKind::kCreateVg : IntentKind::kExtendVg;
      for (const auto& device : step.new_devices) {
        const auto it =
            std::find_if(plan.disks.begin(), plan.disks.end(), [&](const auto& d) { return d.disk.device == device; });
        if (it != plan.disks.end()) intent.disks.push_back({device, it->disk.serial, it->disk.size_bytes});
      }
      return intent;
    case StepKind::kCreateLv:
      intent.kind = IntentKind::kCreateLv;
      return intent;
    case StepKind::kMakeFilesystem:
      intent.kind = IntentKind::kMakeFilesystem;
      intent.lv_uuid = step.lv_uuid;
      return intent;
    default:
      return std::nullopt;
  }
}

// mkfs only on an LV that is provably empty (or whose emptiness the intent record stands for):
// an LV that already carries the expected filesystem is used as is, anything else stops.
Result<bool> NeedsMkfs(const Step& step, ApplyContext& context) {
  if (context.dry_run || step.force) return true;
  const std::string found = context.probe.FilesystemType(step.device);
  if (found.empty()) return true;
  if (found == Name(step.filesystem)) {
    log::Info("storage: {} already carries {}; not re-made", step.device, found);
    return false;
  }
  return errors::StorageUnsafeDisk(
      fmt::format("{} carries {}, not {}; it is not re-made", step.device, found, Name(step.filesystem)));
}

Status RunCommand(const Step& step, const std::vector<std::string>& argv, ApplyContext& context) {
  if (IsLvmStep(step.kind)) return context.lvm.Run(argv, step.why);
  Command command;
  command.argv = argv;
  // mkfs and the copy of an existing directory can take a while on big volumes.
  command.timeout = argv.front() == "cp" ? std::chrono::seconds(3600) : std::chrono::seconds(900);
  auto result = context.runner.Run(command);
  if (!result) return CommandFailed(step, argv, result.error().message);
  if (!result->ok()) {
    return CommandFailed(step, argv, DescribeFailure(command, *result));
  }
  return Ok();
}

Status RunStep(const Step& step, const Plan& plan, ApplyContext& context) {
  if (step.kind == StepKind::kWriteFstab) {
    if (auto written =
            context.files.Write("/etc/fstab", step.fstab, std::filesystem::perms(0644), std::filesystem::perms(0755));
        !written) {
      return errors::StorageCommandFailed(fmt::format("write /etc/fstab: {}", written.error().message));
    }
    return Ok();
  }
  if (step.kind == StepKind::kMakeFilesystem) {
    NB_TRY_ASSIGN(const bool needed, NeedsMkfs(step, context));
    if (!needed) return Ok();
  }
  const auto intent = context.dry_run ? std::nullopt : IntentOf(step, plan);
  if (intent) NB_TRY(context.intents.Record(*intent));
  for (const auto& argv : Commands(step)) NB_TRY(RunCommand(step, argv, context));
  if (intent) NB_TRY(context.intents.Clear());
  return Ok();
}

}  // namespace

Status ApplySteps(const Plan& plan, ApplyContext& context) {
  for (const auto& step : plan.steps) {
    if (!context.dry_run && Stage(step.kind) != Stage(plan.steps.front().kind)) break;
    log::Info("storage: {}", step.why);
    NB_TRY(RunStep(step, plan, context));
  }
  return Ok();
}

}  // namespace nodeboot::storage
