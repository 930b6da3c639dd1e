// How a disk names itself, read from its /sys/block entry the way udev's
// 60-persistent-storage.rules and scsi_id derive ID_SERIAL_SHORT / ID_SCSI_SERIAL and ID_WWN
// (without udev, which a node may not have yet and the VM harness never has):
//
//   bus     kernel name   serial                                   wwid
//   virtio  vd*           /sys/block/vdX/serial                    -
//   scsi    sd*           device/serial (kernels that have it),    device/wwid (the kernel's
//                         else VPD page 0x80 (device/vpd_pg80)     pick from VPD page 0x83:
//                                                                  naa./eui./t10./name), else
//                                                                  the same pick from vpd_pg83
//   nvme    nvme*n*       device/serial (the controller's,         /sys/block/nvmeXnY/wwid
//                         space padded to 20)                      (uuid./eui./nvme.)
//   other   anything else /sys/block/X/serial, else device/serial  device/wwid
//
// Values are trimmed of the blanks and NULs that pad them; nothing else is rewritten (udev
// replaces inner blanks with '_', nodeboot compares the raw text). Reads only; a file that is
// missing or unreadable (the SCSI wwid of a disk without a usable designator fails with EINVAL)
// leaves the field empty.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "storage/disk.h"

namespace nodeboot::storage {

// The bus of a disk called `name` in /sys/block, by its kernel name as the udev rules match it.
DiskBus BusOfDiskName(std::string_view name);
std::string_view BusName(DiskBus bus);  // "virtio", "scsi", "nvme", "other"

// Sets disk.bus, disk.serial and disk.wwid from `dir`, a /sys/block/<name> directory (or a
// fake tree laid out like one).
void ReadDiskIdentity(const std::filesystem::path& dir, Disk& disk);

// Sets disk.optimal_io_bytes, minimum_io_bytes and alignment_offset_bytes from `dir`'s
// queue/optimal_io_size, queue/minimum_io_size and alignment_offset (0 when unknown; a
// misaligned device's alignment_offset of -1 is 0 too).
void ReadIoTopology(const std::filesystem::path& dir, Disk& disk);

// A path node of an NVMe multipath namespace (nvme0c1n1, `hidden` is 1): not a disk of its own,
// the head node (nvme0n1) is, and it has no /dev node to open.
bool IsHiddenDisk(const std::filesystem::path& dir);

// The unit serial number in a VPD page 0x80 as read from sysfs (4-byte header, page length in
// bytes 2-3, then ASCII), trimmed as the kernel's scsi_vpd_lun_serial does; "" if it is not one.
std::string SerialFromVpdPage80(std::string_view page);

// What the kernel's scsi_vpd_lun_id (6.1) shows as device/wwid for a VPD page 0x83: the
// LUN-associated designator it prefers (SCSI name string > NAA registered extended > EUI-64
// 16/12 bytes > NAA registered > NAA extended > EUI-64 8 bytes > NAA local / T10 vendor id), as
// "naa." / "eui." + lowercase hex, "t10." + text, or the name string itself; "" if none.
std::string WwidFromVpdPage83(std::string_view page);

}  // namespace nodeboot::storage
