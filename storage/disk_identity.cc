#include "storage/disk_identity.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>

#include "agent/base/atomic_file.h"

namespace nodeboot::storage {
namespace {

namespace fs = std::filesystem;

constexpr size_t kVpdMax = 4 + 65535;

// Blanks and the NULs some devices pad serial numbers with (a SCSI name string in the wwid is
// NUL-padded to a multiple of 4 bytes, and the kernel shows the padding).
std::string_view Trim(std::string_view text) {
  constexpr std::string_view kPad{" \t\n\r\f\v\0", 7};
  const auto first = text.find_first_not_of(kPad);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(kPad) - first + 1);
}

// The whole attribute, raw ("" when missing or unreadable: sysfs attributes may fail to read).
// A text attribute is at most a page; a VPD page at most 4 + 65535 bytes.
std::string ReadRaw(const fs::path& path, size_t max_bytes = 4096) {
  auto text = ReadFile(path, max_bytes);
  return text ? std::move(*text) : std::string();
}

std::string ReadTrimmed(const fs::path& path) { return std::string(Trim(ReadRaw(path))); }

uint64_t ReadNumber(const fs::path& path) {
  const std::string text = ReadTrimmed(path);
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size() ? value : 0;
}

bool StartsWithDigit(std::string_view text) { return !text.empty() && text[0] >= '0' && text[0] <= '9'; }

std::string Hex(std::string_view bytes) {
  std::string out;
  for (unsigned char byte : bytes) out += fmt::format("{:02x}", byte);
  return out;
}

// The letter the kernel's string_escape_mem uses for a control byte, or 0 for octal.
char EscapeLetter(unsigned char byte) {
  switch (byte) {
    case '\n':
      return 'n';
    case '\r':
      return 'r';
    case '\t':
      return 't';
    case '\v':
      return 'v';
    case '\f':
      return 'f';
    case '\a':
      return 'a';
    case 0x1b:
      return 'e';
    case 0:
      return '0';
    default:
      return 0;
  }
}

// The kernel prints a T10 vendor id with %pE (ESCAPE_ANY_NP): what its ctype calls printable
// (ASCII 0x20-0x7e and Latin-1 0xa0-0xff) as is, other bytes as \n, \t, \0, ... or in octal.
std::string Escaped(std::string_view bytes) {
  std::string out;
  for (unsigned char byte : bytes) {
    if ((byte >= 0x20 && byte < 0x7f) || byte >= 0xa0) {
      out += static_cast<char>(byte);
    } else if (const char letter = EscapeLetter(byte)) {
      out += {'\\', letter};
    } else {
      out += fmt::format("\\{:03o}", byte);
    }
  }
  return out;
}

// The big-endian page length in bytes 2-3, bounded by what was read.
std::string_view PageBody(std::string_view page, unsigned char code) {
  if (page.size() < 4 || static_cast<unsigned char>(page[1]) != code) return {};
  const size_t length =
      (static_cast<size_t>(static_cast<unsigned char>(page[2])) << 8) | static_cast<unsigned char>(page[3]);
  return page.substr(4, length);
}

// designator_prio() of drivers/scsi/scsi_lib.c: 0 for a designator the kernel never uses.
int DesignatorPriority(std::string_view d) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(d[i]); };
  if ((byte(1) & 0x30) != 0 || byte(3) == 0) return 0;  // not about the LUN, or empty
  switch (byte(1) & 0x0f) {
    case 0x8:
      return 9;  // SCSI name string
    case 0x3:    // NAA, by its type nibble
      switch (byte(4) >> 4) {
        case 6:
          return 8;  // registered extended
        case 5:
          return 5;  // registered
        case 4:
          return 4;  // extended
        case 3:
          return 1;  // locally assigned
        default:
          return 0;
      }
    case 0x2:  // EUI-64 based, by length
      switch (byte(3)) {
        case 16:
          return 7;
        case 12:
          return 6;
        case 8:
          return 3;
        default:
          return 0;
      }
    case 0x1:
      return 1;  // T10 vendor id
    default:
      return 0;
  }
}

}  // namespace

