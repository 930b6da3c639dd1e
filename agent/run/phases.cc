#include "agent/run/phases.h"

#include <fmt/format.h>

#include <functional>

#include "agent/run/engine.h"
#include "agent/run/storage_phase.h"
#include "agent/scripts/script_phase.h"

namespace nodeboot::run {
namespace {

// A phase whose issue has not landed: it does nothing and says so. When the node's config asks
// for it, the run stops with exit 1 (see kNotImplementedCode) instead of claiming a bootstrap.
class NotImplementedPhase : public Phase {
 public:
  NotImplementedPhase(std::string name, std::string issue, std::function<std::string(const config::NodeConfig&)> nothing)
      : name_(std::move(name)), issue_(std::move(issue)), nothing_(std::move(nothing)) {}

  std::string_view name() const override { return name_; }
  bool is_script() const override { return false; }
  std::string NothingToDo(const config::NodeConfig& config) const override { return nothing_(config); }
  PhaseOutcome Run(PhaseContext&) override {
    return {Error{kNotImplementedCode,
                  fmt::format("the {} phase is configured but not implemented in nodeboot {} ({}); "
                              "use --skip {} to bootstrap without it",
                              name_, NODEBOOT_VERSION, issue_, name_),
                  exit_code::kInternal},
            {}};
  }

 private:
  std::string name_;
  std::string issue_;
  std::function<std::string(const config::NodeConfig&)> nothing_;
};

}  // namespace

std::vector<std::unique_ptr<Phase>> StandardPhases() {
  std::vector<std::unique_ptr<Phase>> phases;
  // The pre-install script runs first: operators use it to install packages, certificates or
  // drivers that everything after it needs.
  phases.push_back(scripts::MakeScriptPhase(scripts::Which::kPreInstall));
  // Storage before join: the container runtime's and the kubelet's directories must be on
  // their volumes before either starts writing to them.
  phases.push_back(MakeStoragePhase());
  // Join once the node is complete, so the scheduler never sees a half-built node Ready.
  phases.push_back(std::make_unique<NotImplementedPhase>("join", "issue #6", [](const config::NodeConfig& c) {
    return c.cluster.join == config::JoinMode::kNone ? "no cluster to join (cluster.join absent or none)" : "";
  }));
  // The post-install script last: it may label, test or talk to the joined node.
  phases.push_back(scripts::MakeScriptPhase(scripts::Which::kPostInstall));
  return phases;
}

}  // namespace nodeboot::run
