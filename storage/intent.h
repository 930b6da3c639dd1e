// The intent record (issue 14 point 3): before each changing step nodeboot writes, fsync'd,
// what it is about to do and on which objects, and removes the record when the step is done.
// A run killed inside a command (vgcreate, lvcreate, mkfs, the copy) leaves the record behind,
// and the next run may finish or redo that step - but only on the objects the record names and
// identifies: disks nodeboot had proven blank (device, serial and size must still agree), an
// LV nodeboot had just created (its lvm uuid must still agree). Nothing else is ever taken to
// be nodeboot's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/paths.h"
#include "agent/base/result.h"

namespace nodeboot::storage {

enum class IntentKind {
  kCreateVg,        // vgcreate: the disks become PVs
  kExtendVg,        // vgextend: the new disks become PVs
  kCreateLv,        // lvcreate: the LV's contents are not yet nodeboot's filesystem
  kMakeFilesystem,  // mkfs, then the copy of what was in the mount target
};

std::string_view Name(IntentKind kind);

struct IntentDisk {
  std::string device;  // "/dev/vdb"
  std::string serial;
  uint64_t size_bytes = 0;
};

struct Intent {
  IntentKind kind = IntentKind::kCreateVg;
  std::string vg;
  std::string lv;                 // kCreateLv, kMakeFilesystem
  std::string lv_uuid;            // kMakeFilesystem: lvm's uuid of the LV
  std::vector<IntentDisk> disks;  // kCreateVg, kExtendVg
};

std::string FormatIntent(const Intent& intent);
Result<Intent> ParseIntent(std::string_view json);

// The record file (Paths::kStorageIntentFile): read, written atomically (fsync'd), removed.
class IntentLog {
 public:
  explicit IntentLog(const Paths& paths) : paths_(paths) {}
  // The record a killed run left; nullopt when there is none. An unreadable or malformed record
  // is logged and ignored: without it nothing is redone, which is the safe side.
  std::optional<Intent> Read() const;
  Status Record(const Intent& intent);
  Status Clear();

 private:
  const Paths& paths_;
};

}  // namespace nodeboot::storage
