// The engine's test doubles, shared by engine_test.cc and node_services_test.cc: a phase whose
// outcome the test sets (and which can log that it ran into a list the test reads), a runner
// that runs nothing, and a fixture holding what RunPhases needs.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/base/command_runner.h"
#include "agent/base/host_files.h"
#include "agent/run/engine.h"
#include "tests/support/no_host_access.h"

namespace nodeboot::testing {

using run::Identity;
using run::Phase;
using run::PhaseContext;
using run::PhaseOutcome;
using run::RunHooks;
using run::RunRecord;
using run::Selection;
using run::State;

class FakePhase : public Phase {
 public:
  struct Traits {
    bool script = false;
    bool needs_node_services = false;
    Status result = Ok();
    std::string nothing_to_do = {};  // NothingToDo's answer: non-empty, the engine skips it
  };
  FakePhase(std::string name, Traits traits, std::vector<std::string>* log = nullptr)
      : name_(std::move(name)), traits_(std::move(traits)), log_(log) {}

  Error InterruptedError(std::string message) const override {
    return Error{"NB-X-INTERRUPTED", std::move(message), 10};
  }
  std::string_view name() const override { return name_; }
  bool is_script() const override { return traits_.script; }
  bool needs_node_services() const override { return traits_.needs_node_services; }
  std::string NothingToDo(const config::NodeConfig&) const override { return traits_.nothing_to_do; }
  PhaseOutcome Run(PhaseContext&) override {
    ++runs;
    if (log_ != nullptr) log_->push_back("run " + name_);
    if (during) during();
    PhaseOutcome outcome{traits_.result, {"line one", "line two"}, reboot};
    outcome.skipped = skipped;
    return outcome;
  }

  int runs = 0;
  bool reboot = false;
  std::string skipped;  // the phase's own "nothing to do here", said from its Run
  std::function<void()> during;

 private:
  std::string name_;
  Traits traits_;
  std::vector<std::string>* log_;
};

class NullRunner : public CommandRunner {
 public:
  Result<CommandResult> Run(const Command&) override { return CommandResult{}; }
  bool HasProgram(const std::string&) override { return true; }
};

// What RunPhases needs, with fakes: a config, an identity, a dry-run HostFiles, a state.
class EngineFixture : public ::testing::Test {
 protected:
  FakePhase& AddPhase(std::string name, FakePhase::Traits traits, std::vector<std::string>* log = nullptr) {
    phases_.push_back(std::make_unique<FakePhase>(std::move(name), std::move(traits), log));
    return static_cast<FakePhase&>(*phases_.back());
  }
  RunRecord Run(const Selection& selection = {}) {
    PhaseContext context{config_, identity_, paths_, runner_, *files_, http_, probe_, selection.repair, false, {}};
    return run::RunPhases(phases_, context, selection, state_, hooks_);
  }

  RunHooks hooks_;
  NoHttp http_;
  NoProbe probe_;
  config::NodeConfig config_;
  Identity identity_{"w1", "i-1", "boot", "run-1"};
  Paths paths_{"/nonexistent"};
  NullRunner runner_;
  std::unique_ptr<HostFiles> files_ = MakeDryRunHostFiles(paths_, [](const std::string&) {});
  std::vector<std::unique_ptr<Phase>> phases_;
  State state_;
};

}  // namespace nodeboot::testing
