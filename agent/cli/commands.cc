#include "agent/cli/commands.h"

#include <fmt/format.h>

#include <cstdio>

#include "agent/base/paths.h"
#include "agent/base/result.h"
#include "agent/config/load.h"
#include "agent/run/bootstrap.h"

namespace nodeboot::cli {
namespace {

// A command whose issue has not landed says so and fails; it never pretends success.
int NotImplemented(std::string_view command, std::string_view issue) {
  fmt::print(stderr, "nodeboot {}: not implemented yet ({})\n", command, issue);
  return exit_code::kInternal;
}

}  // namespace

int Validate(const HostOptions& options) {
  const Paths paths(options.root);
  const auto loaded = config::LoadConfig(paths, config::ConfigFile(paths, options.config));
  if (loaded.ok()) {
    fmt::print("config OK\n");
    return exit_code::kOk;
  }
  for (const auto& error : loaded.errors) fmt::print("{}\n", error.ToString());
  return exit_code::kInvalidConfig;
}

int Run(const RunOptions& options) {
  run::BootstrapOptions bootstrap;
  bootstrap.root = options.host.root;
  bootstrap.config = options.host.config;
  bootstrap.only = {options.only.begin(), options.only.end()};
  bootstrap.skip = {options.skip.begin(), options.skip.end()};
  bootstrap.repair = options.repair;
  bootstrap.rerun_scripts = options.rerun_scripts;
  bootstrap.dry_run = options.dry_run;
  return run::Bootstrap(bootstrap);
}
int Plan(const HostOptions&, const std::string&) { return NotImplemented("plan", "storage, issue #5"); }
int Status(const HostOptions& options, const std::string& output) {
  return run::PrintStatus(options.root, output == "json");
}
int ReportFlush(const HostOptions&) { return NotImplemented("report", "reporting, issue #7"); }
int Logs(const HostOptions&, int) { return NotImplemented("logs", "reporting, issue #7"); }
int Explain(const std::string&) { return NotImplemented("explain", "the error catalog, issue #7"); }

int Version() {
  fmt::print("nodeboot {}\n", NODEBOOT_VERSION);
  return exit_code::kOk;
}

}  // namespace nodeboot::cli
