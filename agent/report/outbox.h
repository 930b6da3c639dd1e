// The outbox (SPEC §7): reports not yet delivered, in /var/lib/nodeboot/outbox/ (dir 0700), one
// file per run, `<runId>.json` (0600, written atomically). A report is put there before the
// first attempt to send it, so a crash or a reboot mid-delivery loses nothing; it is removed
// once delivered. A report the task service refused for good (a 4xx other than 429) is set
// aside as `<runId>.rejected.json` with `<runId>.rejected.txt` saying why: kept for the
// operator, never retried.
#pragma once

#include <chrono>
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
  // directory is an empty outbox. A `<runId>.json` that is not a regular file owned by
  // nodeboot's user (a symbolic link, a FIFO, another user's file) or is over 16 MiB is never
  // read: it is renamed to `<runId>.json.unsafe` with a log line, and the rest go on. A report
  // waiting longer than kMaxPendingAge (by its modification time: each run rewrites its own) is
  // set aside as `<runId>.expired.json` with a log line: no task waits for it any more, and it
  // must not start the report timer's flush forever.
  static constexpr std::chrono::hours kMaxPendingAge{24 * 7};
  Result<std::vector<OutboxItem>> Pending() const;

  // Removes a delivered report; one already gone is not an error (another flush sent it).
  Status Remove(std::string_view run_id) const;

  // Sets a refused report aside with `reason`; it is no longer Pending().
  Status Reject(std::string_view run_id, std::string_view reason) const;

  // The run ids of the reports set aside.
  std::vector<std::string> Rejected() const;

  // How many files are set aside, by kind: refused by the service, expired, unsafe.
  struct AsideCounts {
    int rejected = 0;
    int expired = 0;
    int unsafe = 0;
  };
  AsideCounts Aside() const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
};

}  // namespace nodeboot::report
