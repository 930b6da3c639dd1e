#include "agent/run/storage_phase.h"

#include "storage/reconcile.h"

namespace nodeboot::run {

storage::PlanInput PlanInputFor(const config::NodeConfig& config, const Paths& paths) {
  storage::PlanInput input;
  input.spec = *config.node_template.storage;
  input.inventory = {config.disks, config.node_template.data_volumes};
  input.filesystem = config.filesystem;
  input.runtime_is_docker = config.node_template.runtime_is_docker();
  input.host_prefix = paths.root() == "/" ? "" : paths.root().string();
  return input;
}

namespace {

class StoragePhase : public Phase {
 public:
  std::string_view name() const override { return "storage"; }
  bool is_script() const override { return false; }
  std::string NothingToDo(const config::NodeConfig& config) const override {
    return config.node_template.storage
               ? ""
               : "no storage spec in nodeTemplate (neither storage nor DockerLVMConfigOverride)";
  }

  PhaseOutcome Run(PhaseContext& context) override {
    storage::Lvm lvm(context.runner, storage::Lvm::UdevRunning(context.paths));
    storage::IntentLog intents(context.paths);
    storage::ApplyContext apply{context.paths, context.runner, context.files,  lvm,
                                context.probe, intents,        context.dry_run};
    return {storage::Reconcile(PlanInputFor(context.config, context.paths), apply), {}};
  }
};

}  // namespace

std::unique_ptr<Phase> MakeStoragePhase() { return std::make_unique<StoragePhase>(); }

}  // namespace nodeboot::run
