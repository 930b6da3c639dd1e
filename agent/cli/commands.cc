#include "agent/cli/commands.h"

#include <blkid/blkid.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <spdlog/version.h>
#include <unistd.h>

#include <CLI/Version.hpp>
#include <boost/version.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "agent/base/base64.h"
#include "agent/base/lock.h"
#include "agent/base/logging.h"
#include "agent/base/paths.h"
#include "agent/base/redact.h"
#include "agent/base/result.h"
#include "agent/config/load.h"
#include "agent/report/catalog.h"
#include "agent/report/excerpt.h"
#include "agent/report/flush.h"
#include "agent/run/bootstrap.h"
#include "agent/run/plan_command.h"
#include "agent/run/report_step.h"
#include "agent/run/seal.h"
#include "agent/run/state.h"
#include "agent/run/status.h"
#include "agent/run/support_bundle.h"

namespace nodeboot::cli {

namespace {

using nlohmann::json;

bool Json(const std::string& output) { return output == "json"; }

// One document, indented like `status --output json`; text that is not UTF-8 (a log line) is
// replaced rather than thrown on.
void PrintJson(const json& document) {
  fmt::print("{}\n", document.dump(2, ' ', false, json::error_handler_t::replace));
}

}  // namespace

int Validate(const HostOptions& options, const std::string& output) {
  const Paths paths(options.root);
  const auto loaded = config::LoadConfig(paths, config::ConfigFile(paths, options.config));
  if (Json(output)) {
    // The errors are those of the text form, which never repeat a secret's value.
    json errors = json::array();
    for (const auto& error : loaded.errors) {
      errors.push_back({{"path", error.path},
                        {"message", error.message},
                        {"line", error.line > 0 ? json(error.line) : json(nullptr)}});
    }
    PrintJson({{"valid", loaded.ok()}, {"errors", std::move(errors)}});
    return loaded.ok() ? exit_code::kOk : exit_code::kInvalidConfig;
  }
  if (loaded.ok()) {
    fmt::print("config OK\n");
    return exit_code::kOk;
  }
  for (const auto& error : loaded.errors) fmt::print("{}\n", error.ToString());
  return exit_code::kInvalidConfig;
}

int Run(const RunOptions& options, run::Host& host) {
  run::BootstrapOptions bootstrap;
  bootstrap.root = options.host.root;
  bootstrap.config = options.host.config;
  bootstrap.only = {options.only.begin(), options.only.end()};
  bootstrap.skip = {options.skip.begin(), options.skip.end()};
  bootstrap.repair = options.repair;
  bootstrap.rerun_scripts = options.rerun_scripts;
  bootstrap.dry_run = options.dry_run;
  return run::Bootstrap(bootstrap, host);
}
int Plan(const HostOptions& options, const std::string& output, run::Host& host) {
  return run::PrintPlan(options.root, options.config, output == "json", host);
}
int Status(const HostOptions& options, const std::string& output, bool wait) {
  return run::PrintStatus(options.root, output == "json", wait);
}

int ReportFlush(const HostOptions& options, const std::string& output, run::Host& host) {
  const Paths paths(options.root);
  const report::Outbox outbox(paths.Host(Paths::kOutboxDir));
  // --output json: the counts and the reports set aside, once the outcome is known (not when
  // the outbox cannot be read at all).
  const auto print_json = [&](int delivered, int refused, size_t waiting) {
    json aside = json::array();
    for (const auto& run_id : outbox.Rejected()) {
      aside.push_back({{"runId", run_id}, {"reasonFile", (outbox.dir() / (run_id + ".rejected.txt")).string()}});
    }
    PrintJson({{"delivered", delivered}, {"refused", refused}, {"waiting", waiting}, {"aside", std::move(aside)}});
  };
  for (const auto& run_id : outbox.Rejected()) {
    fmt::print(stderr, "nodeboot report: {} was refused by the task service and is kept aside: {}\n", run_id,
               (outbox.dir() / (run_id + ".rejected.txt")).string());
  }
  auto waiting = outbox.Pending();
  if (!waiting) {
    fmt::print(stderr, "nodeboot report: {}\n", waiting.error().message);
    return exit_code::kInternal;
  }
  if (waiting->empty()) {
    if (Json(output)) {
      print_json(0, 0, 0);
    } else {
      fmt::print("outbox empty: nothing to deliver\n");
    }
    return exit_code::kOk;
  }
  const auto loaded = config::LoadConfig(paths, config::ConfigFile(paths, options.config));
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) {
      fmt::print(stderr, "nodeboot: config: {}\n", error.ToString());
    }
    if (Json(output)) print_json(0, 0, waiting->size());
    return exit_code::kInvalidConfig;
  }
  const config::TaskSection& task = loaded.config.task;
  if (!task.enabled()) {
    fmt::print(stderr, "nodeboot report: {} report(s) wait in {} but the config has no task.url\n", waiting->size(),
               outbox.dir().string());
    if (Json(output)) print_json(0, 0, waiting->size());
    return exit_code::kInvalidConfig;
  }
  // One writer of the outbox and state.json at a time: a run delivers its own reports.
  auto lock = RunLock::Acquire(paths.Host(Paths::kLockFile));
  if (!lock) {
    fmt::print(stderr, "nodeboot report: {}\n", lock.error().message);
    if (Json(output)) print_json(0, 0, waiting->size());
    return lock.error().exit_code;
  }
  log::Init({.to_stderr = true, .file = paths.Host(Paths::kLogFile), .to_system_log = options.root == "/"});
  log::SetSecrets(WithBase64Forms(loaded.config.SecretValues()));
  const auto flushed = report::FlushOutbox(outbox, host.http, report::TargetFromConfig(task, paths),
                                           report::PolicyFromConfig(task), host.delivery_clock);
  for (const auto& problem : flushed.problems) log::Error("report: {}", problem);
  // `status` shows whether the last run's report arrived: tell it when this flush sent it.
  run::RecordFlushedReports(paths, outbox, flushed, task.url, Redactor(loaded.config.SecretValues()));
  if (Json(output)) {
    print_json(flushed.delivered, flushed.rejected, static_cast<size_t>(flushed.pending));
  } else {
    fmt::print("delivered {}, refused {}, still waiting {}\n", flushed.delivered, flushed.rejected, flushed.pending);
  }
  return flushed.pending == 0 && flushed.problems.empty() ? exit_code::kOk : exit_code::kInternal;
}

