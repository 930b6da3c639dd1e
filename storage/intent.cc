#include "storage/intent.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/base/atomic_file.h"
#include "agent/base/logging.h"

namespace nodeboot::storage {
namespace {

using nlohmann::json;

constexpr IntentKind kKinds[] = {IntentKind::kCreateVg, IntentKind::kExtendVg, IntentKind::kCreateLv,
                                 IntentKind::kMakeFilesystem};

}  // namespace

std::string_view Name(IntentKind kind) {
  switch (kind) {
    case IntentKind::kCreateVg:
      return "vgcreate";
    case IntentKind::kExtendVg:
      return "vgextend";
    case IntentKind::kCreateLv:
      return "lvcreate";
    case IntentKind::kMakeFilesystem:
      return "mkfs";
  }
  return "?";
}

std::string FormatIntent(const Intent& intent) {
  json disks = json::array();
  for (const auto& disk : intent.disks) {
    disks.push_back({{"device", disk.device}, {"serial", disk.serial}, {"sizeBytes", disk.size_bytes}});
  }
  return json{{"step", Name(intent.kind)},
              {"vg", intent.vg},
              {"lv", intent.lv},
              {"lvUuid", intent.lv_uuid},
              {"disks", std::move(disks)}}
      .dump(/*indent=*/-1, ' ', /*ensure_ascii=*/true);
}

Result<Intent> ParseIntent(std::string_view text) {
  try {
    const json document = json::parse(text);
    Intent intent;
    const std::string step = document.at("step").get<std::string>();
    bool known = false;
    for (IntentKind kind : kKinds) {
      if (Name(kind) == step) intent.kind = kind, known = true;
    }
    if (!known) return Error::Internal(fmt::format("unknown step \"{}\"", step));
    intent.vg = document.at("vg").get<std::string>();
    intent.lv = document.at("lv").get<std::string>();
    intent.lv_uuid = document.at("lvUuid").get<std::string>();
    for (const auto& disk : document.at("disks")) {
      intent.disks.push_back({disk.at("device").get<std::string>(), disk.at("serial").get<std::string>(),
                              disk.at("sizeBytes").get<uint64_t>()});
    }
    if (intent.vg.empty()) return Error::Internal("no volume group");
    return intent;
  } catch (const std::exception& e) {
    return Error::Internal(e.what());
  }
}

std::optional<Intent> IntentLog::Read() const {
  const auto path = paths_.Host(Paths::kStorageIntentFile);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  auto text = ReadFile(path, 1 << 20);
  if (!text) {
    log::Warn("storage: ignoring the intent record: {}", text.error().message);
    return std::nullopt;
  }
  auto intent = ParseIntent(*text);
  if (!intent) {
    log::Warn("storage: ignoring the intent record {}: {}", path.string(), intent.error().message);
    return std::nullopt;
  }
  return *intent;
}

Status IntentLog::Record(const Intent& intent) {
  auto written = WriteFileAtomically(paths_.Host(Paths::kStorageIntentFile), FormatIntent(intent) + "\n",
                                     std::filesystem::perms(0600), std::filesystem::perms(0700));
  if (!written) {
    return errors::StorageCommandFailed(
        fmt::format("record the intent to {}: {}", Name(intent.kind), written.error().message));
  }
  return Ok();
}

Status IntentLog::Clear() {
  const auto path = paths_.Host(Paths::kStorageIntentFile);
  std::error_code ec;
  if (!std::filesystem::remove(path, ec)) {
    if (!ec) return Ok();  // there was none
    return errors::StorageCommandFailed(fmt::format("remove the intent record: {}", ec.message()));
  }
  // The removal must be on disk before the next step: a record that came back after a crash
  // would let a later run redo a step over data written since.
  const int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool synced = dir >= 0 && ::fsync(dir) == 0;
  if (dir >= 0) ::close(dir);
  if (!synced) {
    return errors::StorageCommandFailed(fmt::format("sync {}: {}", path.parent_path().string(), std::strerror(errno)));
  }
  return Ok();
}

}  // namespace nodeboot::storage
