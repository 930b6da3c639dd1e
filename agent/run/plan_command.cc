#include "agent/run/plan_command.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "agent/config/load.h"
#include "agent/run/storage_phase.h"
#include "storage/disk_identity.h"
#include "storage/reconcile.h"

namespace nodeboot::run {
namespace {

nlohmann::json PlanJson(const storage::Plan& plan) {
  using nlohmann::json;
  json disks = json::array();
  for (const auto& disk : plan.disks) {
    disks.push_back({{"device", disk.disk.device},
                     {"serial", disk.disk.serial},
                     {"sizeBytes", disk.disk.size_bytes},
                     {"kind", storage::Name(disk.attributes.kind)},
                     {"usable", disk.usable},
                     {"reason", disk.reason},
                     {"selector", disk.selector},
                     {"bus", storage::BusName(disk.disk.bus)},
                     {"wwid", disk.disk.wwid},
                     {"matchedBy", disk.attributes.source}});
  }
  json groups = json::array();
  for (const auto& group : plan.groups) {
    json volumes = json::array();
    for (const auto& volume : group.volumes) {
      volumes.push_back({{"space", storage::Name(volume.space)},
                         {"lv", volume.lv},
                         {"extents", volume.extents},
                         {"stripes", volume.stripes},
                         {"mountPoint", volume.mount_point},
                         {"filesystem", storage::Name(volume.filesystem)}});
    }
    groups.push_back({{"name", group.name},
                      {"devices", group.devices},
                      {"extents", group.extents},
                      {"extentsPredicted", group.extents_predicted},
                      {"volumes", volumes}});
  }
  json actions = json::array();
  for (const auto& step : plan.steps) {
    if (step.kind == storage::StepKind::kWriteFstab) actions.push_back({{"file", "/etc/fstab"}});
    for (const auto& argv : storage::Commands(step)) actions.push_back({{"command", argv}});
  }
  return {{"disks", disks}, {"groups", groups}, {"actions", actions}};
}

}  // namespace

int PrintPlan(const std::string& root, const std::string& config_path, bool json, Host& host) {
  const Paths paths(root);
  const auto loaded = config::LoadConfig(paths, config::ConfigFile(paths, config_path));
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) fmt::print(stderr, "nodeboot: config: {}\n", error.ToString());
    return exit_code::kInvalidConfig;
  }
  if (!loaded.config.node_template.storage) {
    if (json)
      fmt::print("{}\n", nlohmann::json{{"disks", nlohmann::json::array()},
                                        {"groups", nlohmann::json::array()},
                                        {"actions", nlohmann::json::array()}}
                             .dump());
    else
      fmt::print("no storage spec in nodeTemplate: the storage phase has nothing to do\n");
    return exit_code::kOk;
  }
  // Only lvm's reports run; any command that would change the node is printed, never run (a
  // plan changes nothing, whatever the storage library asks for).
  auto read_only = MakeDryRunCommandRunner(
      host.runner, [](const std::string& line) { fmt::print(stderr, "nodeboot plan: not run: {}\n", line); });
  storage::Lvm lvm(*read_only, storage::Lvm::UdevRunning(paths));
  auto plan = storage::PlanOnce(PlanInputFor(loaded.config, paths), paths, lvm, host.probe);
  if (!plan) {
    fmt::print(stderr, "nodeboot plan: {}: {}\n", plan.error().code, plan.error().message);
    return plan.error().exit_code;
  }
  if (json) {
    fmt::print("{}\n", PlanJson(*plan).dump());
    return exit_code::kOk;
  }
  for (const auto& disk : plan->disks) {
    const std::string verdict = !disk.usable            ? "skipped: " + disk.reason
                                : disk.selector.empty() ? "usable, not selected"
                                : disk.reason.empty()   ? "selector " + disk.selector
                                                        : "selector " + disk.selector + ": " + disk.reason;
    fmt::print("disk {} {} GiB {} serial={}: {}\n", disk.disk.device, storage::GiB(disk.disk.size_bytes),
               storage::Name(disk.attributes.kind), disk.disk.serial, verdict);
  }
  for (const auto& group : plan->groups) {
    fmt::print("group {} on {} ({} extents{})\n", group.name, fmt::join(group.devices, ", "), group.extents,
               group.extents_predicted ? ", predicted: LVs are sized from the VG lvm makes" : "");
    for (const auto& volume : group.volumes) {
      fmt::print("  {}/{} {} extents, {} stripe(s), {} at {}\n", group.name, volume.lv, volume.extents, volume.stripes,
                 storage::Name(volume.filesystem), volume.mount_point);
    }
  }
  if (plan->steps.empty()) fmt::print("nothing to do\n");
  for (const auto& step : plan->steps) {
    std::vector<std::string> commands;
    for (const auto& argv : storage::Commands(step)) commands.push_back(FormatArgv(argv));
    if (step.kind == storage::StepKind::kWriteFstab) commands.push_back("/etc/fstab");
    fmt::print("would {}: {}\n", step.why, fmt::join(commands, "; "));
  }
  return exit_code::kOk;
}

}  // namespace nodeboot::run