int Logs(const HostOptions& options, int lines, const std::string& output, run::Host& host) {
  const Paths paths(options.root);
  report::ExcerptLimits limits;
  limits.max_lines = static_cast<size_t>(lines);
  // The failing step's own output comes first, as in a report of the last run.
  std::vector<std::string> step_output;
  if (auto state = run::ReadState(paths); state && *state && (*state)->last_run) {
    const run::RunRecord& last = *(*state)->last_run;
    if (const run::PhaseRecord* failed = last.FailedPhase()) step_output = failed->output;
  }
  report::ExcerptStats stats;
  std::vector<std::string> system = report::SystemLogLines(paths, &host.runner, limits, &stats);
  // Mask what a report would mask: the secrets of the config, when it can be read.
  const auto loaded = config::LoadConfig(paths, config::ConfigFile(paths, ""));
  const ThoroughRedactor redactor(loaded.ok() ? loaded.config.SecretValues() : std::vector<std::string>());
  for (auto& line : step_output) line = redactor.Redact(line);
  for (auto& line : system) line = redactor.Redact(line);
  const auto excerpt = report::ComposeExcerpt(step_output, system, limits);
  if (Json(output)) {
    PrintJson({{"lines", excerpt}});
  } else {
    for (const auto& line : excerpt) fmt::print("{}\n", line);
  }
  if (!stats.problem.empty()) {
    fmt::print(stderr, "nodeboot logs: {} lines; no system log: {}\n", excerpt.size(), stats.problem);
    return excerpt.empty() ? exit_code::kInternal : exit_code::kOk;
  }
  fmt::print(stderr, "nodeboot logs: {} lines; read {} of {} bytes of {}{}\n", excerpt.size(), stats.bytes_read,
             stats.file_bytes, stats.source, stats.scan_limit_reached ? " (scan limit reached)" : "");
  return exit_code::kOk;
}

