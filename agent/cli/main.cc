// nodeboot: the node bootstrap agent. This file maps the command line (SPEC §1) onto the
// command functions, builds the real host they act on (once), and holds the last safety net
// for anything a library threw.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>

#include "agent/base/result.h"
#include "agent/cli/commands.h"
#include "agent/cli/real_host.h"
#include "agent/run/phases.h"

namespace {

using nodeboot::cli::HostOptions;

void AddRoot(CLI::App* command, HostOptions& host) {
  command->add_option("--root", host.root, "Directory prefixed to every host file nodeboot reads or writes")
      ->capture_default_str();
}

void AddOutput(CLI::App* command, std::string& output) {
  command->add_option("--output", output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
}

void AddConfig(CLI::App* command, HostOptions& host) {
  command->add_option("--config", host.config, "Config file (default /etc/nodeboot/config.yaml under --root)");
}

int Main(int argc, char** argv) {
  CLI::App app{"nodeboot: bootstraps a Kubernetes node (scripts, LVM storage, join) and reports the result"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("nodeboot ") + NODEBOOT_VERSION);

  const std::vector<std::string> phases = nodeboot::run::StandardPhaseNames();
  std::string phase_list;
  for (const auto& name : phases) phase_list += name + ", ";
  nodeboot::cli::RunOptions run;
  auto* run_cmd = app.add_subcommand("run", "Bootstrap this node: " + phase_list + "report");
  AddConfig(run_cmd, run.host);
  AddRoot(run_cmd, run.host);
  run_cmd->add_option("--only", run.only, "Run only these phases")->delimiter(',')->check(CLI::IsMember(phases));
  run_cmd->add_option("--skip", run.skip, "Skip these phases")->delimiter(',')->check(CLI::IsMember(phases));
  // A phase both to run alone and to skip is a contradiction, not a run of nothing (exit 2).
  run_cmd->callback([&run] {
    for (const auto& phase : run.skip) {
      if (std::find(run.only.begin(), run.only.end(), phase) != run.only.end())
        throw CLI::ValidationError("--skip", phase + " is also in --only: a phase cannot be both run and skipped");
    }
  });
  run_cmd->add_flag("--repair", run.repair, "Re-check every phase's real state and redo what is missing or drifted");
  run_cmd->add_flag("--rerun-scripts", run.rerun_scripts,
                    "Run the pre/post install scripts again even if they succeeded");
  run_cmd->add_flag("--dry-run", run.dry_run, "Print every command and file write the run would make; change nothing");

  HostOptions validate;
  auto* validate_cmd = app.add_subcommand("validate", "Check the config; print `config OK` or every error");
  AddConfig(validate_cmd, validate);
  std::string validate_output = "text";
  AddOutput(validate_cmd, validate_output);

  HostOptions plan;
  std::string plan_output = "text";
  auto* plan_cmd = app.add_subcommand("plan", "Discover disks and LVM state; print what storage would do");
  AddConfig(plan_cmd, plan);
  AddRoot(plan_cmd, plan);
  AddOutput(plan_cmd, plan_output);

  HostOptions status;
  std::string status_output = "text";
  auto* status_cmd = app.add_subcommand("status", "Show the last run: phases, durations, result, report delivery");
  AddRoot(status_cmd, status);
  AddOutput(status_cmd, status_output);
  bool status_wait = false;
  status_cmd->add_flag("--wait", status_wait,
                       "Block until no run is in progress, then print the status; exit with the run's exit code");

  HostOptions report;
  bool flush = false;
  auto* report_cmd = app.add_subcommand("report", "Deliver the reports waiting in the outbox");
  AddRoot(report_cmd, report);
  AddConfig(report_cmd, report);
  report_cmd->add_flag("--flush", flush, "Deliver every report waiting in the outbox")->required();
  std::string report_output = "text";
  AddOutput(report_cmd, report_output);

  HostOptions logs;
  int lines = 200;
  auto* logs_cmd = app.add_subcommand("logs", "Print the log excerpt a failure report would carry now");
  AddRoot(logs_cmd, logs);
  logs_cmd->add_option("--lines", lines, "At most this many lines")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  std::string logs_output = "text";
  AddOutput(logs_cmd, logs_output);

  HostOptions clean;
  bool clean_force = false;
  bool clean_dry_run = false;
  auto* clean_cmd = app.add_subcommand(
      "clean", "Seal a golden image: remove this node's nodeboot state, outbox, logs, config and join files");
  AddRoot(clean_cmd, clean);
  clean_cmd->add_flag("--force", clean_force,
                      "Clean a node that joined a cluster too (the kubelet's kubelet.conf and pki are still kept)");
  clean_cmd->add_flag("--dry-run", clean_dry_run, "List what would be removed; change nothing");
  std::string clean_output = "text";
  AddOutput(clean_cmd, clean_output);

  HostOptions collect;
  std::string collect_file;
  auto* collect_cmd = app.add_subcommand("collect", "Write a redacted support bundle (.tar.gz) and print its path");
  AddRoot(collect_cmd, collect);
  collect_cmd->add_option("--output-file", collect_file,
                          "The bundle (default /var/lib/nodeboot/support-<host>-<UTC time>.tar.gz under --root)");

  std::string explain_input;
  auto* explain_cmd = app.add_subcommand("explain", "Print cause and solution for an error code or a log line");
  explain_cmd->add_option("input", explain_input, "An error code (NB-STORAGE-UNSAFE-DISK) or a pasted log line")
      ->required();
  std::string explain_output = "text";
  AddOutput(explain_cmd, explain_output);

  auto* version_cmd =
      app.add_subcommand("version", "Print the version, the git description and the versions of the libraries");
  std::string version_output = "text";
  AddOutput(version_cmd, version_output);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are successes; anything else is a usage error (exit 2).
    const int code = app.exit(e);
    return code == 0 ? 0 : nodeboot::exit_code::kInvalidConfig;
  }

  // A relative --root is made absolute once, here: scripts run from `/` and commands from
  // elsewhere, so a path relative to our working directory would name other files for them.
  for (HostOptions* host : {&run.host, &plan, &status, &report, &logs, &clean, &collect}) {
    std::error_code ec;
    if (auto absolute = std::filesystem::absolute(host->root, ec); !ec)
      host->root = absolute.lexically_normal().string();
  }
  if (!collect_file.empty()) {
    std::error_code ec;
    if (auto absolute = std::filesystem::absolute(collect_file, ec); !ec)
      collect_file = absolute.lexically_normal().string();
  }

  // The real side effects, built once; what they load (libcurl, libsystemd) is loaded on first
  // use. Only `run` turns stop signals into values.
  nodeboot::cli::RealHost real(/*stoppable=*/static_cast<bool>(*run_cmd));
  nodeboot::run::Host& host = real.host();
  if (*run_cmd) return nodeboot::cli::Run(run, host);
  if (*validate_cmd) return nodeboot::cli::Validate(validate, validate_output);
  if (*plan_cmd) return nodeboot::cli::Plan(plan, plan_output, host);
  if (*status_cmd) return nodeboot::cli::Status(status, status_output, status_wait);
  if (*report_cmd) return nodeboot::cli::ReportFlush(report, report_output, host);
  if (*logs_cmd) return nodeboot::cli::Logs(logs, lines, logs_output, host);
  if (*clean_cmd) return nodeboot::cli::Clean(clean, clean_force, clean_dry_run, clean_output);
  if (*collect_cmd) return nodeboot::cli::Collect(collect, collect_file, host);
  if (*explain_cmd) return nodeboot::cli::Explain(explain_input, explain_output);
  if (*version_cmd) return nodeboot::cli::Version(version_output);
  return nodeboot::exit_code::kInvalidConfig;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nodeboot: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "nodeboot: internal error: unknown exception\n");
  }
  return nodeboot::exit_code::kInternal;
}
