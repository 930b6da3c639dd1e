// The commands of SPEC §1, one function each, taking their parsed options (and, for those with
// side effects, the host main built) and returning the process exit code. main.cc only wires
// CLI11 to these.
#pragma once

#include <string>
#include <vector>

#include "agent/run/host.h"

namespace nodeboot::cli {

// Options every command that touches the host shares.
struct HostOptions {
  std::string root = "/";
  std::string config;  // empty: /etc/nodeboot/config.yaml under the root
};

struct RunOptions {
  HostOptions host;
  std::vector<std::string> only;
  std::vector<std::string> skip;
  bool repair = false;
  bool rerun_scripts = false;
  bool dry_run = false;
};

// `output` is "text" (the default: human text) or "json" (one JSON document on stdout, camelCase
// keys like the report's). The exit codes do not depend on it.
int Validate(const HostOptions& options, const std::string& output = "text");
int Run(const RunOptions& options, run::Host& host);
int Plan(const HostOptions& options, const std::string& output, run::Host& host);
int Status(const HostOptions& options, const std::string& output, bool wait = false);
// `report --flush`: exit 0 when no report waits in the outbox afterwards (refused ones are set
// aside, listed, and do not count); 1 when some still wait or the outbox could not be read or
// written; 2 when reports wait but the config is invalid or has no task.url; 3 when a run holds
// the lock.
int ReportFlush(const HostOptions& options, const std::string& output, run::Host& host);
int Logs(const HostOptions& options, int lines, const std::string& output, run::Host& host);
// `clean`: seal a golden image (agent/run/seal.h). Exit 0 when every per-node file is gone, 1
// when one was left alone or could not be removed, 2 when the node joined and not `force`, 3
// when a run holds the lock.
int Clean(const HostOptions& options, bool force, bool dry_run, const std::string& output = "text");
// `collect`: a redacted support bundle (agent/run/support_bundle.h); prints its path. Exit 0,
// or 1 when it could not be written.
int Collect(const HostOptions& options, const std::string& output_file, run::Host& host);
int Explain(const std::string& code_or_text, const std::string& output = "text");
int Version(const std::string& output = "text");

}  // namespace nodeboot::cli