int Clean(const HostOptions& options, bool force, bool dry_run, const std::string& output) {
  const Paths paths(options.root);
  const auto sealed = run::Seal(paths, {.force = force, .dry_run = dry_run});
  if (!sealed.refusal.empty()) fmt::print(stderr, "nodeboot clean: {}\n", sealed.refusal);
  using Action = run::SealEntry::Action;
  const auto action_name = [dry_run](Action action) -> std::string_view {
    switch (action) {
      case Action::kRemoved:
        return dry_run ? "would remove" : "removed";
      case Action::kLeftAlone:
        return "left alone";
      case Action::kFailed:
        return "failed";
      case Action::kKept:
        return "kept";
    }
    return "?";
  };
  if (Json(output)) {
    json removed = json::array();
    json left = json::array();
    json kept = json::array();
    for (const auto& entry : sealed.entries) {
      json item = {{"path", entry.path}, {"detail", entry.detail}};
      if (entry.action == Action::kRemoved) {
        removed.push_back(std::move(item));
      } else if (entry.action == Action::kKept) {
        kept.push_back(std::move(item));
      } else {
        item["failed"] = entry.action == Action::kFailed;
        left.push_back(std::move(item));
      }
    }
    PrintJson({{"dryRun", dry_run},
               {"refused", sealed.refusal.empty() ? json(nullptr) : json(sealed.refusal)},
               {"removed", std::move(removed)},
               {"leftAlone", std::move(left)},
               {"kept", std::move(kept)}});
    return sealed.exit_code;
  }
  if (!sealed.refusal.empty()) return sealed.exit_code;
  bool any_removed = false;
  for (const auto& entry : sealed.entries) {
    any_removed = any_removed || entry.action == Action::kRemoved;
    fmt::print("{} {} ({})\n", action_name(entry.action), entry.path, entry.detail);
  }
  if (!any_removed) fmt::print("nothing to remove: no per-node nodeboot file is left\n");
  if (sealed.exit_code != exit_code::kOk) {
    fmt::print(stderr, "nodeboot clean: not sealed: some paths were left alone or could not be removed (above)\n");
  }
  return sealed.exit_code;
}

int Collect(const HostOptions& options, const std::string& output_file, run::Host& host) {
  const Paths paths(options.root);
  run::SupportBundleOptions bundle;
  bundle.output_file = output_file;
  std::error_code ec;
  bundle.self_binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) bundle.self_binary = "nodeboot";
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof hostname - 1) == 0) bundle.hostname = hostname;
  bundle.now = std::chrono::system_clock::now();
  const auto written = run::WriteSupportBundle(paths, bundle, host.runner);
  if (!written) {
    fmt::print(stderr, "nodeboot collect: {}\n", written.error().message);
    return exit_code::kInternal;
  }
  for (const auto& skipped : written->skipped) {
    fmt::print(stderr, "nodeboot collect: skipped {}: {}\n", skipped.name, skipped.why);
  }
  fmt::print(stderr, "nodeboot collect: {} files in the bundle, {} skipped (its MANIFEST says why)\n", written->members,
             written->skipped.size());
  fmt::print("{}\n", written->path.string());
  return exit_code::kOk;
}

namespace {

// `explain --output json`: the entry with the same keys whether it was named by its code or
// matched a pasted line (then also the pattern that matched and where the entry comes from).
json EntryJson(const report::CatalogEntry& entry) {
  return {{"matched", true},      {"code", entry.code},
          {"title", entry.title}, {"exitCode", entry.exit_code ? json(*entry.exit_code) : json(nullptr)},
          {"cause", entry.cause}, {"solution", entry.solution}};
}

}  // namespace

