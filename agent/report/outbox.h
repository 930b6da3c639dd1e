// The outbox (SPEC §7): reports not yet delivered, in /var/lib/nodeboot/outbox/ (dir 0700), one
// file per run, `<runId>.json` (0600, written atomically). A report is put there before the
// first attempt to send it, so a crash or a reboot mid-delivery loses nothing; it is removed
// once delivered. A report the task service refused for good (a 4xx other than 429) is set
// aside as `<runId>.rejected.json` with `<runId>.rejected.txt` saying why: kept for the
// operator, never retried.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/result.h"

namespace nodeboot::report {

struct OutboxItem {
  std::string run_id;
  std::filesystem::path file;
  std::string body;
};

class Outbox {
 public:
  // `dir` is the outbox directory on this machine (the root already prefixed).
  explicit Outbox(std::filesystem::path dir) : dir_(std::move(dir)) {}

  // Writes (or overwrites) the report of `run_id`. A run id is a UUID; anything that could
  // name another file (a '/', "..") is refused.
  Status Put(std::string_view run_id, std::string_view body) const;

  // The waiting reports, oldest first (by modification time, then name). A missing
  // directory is an empty outbox.
  Result<std::vector<OutboxItem>> Pending() const;

  // Removes a delivered report; one already gone is not an error (another flush sent it).
  Status Remove(std::string_view run_id) const;

  // Sets a refused report aside with `reason`; it is no longer Pending().
  Status Reject(std::string_view run_id, std::string_view reason) const;

  // The run ids of the reports set aside.
  std::vector<std::string> Rejected() const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace nodeboot::report
