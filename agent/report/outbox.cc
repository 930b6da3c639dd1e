#include "agent/report/outbox.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "agent/base/atomic_file.h"

namespace nodeboot::report {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPendingSuffix = ".json";
constexpr std::string_view kRejectedSuffix = ".rejected.json";
constexpr std::string_view kReasonSuffix = ".rejected.txt";
constexpr fs::perms kFileMode = fs::perms(0600);
constexpr fs::perms kDirMode = fs::perms(0700);

Status CheckRunId(std::string_view run_id) {
  const bool ok = !run_id.empty() && run_id.size() <= 128 &&
                  std::all_of(run_id.begin(), run_id.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
                  });
  if (ok) return Ok();
  return Error::Internal(fmt::format("outbox: run id \"{}\" is not a plain identifier", run_id));
}

}  // namespace

Status Outbox::Put(std::string_view run_id, std::string_view body) const {
  NB_TRY(CheckRunId(run_id));
  NB_TRY(CreateDirectories(dir_, kDirMode));
  // CreateDirectories leaves an existing directory's mode alone; the outbox holds task
  // results that may quote a node's logs, so it is private whatever created it.
  std::error_code ec;
  fs::permissions(dir_, kDirMode, ec);
  const auto file = dir_ / (std::string(run_id) + std::string(kPendingSuffix));
  return WriteFileAtomically(file, body, kFileMode, kDirMode);
}

Result<std::vector<OutboxItem>> Outbox::Pending() const {
  std::error_code ec;
  if (!fs::exists(dir_, ec)) return std::vector<OutboxItem>();
  struct Found {
    fs::file_time_type modified;
    OutboxItem item;
  };
  std::vector<Found> found;
  fs::directory_iterator it(dir_, ec);
  if (ec) return Error::Internal(fmt::format("outbox {}: {}", dir_.string(), ec.message()));
  for (fs::directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return Error::Internal(fmt::format("outbox {}: {}", dir_.string(), ec.message()));
    const std::string name = it->path().filename().string();
    if (!name.ends_with(kPendingSuffix) || name.ends_with(kRejectedSuffix)) continue;
    const std::string run_id = name.substr(0, name.size() - kPendingSuffix.size());
    if (!CheckRunId(run_id) || !it->is_regular_file(ec)) continue;  // a temp file, or not ours
    auto body = ReadFile(it->path(), 16 << 20);
    if (!body) return body.error();
    found.push_back({it->last_write_time(ec), {run_id, it->path(), std::move(*body)}});
  }
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.modified != b.modified ? a.modified < b.modified : a.item.run_id < b.item.run_id;
  });
  std::vector<OutboxItem> items;
  for (auto& f : found) items.push_back(std::move(f.item));
  return items;
}

Status Outbox::Remove(std::string_view run_id) const {
  NB_TRY(CheckRunId(run_id));
  const auto file = dir_ / (std::string(run_id) + std::string(kPendingSuffix));
  std::error_code ec;
  fs::remove(file, ec);
  if (ec) return Error::Internal(fmt::format("outbox: remove {}: {}", file.string(), ec.message()));
  return Ok();
}

Status Outbox::Reject(std::string_view run_id, std::string_view reason) const {
  NB_TRY(CheckRunId(run_id));
  const std::string id(run_id);
  // The reason first: a crash between the two steps leaves a pending report (retried once
  // more), never a rejected one without its reason.
  // fmt::format, not std::string's operator+: g++ 12 at -O3 reports a false -Wrestrict there.
  NB_TRY(WriteFileAtomically(dir_ / fmt::format("{}{}", id, kReasonSuffix),
                             fmt::format("{}\n", reason), kFileMode, kDirMode));
  const auto from = dir_ / fmt::format("{}{}", id, kPendingSuffix);
  const auto to = dir_ / fmt::format("{}{}", id, kRejectedSuffix);
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec)
    return Error::Internal(
        fmt::format("outbox: rename {} to {}: {}", from.string(), to.string(), ec.message()));
  return Ok();
}

std::vector<std::string> Outbox::Rejected() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.ends_with(kRejectedSuffix)) {
      ids.push_back(name.substr(0, name.size() - kRejectedSuffix.size()));
    }
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace nodeboot::report