// Exit 0 with cause and solution; 1 when the catalog knows neither the code nor the text.
int Explain(const std::string& input, const std::string& output) {
  const auto loaded = report::LoadCatalog(Paths("/"));
  for (const auto& warning : loaded.warnings) fmt::print(stderr, "nodeboot explain: {}\n", warning);
  const std::string_view text = TrimWhitespace(input);
  if (text.empty()) {
    fmt::print(stderr, "nodeboot explain: give an error code (NB-STORAGE-UNSAFE-DISK) or a log line\n");
    return exit_code::kInvalidConfig;
  }
  const bool as_json = Json(output);
  if (const auto* entry = loaded.catalog.Find(text)) {
    if (as_json) {
      PrintJson(EntryJson(*entry));
    } else {
      fmt::print("{}", report::Describe(*entry));
    }
    return exit_code::kOk;
  }
  std::string pattern;
  if (const auto* entry = loaded.catalog.Classify(text, &pattern)) {
    if (as_json) {
      json document = EntryJson(*entry);
      document["pattern"] = pattern;
      document["origin"] = entry->origin;
      PrintJson(document);
    } else {
      fmt::print("{}Matched: the pattern '{}' of {}\n", report::Describe(*entry), pattern, entry->origin);
    }
    return exit_code::kOk;
  }
  // A pasted nodeboot line quotes its code: "phase storage failed: NB-STORAGE-UNSAFE-DISK ...".
  for (size_t at = text.find("NB-"); at != std::string_view::npos; at = text.find("NB-", at + 1)) {
    size_t end = at;
    while (end < text.size() && (std::isupper(static_cast<unsigned char>(text[end])) || text[end] == '-')) {
      ++end;
    }
    if (const auto* entry = loaded.catalog.Find(text.substr(at, end - at))) {
      if (as_json) {
        PrintJson(EntryJson(*entry));
      } else {
        fmt::print("{}", report::Describe(*entry));
      }
      return exit_code::kOk;
    }
  }
  fmt::print(stderr,
             "nodeboot explain: \"{}\" is neither a known error code nor a line the error "
             "catalog recognises ({} entries; add your own in /etc/nodeboot/errors.d/)\n",
             text, loaded.catalog.entries().size());
  if (as_json) PrintJson({{"matched", false}});
  return exit_code::kInternal;
}

namespace {

// The libcurl nodeboot would send its HTTP with: the library is loaded with dlopen where HTTP
// is sent (agent/base/http_client_curl.cc), so this asks the same libcurl.so.4 for its version.
std::string LoadedCurlVersion() {
  void* library = dlopen("libcurl.so.4", RTLD_LAZY | RTLD_LOCAL);
  if (library == nullptr) return "not loaded";
  using VersionInfo = decltype(&curl_version_info);
  const auto version_info = reinterpret_cast<VersionInfo>(dlsym(library, "curl_version_info"));
  const curl_version_info_data* data = version_info ? version_info(CURLVERSION_NOW) : nullptr;
  // The library stays loaded until exit, as where HTTP is sent (unloading curl is not safe).
  return data != nullptr && data->version != nullptr ? std::string(data->version) : "not loaded";
}

std::string BlkidVersion() {
  const char* version = nullptr;
  blkid_get_library_version(&version, nullptr);
  return version != nullptr ? version : "unknown";
}

}  // namespace

int Version(const std::string& output) {
  // Ordered as printed; the JSON object is keyed by library name.
  const std::vector<std::pair<std::string, std::string>> libraries = {
      {"yaml-cpp", NODEBOOT_YAML_CPP_VERSION},
      {"spdlog", fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH)},
      {"fmt", fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
      {"nlohmann-json",
       fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)},
      {"CLI11", CLI11_VERSION},
      {"boost", fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100)},
      {"libcurl", LoadedCurlVersion()},
      {"libblkid", BlkidVersion()},
  };
  if (Json(output)) {
    json versions = json::object();
    for (const auto& [name, version] : libraries) versions[name] = version;
    PrintJson({{"version", NODEBOOT_VERSION},
               {"gitDescription", NODEBOOT_GIT_DESCRIPTION},
               {"libraries", std::move(versions)}});
    return exit_code::kOk;
  }
  fmt::print("nodeboot {}\ngit: {}\n", NODEBOOT_VERSION, NODEBOOT_GIT_DESCRIPTION);
  for (const auto& [name, version] : libraries) fmt::print("{}: {}\n", name, version);
  return exit_code::kOk;
}

}  // namespace nodeboot::cli
