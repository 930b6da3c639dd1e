// `nodeboot collect`: a redacted support bundle, one .tar.gz an operator can attach to a ticket.
// It holds the nodeboot log, state.json, `status --output json`, `logs --output json` (the
// excerpt), `plan --output json` when the config loads and lvm answers within a minute,
// `systemctl status` of the units (only with root /), the config with every secret replaced by
// "***", and a MANIFEST saying what is in it and what was skipped and why.
//
// Every member passes through the ThoroughRedactor of the config's secrets (the task and
// bootstrap tokens, the install scripts, URL credentials; and their base64 forms) before it is
// staged. A config that does not load has unknown secrets: it is left out (the other members
// were redacted when nodeboot wrote them). Members are staged in a private 0700 directory under
// /run/nodeboot, packed with `tar -czf` through the CommandRunner into a 0600 temporary file
// beside the bundle, which is then renamed into place (atomic); the staging is removed.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/command_runner.h"
#include "agent/base/paths.h"
#include "agent/base/result.h"

namespace nodeboot::run {

// "support-worker-1-20261205T043000Z.tar.gz": no ':' (tar would read host:file as remote); a
// host name character outside [A-Za-z0-9._-] becomes '_'.
std::string BundleFileName(std::string_view hostname, std::chrono::system_clock::time_point now);

// What of a config file may be shown: `secrets` (and their base64 forms) masked, the exact
// base64 form of each script too, and every run of 80 or more base64 characters (an encoded
// script or key the loader did not name) replaced by "***".
std::string RedactConfigText(std::string_view text, const std::vector<std::string>& secrets,
                             const std::vector<std::string>& scripts);

struct BundleMember {
  std::string name;     // file name in the bundle
  std::string source;   // where it came from, for the MANIFEST
  std::string content;  // already redacted
};
struct SkippedMember {
  std::string name;
  std::string why;
};

// The MANIFEST's text. Pure.
std::string ManifestText(const std::vector<BundleMember>& members, const std::vector<SkippedMember>& skipped,
                         std::string_view hostname, std::chrono::system_clock::time_point now, std::string_view root);

struct SupportBundleOptions {
  std::string output_file;  // empty: /var/lib/nodeboot/<BundleFileName> under the root
  std::string self_binary;  // this nodeboot, run for status, logs and plan
  std::string hostname;     // for the file name and the MANIFEST
  std::chrono::system_clock::time_point now{};
};

struct SupportBundle {
  std::filesystem::path path;
  size_t members = 0;  // with the MANIFEST
  std::vector<SkippedMember> skipped;
};

// Writes the bundle. `runner` runs nodeboot itself, systemctl and tar.
Result<SupportBundle> WriteSupportBundle(const Paths& paths, const SupportBundleOptions& options,
                                         CommandRunner& runner);

}  // namespace nodeboot::run
