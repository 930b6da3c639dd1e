#include "agent/report/outbox.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "agent/base/atomic_file.h"
#include "agent/base/logging.h"

namespace nodeboot::report {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPendingSuffix = ".json";
constexpr std::string_view kRejectedSuffix = ".rejected.json";
constexpr std::string_view kReasonSuffix = ".rejected.txt";
constexpr std::string_view kUnsafeSuffix = ".unsafe";
constexpr std::string_view kExpiredSuffix = ".expired.json";
constexpr fs::perms kFileMode = fs::perms(0600);
constexpr size_t kMaxReportBytes = 16 << 20;

// A waiting report, read only when it is what nodeboot writes there: a regular file (opened
// without following a link: `<uuid>.json -> /etc/shadow` would be sent with the node's token),
// owned by nodeboot's own user (root), of a sane size.
Result<std::string> ReadReport(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return Error::Internal(fmt::format("{}: {}", path.string(), err == ELOOP ? "a symbolic link" : std::strerror(err)));
  }
  struct stat st;
  std::string why;
  if (::fstat(fd, &st) != 0)
    why = std::strerror(errno);
  else if (!S_ISREG(st.st_mode))
    why = "not a regular file";
  else if (st.st_uid != ::geteuid())
    why = fmt::format("owned by uid {}, not {}", st.st_uid, ::geteuid());
  else if (static_cast<size_t>(st.st_size) > kMaxReportBytes)
    why = fmt::format("{} bytes, over the {} byte limit", st.st_size, kMaxReportBytes);
  std::string body;
  if (why.empty()) {
    body.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < body.size()) {
      const ssize_t n = ::read(fd, body.data() + got, body.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    body.resize(got);
  }
  ::close(fd);
  if (!why.empty()) return Error::Internal(fmt::format("{}: {}", path.string(), why));
  return body;
}
constexpr fs::perms kDirMode = fs::perms(0700);

Status CheckRunId(std::string_view run_id) {
  const bool ok = !run_id.empty() && run_id.size() <= 128 && std::all_of(run_id.begin(), run_id.end(), [](char c) {
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
    if (!name.ends_with(kPendingSuffix) || name.ends_with(kRejectedSuffix) || name.ends_with(kExpiredSuffix)) continue;
    const std::string run_id = name.substr(0, name.size() - kPendingSuffix.size());
    if (!CheckRunId(run_id)) continue;  // a temp file, or not ours
    auto body = ReadReport(it->path());
    if (!body) {
      // One bad file must not block every later report: it goes aside, the rest go on.
      const auto aside = fs::path(it->path()).concat(kUnsafeSuffix);
      std::error_code rename_error;
      fs::rename(it->path(), aside, rename_error);
      log::Error("outbox: {}; set aside as {}{}", body.error().message, aside.filename().string(),
                 rename_error ? fmt::format(" failed: {}", rename_error.message()) : "");
      continue;
    }
    const auto modified = it->last_write_time(ec);
    if (!ec && fs::file_time_type::clock::now() - modified > kMaxPendingAge) {
      const auto aside = dir_ / fmt::format("{}{}", run_id, kExpiredSuffix);
      std::error_code rename_error;
      fs::rename(it->path(), aside, rename_error);
      log::Warn("outbox: report {} waited over {} days undelivered; set aside as {}{}", run_id,
                kMaxPendingAge.count() / 24, aside.filename().string(),
                rename_error ? fmt::format(" failed: {}", rename_error.message()) : "");
      continue;
    }
    found.push_back({modified, {run_id, it->path(), std::move(*body)}});
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
  NB_TRY(WriteFileAtomically(dir_ / fmt::format("{}{}", id, kReasonSuffix), fmt::format("{}\n", reason), kFileMode,
                             kDirMode));
  const auto from = dir_ / fmt::format("{}{}", id, kPendingSuffix);
  const auto to = dir_ / fmt::format("{}{}", id, kRejectedSuffix);
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return Error::Internal(fmt::format("outbox: rename {} to {}: {}", from.string(), to.string(), ec.message()));
  return Ok();
}

Outbox::AsideCounts Outbox::Aside() const {
  AsideCounts counts;
  std::error_code ec;
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.ends_with(kRejectedSuffix))
      ++counts.rejected;
    else if (name.ends_with(kExpiredSuffix))
      ++counts.expired;
    else if (name.ends_with(kUnsafeSuffix))
      ++counts.unsafe;
  }
  return counts;
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