DiskBus BusOfDiskName(std::string_view name) {
  // The whole-disk patterns of 60-persistent-storage.rules: vd*[!0-9] / sd*[!0-9] and
  // nvme*[0-9]n*[0-9] (partitions never reach here: they are not in /sys/block).
  if (name.starts_with("vd")) return DiskBus::kVirtio;
  if (name.starts_with("sd")) return DiskBus::kScsi;
  if (name.starts_with("nvme") && StartsWithDigit(name.substr(4))) return DiskBus::kNvme;
  return DiskBus::kOther;
}

std::string_view BusName(DiskBus bus) {
  switch (bus) {
    case DiskBus::kVirtio:
      return "virtio";
    case DiskBus::kScsi:
      return "scsi";
    case DiskBus::kNvme:
      return "nvme";
    case DiskBus::kOther:
      break;
  }
  return "other";
}

void ReadDiskIdentity(const fs::path& dir, Disk& disk) {
  disk.bus = BusOfDiskName(dir.filename().native());
  switch (disk.bus) {
    case DiskBus::kVirtio:
      disk.serial = ReadTrimmed(dir / "serial");
      disk.wwid.clear();
      break;
    case DiskBus::kScsi:
      // device/serial is the kernel's own reading of page 0x80, on kernels that have it.
      disk.serial = ReadTrimmed(dir / "device/serial");
      if (disk.serial.empty()) disk.serial = SerialFromVpdPage80(ReadRaw(dir / "device/vpd_pg80", kVpdMax));
      disk.wwid = ReadTrimmed(dir / "device/wwid");
      if (disk.wwid.empty()) disk.wwid = WwidFromVpdPage83(ReadRaw(dir / "device/vpd_pg83", kVpdMax));
      break;
    case DiskBus::kNvme:
      // `device` is the controller (or, for a multipath head node, the subsystem): both carry
      // the serial number; the namespace's own identifier is the disk's wwid.
      disk.serial = ReadTrimmed(dir / "device/serial");
      disk.wwid = ReadTrimmed(dir / "wwid");
      break;
    case DiskBus::kOther:
      disk.serial = ReadTrimmed(dir / "serial");
      if (disk.serial.empty()) disk.serial = ReadTrimmed(dir / "device/serial");
      disk.wwid = ReadTrimmed(dir / "device/wwid");
      break;
  }
}

void ReadIoTopology(const fs::path& dir, Disk& disk) {
  disk.optimal_io_bytes = ReadNumber(dir / "queue/optimal_io_size");
  disk.minimum_io_bytes = ReadNumber(dir / "queue/minimum_io_size");
  disk.alignment_offset_bytes = ReadNumber(dir / "alignment_offset");
}

bool IsHiddenDisk(const fs::path& dir) { return ReadTrimmed(dir / "hidden") == "1"; }

std::string SerialFromVpdPage80(std::string_view page) { return std::string(Trim(PageBody(page, 0x80))); }

std::string WwidFromVpdPage83(std::string_view page) {
  const std::string_view body = PageBody(page, 0x83);
  // The same walk as scsi_vpd_lun_id: a designator replaces the current pick when its priority
  // is at least as high (so later ones win ties).
  int best_priority = 0;
  size_t best_size = 0;
  std::string wwid;
  for (size_t at = 0; at + 4 <= body.size();) {
    const size_t size = static_cast<unsigned char>(body[at + 3]);
    if (at + 4 + size > body.size()) break;  // truncated: the kernel would read past the page
    const std::string_view d = body.substr(at, 4 + size);
    const std::string_view id = d.substr(4);
    at += 4 + size;
    const int priority = DesignatorPriority(d);
    if (priority == 0 || best_priority > priority) continue;
    // Only the two variable-length kinds keep an earlier, longer pick; the fixed-length ones
    // take the rank even in a length the kernel does not print (and then print nothing new).
    const unsigned type = static_cast<unsigned char>(d[1]) & 0x0f;
    if ((type == 0x1 || type == 0x8) && best_size > size) continue;
    best_priority = priority;
    best_size = size;
    switch (type) {
      case 0x1:
        wwid = "t10." + Escaped(id);
        break;
      case 0x2:
        if (size == 8 || size == 12 || size == 16) wwid = "eui." + Hex(id);
        break;
      case 0x3:
        if (size == 8 || size == 16) wwid = "naa." + Hex(id);
        break;
      case 0x8:
        wwid = std::string(id.substr(0, id.find('\0')));
        break;
    }
  }
  return wwid;
}

}  // namespace nodeboot::storage
