#include "storage/reconcile.h"

#include <fmt/format.h>

#include "agent/base/atomic_file.h"
#include "agent/base/logging.h"

namespace nodeboot::storage {
namespace {

Result<Plan> Pass(const PlanInput& input, const Paths& paths, Lvm& lvm, SignatureProbe& probe, const IntentLog& intents,
                  Observations& observed) {
  NB_TRY_ASSIGN(observed, Observe(paths, lvm, probe, input, intents));
  const auto fstab = ReadFile(paths.Host("/etc/fstab"));
  return BuildPlan(input, observed, fstab ? *fstab : "");
}

}  // namespace

void LogDecisions(const Plan& plan) {
  for (const auto& disk : plan.disks) {
    if (!disk.selector.empty() && disk.usable && !disk.reason.empty()) {
      log::Info("storage: {} {}", disk.disk.device, disk.reason);
    } else if (!disk.selector.empty()) {
      log::Info("storage: {} ({} GiB, {}{}{}) taken by selector {}{}", disk.disk.device, GiB(disk.disk.size_bytes),
                Name(disk.attributes.kind),
                disk.attributes.volume_type.empty() ? "" : " " + disk.attributes.volume_type,
                disk.attributes.source.empty() ? "" : ", " + disk.attributes.source, disk.selector,
                disk.adopted ? " (already a nodeboot PV)" : "");
    } else if (disk.usable) {
      log::Info("storage: {} is usable but no selector takes it", disk.disk.device);
    } else {
      log::Info("storage: {} skipped: {}", disk.disk.device, disk.reason);
    }
  }
}

Result<Plan> PlanOnce(const PlanInput& input, const Paths& paths, Lvm& lvm, SignatureProbe& probe) {
  Observations observed;
  return Pass(input, paths, lvm, probe, IntentLog(paths), observed);
}

Status Reconcile(const PlanInput& input, ApplyContext& context) {
  // One pass per stage (plan.h), and the one that finds nothing left: more passes mean the
  // layout does not converge.
  const size_t max_passes = 6;
  std::string last_step;
  for (size_t pass = 1; pass <= max_passes; ++pass) {
    Observations observed;
    NB_TRY_ASSIGN(const Plan plan, Pass(input, context.paths, context.lvm, context.probe, context.intents, observed));
    if (pass == 1) LogDecisions(plan);
    if (plan.steps.empty()) {
      if (pass == 1) log::Info("storage: nothing to change; the layout is in place");
      if (context.dry_run) return Ok();
      NB_TRY(VerifyLayout(plan, observed));
      return context.intents.Clear();  // a record left over by a step that has no effect now
    }
    NB_TRY(ApplySteps(plan, context));
    if (context.dry_run) return Ok();
    last_step = plan.steps.front().why;
  }
  return errors::StorageVerifyFailed(
      fmt::format("the layout did not converge after {} passes (still to do: {})", max_passes, last_step));
}

}  // namespace nodeboot::storage
