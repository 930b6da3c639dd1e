// Disk identity on each bus, on fake /sys/block trees whose files hold what the VM harness's
// Debian 6.1 kernel shows for qemu 7.2's virtio-blk, virtio-scsi (scsi-hd) and NVMe disks
// (captured with scripts/vm/run.sh --disk/--scsi/--nvme), and the inventory join on them.
#include "storage/disk_identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "storage/inventory.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::storage {
namespace {

using namespace std::string_literals;
namespace fs = std::filesystem;

constexpr const char* kVolumeId = "5a2b3c4d-1e2f-4a5b-8c9d-0e1f2a3b4c5d";

// scsi-hd,serial=5a2b3c4d-1e2f-4a5b-8c9d-0e1f2a3b4c5d: the whole id (qemu keeps 36 characters)
// in page 0x80; page 0x83 holds only qemu's vendor-specific device_id (the serial's first 20
// characters), which the kernel does not use, so reading device/wwid fails with EINVAL.
const std::string kQemuScsiPage80 = "\x00\x80\x00\x24"s + kVolumeId;
const std::string kQemuScsiPage83 = "\x00\x83\x00\x18\x02\x00\x00\x14"s + "5a2b3c4d-1e2f-4a5b-8";

// scsi-hd,serial=abc,wwn=0x6888603000008b32: the WWN as an 8-byte NAA designator after the
// device_id; the kernel's device/wwid was "naa.6888603000008b32".
const std::string kQemuWwnPage80 = "\x00\x80\x00\x03"s + "abc";
const std::string kQemuWwnPage83 =
    "\x00\x83\x00\x13\x02\x00\x00\x03"s + "abc" + "\x01\x03\x00\x08\x68\x88\x60\x30\x00\x00\x8b\x32"s;

class SysBlock {
 public:
  fs::path Disk(const std::string& name) const { return dir_.path() / name; }
  void Write(const std::string& name, const std::string& file, const std::string& content) const {
    dir_.Write(name + "/" + file, content);
  }
  storage::Disk Read(const std::string& name) const {
    storage::Disk disk;
    disk.name = name;
    ReadDiskIdentity(Disk(name), disk);
    ReadIoTopology(Disk(name), disk);
    return disk;
  }

 private:
  nodeboot::testing::TempDir dir_;
};

Inventory OneVolume(const std::string& id, const std::string& type) {
  Inventory inventory;
  inventory.disks.push_back({id, type, std::nullopt, "", ""});
  return inventory;
}

TEST(DiskIdentity, BusComesFromTheKernelName) {
  EXPECT_EQ(BusOfDiskName("vdb"), DiskBus::kVirtio);
  EXPECT_EQ(BusOfDiskName("vdaa"), DiskBus::kVirtio);
  EXPECT_EQ(BusOfDiskName("sda"), DiskBus::kScsi);
  EXPECT_EQ(BusOfDiskName("nvme0n1"), DiskBus::kNvme);
  EXPECT_EQ(BusOfDiskName("nvme12n3"), DiskBus::kNvme);
  EXPECT_EQ(BusOfDiskName("xvdb"), DiskBus::kOther);
  EXPECT_EQ(BusOfDiskName("nvmem"), DiskBus::kOther);
  EXPECT_EQ(BusName(DiskBus::kScsi), "scsi");
  EXPECT_EQ(BusName(DiskBus::kOther), "other");
}

TEST(DiskIdentity, VirtioSerialAndTopology) {
  SysBlock sys;
  sys.Write("vda", "serial", "5a2b3c4d-1e2f-4a5b-8");  // virtio-blk prints it without a newline
  sys.Write("vda", "queue/optimal_io_size", "4194304\n");
  sys.Write("vda", "queue/minimum_io_size", "512\n");
  sys.Write("vda", "alignment_offset", "0\n");
  sys.Write("vda", "device/vendor", "0x1af4\n");
  const Disk disk = sys.Read("vda");
  EXPECT_EQ(disk.bus, DiskBus::kVirtio);
  EXPECT_EQ(disk.serial, "5a2b3c4d-1e2f-4a5b-8");
  EXPECT_EQ(disk.wwid, "");
  EXPECT_EQ(disk.optimal_io_bytes, 4194304u);
  EXPECT_EQ(disk.minimum_io_bytes, 512u);
  EXPECT_EQ(disk.alignment_offset_bytes, 0u);
}

TEST(DiskIdentity, TopologyThatCannotBeReadIsZero) {
  SysBlock sys;
  sys.Write("vdb", "queue/optimal_io_size", "abc\n");
  sys.Write("vdb", "alignment_offset", "-1\n");  // the kernel's "cannot be aligned"
  const Disk disk = sys.Read("vdb");
  EXPECT_EQ(disk.optimal_io_bytes, 0u);
  EXPECT_EQ(disk.minimum_io_bytes, 0u);  // missing
  EXPECT_EQ(disk.alignment_offset_bytes, 0u);
}

TEST(DiskIdentity, VirtioScsiSerialFromVpdPage80) {
  SysBlock sys;
  sys.Write("sda", "device/vpd_pg80", kQemuScsiPage80);
  sys.Write("sda", "device/vpd_pg83", kQemuScsiPage83);
  fs::create_directories(sys.Disk("sda") / "device/wwid");  // stands for the EINVAL on read
  sys.Write("sda", "queue/optimal_io_size", "1048576\n");
  const Disk disk = sys.Read("sda");
  EXPECT_EQ(disk.bus, DiskBus::kScsi);
  EXPECT_EQ(disk.serial, kVolumeId);
  EXPECT_EQ(disk.wwid, "");  // the vendor-specific designator is not a WWN
  EXPECT_EQ(disk.optimal_io_bytes, 1048576u);
}

TEST(DiskIdentity, VirtioScsiWwnFromTheKernelAndFromVpdPage83Agree) {
  SysBlock sys;
  sys.Write("sdb", "device/vpd_pg80", kQemuWwnPage80);
  sys.Write("sdb", "device/vpd_pg83", kQemuWwnPage83);
  sys.Write("sdb", "device/wwid", "naa.6888603000008b32\n");
  const Disk disk = sys.Read("sdb");
  EXPECT_EQ(disk.serial, "abc");
  EXPECT_EQ(disk.wwid, "naa.6888603000008b32");
  EXPECT_EQ(WwidFromVpdPage83(kQemuWwnPage83), disk.wwid);

  // A kernel without device/wwid: the same pick, made from the page.
  SysBlock old;
  old.Write("sdb", "device/vpd_pg80", kQemuWwnPage80);
  old.Write("sdb", "device/vpd_pg83", kQemuWwnPage83);
  EXPECT_EQ(old.Read("sdb").wwid, "naa.6888603000008b32");
}

TEST(DiskIdentity, ScsiSerialFromDeviceSerialWhenTheKernelHasIt) {
  SysBlock sys;
  sys.Write("sdc", "device/serial", "VOL-123\n");
  sys.Write("sdc", "device/vpd_pg80", "\x00\x80\x00\x07"s + "ignored");
  EXPECT_EQ(sys.Read("sdc").serial, "VOL-123");
}

TEST(DiskIdentity, VpdPage80IsTrimmedAndBounded) {
  // Drives pad the serial with blanks (often in front); the page length bounds it.
  EXPECT_EQ(SerialFromVpdPage80("\x00\x80\x00\x0c    Z1X2Y3W4"s), "Z1X2Y3W4");
  EXPECT_EQ(SerialFromVpdPage80("\x00\x80\x00\x03"s + "abcdef"), "abc");
  EXPECT_EQ(SerialFromVpdPage80("\x00\x80\x00\x10"s + "abc"), "abc");  // short read
  EXPECT_EQ(SerialFromVpdPage80("\x00\x83\x00\x03"s + "abc"), "");     // not page 0x80
  EXPECT_EQ(SerialFromVpdPage80("\x00\x80"s), "");
  EXPECT_EQ(SerialFromVpdPage80("\x00\x80\x00\x06"s + "ab\0\0\0\0"s), "ab");
}

TEST(DiskIdentity, VpdPage83PicksTheDesignatorTheKernelPicks) {
  // Passthrough SCSI (a storage array's LUN): an NAA registered extended WWN (Huawei's OUI
  // 0x888603) beats a T10 vendor id, and the kernel prints it as 32 lowercase hex digits.
  const std::string naa16 = "\x01\x03\x00\x10\x68\x88\x60\x30\x00\x00\x8b\x32\xfa\x16\x68\x8d\x09\x36\x85\x06"s;
  const std::string t10 = "\x02\x01\x00\x14"s + "HUAWEI  XSG1 0001234";
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x2c"s + t10 + naa16), "naa.6888603000008b32fa16688d09368506");
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x2c"s + naa16 + t10), "naa.6888603000008b32fa16688d09368506");
  // Alone, the T10 id is used, non-printable bytes escaped as %pE does.
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x0c\x02\x01\x00\x08"s + "ATA\tQE\x01\x7f"), "t10.ATA\\tQE\\001\\177");
  // A SCSI name string beats everything; its NUL padding is not part of it...
  const std::string name = "\x03\x08\x00\x14"s + "iqn.2001-04.com.ex\0\0"s;
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x2c"s + naa16 + name), "iqn.2001-04.com.ex");
  // ...unless it is shorter than the pick before it, which the kernel then keeps.
  const std::string short_name = "\x03\x08\x00\x0c"s + "iqn.2001-x\0\0"s;
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x24"s + naa16 + short_name), "naa.6888603000008b32fa16688d09368506");
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x24"s + short_name + naa16), "iqn.2001-x");
  // A target port designator (association 1) is never the LUN's.
  const std::string port = "\x61\x93\x00\x08\x50\x06\x04\x80\xe3\xfa\xaa\x09"s;
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x0c"s + port), "");
  // EUI-64 16 bytes beats NAA registered (8 bytes, type 5).
  const std::string eui16 = "\x01\x02\x00\x10\x5a\x2b\x3c\x4d\x1e\x2f\x4a\x5b\x8c\x9d\x0e\x1f\x2a\x3b\x4c\x5d"s;
  const std::string naa5 = "\x01\x03\x00\x08\x50\x00\xc5\x00\xa1\xb2\xc3\xd4"s;
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x20"s + eui16 + naa5), "eui.5a2b3c4d1e2f4a5b8c9d0e1f2a3b4c5d");
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x0c"s + naa5), "naa.5000c500a1b2c3d4");
  // A descriptor running past the page ends the walk, like a short page.
  EXPECT_EQ(WwidFromVpdPage83("\x00\x83\x00\x0c\x01\x03\x00\x10\x60\x00"s), "");
  EXPECT_EQ(WwidFromVpdPage83(""), "");
}

TEST(DiskIdentity, NvmeSerialFromTheControllerAndWwidFromTheNamespace) {
  SysBlock sys;
  sys.Write("nvme0n1", "device/serial", "nvmeser             \n");  // space padded to 20
  sys.Write("nvme0n1", "wwid", "nvme.1b36-6e766d65736572-51454d55204e564d65204374726c-00000001\n");
  sys.Write("nvme0n1", "nsid", "1\n");
  sys.Write("nvme0n1", "hidden", "0\n");
  sys.Write("nvme0n1", "queue/optimal_io_size", "512\n");
  const Disk disk = sys.Read("nvme0n1");
  EXPECT_EQ(disk.bus, DiskBus::kNvme);
  EXPECT_EQ(disk.serial, "nvmeser");
  EXPECT_EQ(disk.wwid, "nvme.1b36-6e766d65736572-51454d55204e564d65204374726c-00000001");
  EXPECT_EQ(disk.optimal_io_bytes, 512u);
  EXPECT_FALSE(IsHiddenDisk(sys.Disk("nvme0n1")));
}

TEST(DiskIdentity, NvmeMultipathPathNodesAreHidden) {
  // nvme1n1 is the head (device -> the nvme-subsystem, which has the serial too); nvme1c1n1
  // and nvme1c2n1 are its paths through two controllers.
  SysBlock sys;
  sys.Write("nvme1n1", "device/serial", "mpserial            \n");
  sys.Write("nvme1n1", "hidden", "0\n");
  sys.Write("nvme1c1n1", "hidden", "1\n");
  sys.Write("nvme1c2n1", "hidden", "1\n");
  EXPECT_FALSE(IsHiddenDisk(sys.Disk("nvme1n1")));
  EXPECT_TRUE(IsHiddenDisk(sys.Disk("nvme1c1n1")));
  EXPECT_TRUE(IsHiddenDisk(sys.Disk("nvme1c2n1")));
  EXPECT_FALSE(IsHiddenDisk(sys.Disk("vda")));  // older kernels have no `hidden`
  EXPECT_EQ(sys.Read("nvme1n1").serial, "mpserial");
}

TEST(DiskIdentity, OtherBusesKeepTheGenericFiles) {
  SysBlock sys;
  sys.Write("xvdb", "device/serial", "xen-1\n");
  sys.Write("xvdb", "device/wwid", "naa.5000c500a1b2c3d4\n");
  const Disk disk = sys.Read("xvdb");
  EXPECT_EQ(disk.bus, DiskBus::kOther);
  EXPECT_EQ(disk.serial, "xen-1");
  EXPECT_EQ(disk.wwid, "naa.5000c500a1b2c3d4");
}

// --- the inventory join on each bus -----------------------------------------------------------

TEST(DiskIdentityInventory, VirtioMatchesTheFirst20CharactersWithOrWithoutDashes) {
  SysBlock sys;
  sys.Write("vda", "serial", "5a2b3c4d-1e2f-4a5b-8");
  sys.Write("vdb", "serial", "5A2B3C4D1E2F4A5B8C9D");
  sys.Write("vdc", "serial", "5a2b3c4d-1e2f-4a5b-9");
  const Inventory inventory = OneVolume(kVolumeId, "SSD");
  EXPECT_EQ(Classify(sys.Read("vda"), inventory).source, "disks[0] by serial");
  const DiskAttributes b = Classify(sys.Read("vdb"), inventory);
  EXPECT_EQ(b.source, "disks[0] by serial");
  EXPECT_EQ(b.kind, StorageType::kEvs);
  EXPECT_EQ(b.volume_type, "SSD");
  EXPECT_EQ(Classify(sys.Read("vdc"), inventory).kind, StorageType::kLocal);
}

TEST(DiskIdentityInventory, VirtioScsiMatchesTheWholeIdInPage80) {
  SysBlock sys;
  sys.Write("sda", "device/vpd_pg80", kQemuScsiPage80);
  sys.Write("sda", "device/vpd_pg83", kQemuScsiPage83);
  const DiskAttributes attributes = Classify(sys.Read("sda"), OneVolume(kVolumeId, "SSD"));
  EXPECT_EQ(attributes.kind, StorageType::kEvs);
  EXPECT_EQ(attributes.volume_type, "SSD");
  EXPECT_EQ(attributes.source, "disks[0] by serial");
  // Upper case, without dashes, or cut to 20 characters: the same volume.
  for (const std::string serial : {"5A2B3C4D-1E2F-4A5B-8C9D-0E1F2A3B4C5D", "5a2b3c4d1e2f4a5b8c9d0e1f2a3b4c5d",
                                   "5a2b3c4d1e2f4a5b8c9d", "5a2b3c4d-1e2f-4a5b-8"}) {
    Disk disk;
    disk.bus = DiskBus::kScsi;
    disk.serial = serial;
    EXPECT_EQ(MatchVolume(disk, kVolumeId), VolumeMatch::kSerial) << serial;
  }
  // Another volume's serial, or this one's id with a character changed, does not match.
  Disk other;
  other.bus = DiskBus::kScsi;
  other.serial = "5a2b3c4d-1e2f-4a5b-8c9d-0e1f2a3b4c5e";
  EXPECT_EQ(MatchVolume(other, kVolumeId), VolumeMatch::kNone);
}

TEST(DiskIdentityInventory, PassthroughScsiMatchesAWwnThatCarriesTheId) {
  // The array's serial says nothing about the volume; its 16-byte EUI-64 designator is the
  // volume UUID, and the kernel shows it as device/wwid.
  SysBlock sys;
  sys.Write("sda", "device/vpd_pg80", "\x00\x80\x00\x14"s + "    21A0F3C8E95D0042");
  sys.Write("sda", "device/wwid", "eui.5a2b3c4d1e2f4a5b8c9d0e1f2a3b4c5d\n");
  const DiskAttributes attributes = Classify(sys.Read("sda"), OneVolume(kVolumeId, "SAS"));
  EXPECT_EQ(attributes.kind, StorageType::kEvs);
  EXPECT_EQ(attributes.source, "disks[0] by WWN");
  EXPECT_EQ(attributes.volume_type, "SAS");
}

TEST(DiskIdentityInventory, AnNaaWwnCannotHoldAWholeUuidAndAPartDoesNotMatch) {
  // An NAA registered extended WWN is 32 hex digits of which the NAA type and the OUI take 7:
  // at most 25 of a UUID's 32 fit, and nodeboot does not join on a fragment.
  Disk disk;
  disk.bus = DiskBus::kScsi;
  disk.serial = "21A0F3C8E95D0042";
  disk.wwid = "naa.68886035a2b3c4d1e2f4a5b8c9d0e1f2";
  EXPECT_EQ(MatchVolume(disk, kVolumeId), VolumeMatch::kNone);
  EXPECT_EQ(Classify(disk, OneVolume(kVolumeId, "SAS")).kind, StorageType::kLocal);
  // An id the WWN does carry whole (here a 24-character one) matches it.
  EXPECT_EQ(MatchVolume(disk, "5a2b3c4d-1e2f4a5b-8c9d0e1f"), VolumeMatch::kWwn);
  // Ids under 20 characters never match a WWN, so that they cannot match by chance.
  EXPECT_EQ(MatchVolume(disk, "8886035a2b3c"), VolumeMatch::kNone);
}

TEST(DiskIdentityInventory, NvmeMatchesItsSerialNumber) {
  SysBlock sys;
  sys.Write("nvme0n1", "device/serial", "5a2b3c4d1e2f4a5b8c9d\n");  // 20 bytes: no padding
  sys.Write("nvme0n1", "wwid",
            "nvme.1b36-3561326233633464316532663461356238633964-51454d55204e564d65204374726c-00000001\n");
  sys.Write("nvme1n1", "device/serial", "nvmeser             \n");
  sys.Write("nvme1n1", "wwid", "nvme.1b36-6e766d65736572-51454d55204e564d65204374726c-00000001\n");
  Inventory inventory = OneVolume(kVolumeId, "SAS");
  inventory.disks.push_back({"00000000-0000-4000-8000-000000000001", "SSD", true, "cmk-1", ""});
  const DiskAttributes first = Classify(sys.Read("nvme0n1"), inventory);
  EXPECT_EQ(first.source, "disks[0] by serial");
  EXPECT_EQ(first.volume_type, "SAS");
  EXPECT_EQ(Classify(sys.Read("nvme1n1"), inventory).kind, StorageType::kLocal);
}

TEST(DiskIdentityInventory, NvmeNamespaceUuidCarriesTheId) {
  SysBlock sys;
  sys.Write("nvme0n1", "device/serial", "S5GXNX0R123456\n");
  sys.Write("nvme0n1", "wwid", "uuid.5a2b3c4d-1e2f-4a5b-8c9d-0e1f2a3b4c5d\n");
  Inventory inventory = OneVolume("00000000-0000-4000-8000-000000000001", "SSD");
  inventory.disks.push_back({kVolumeId, "SAS", false, "", ""});
  const DiskAttributes attributes = Classify(sys.Read("nvme0n1"), inventory);
  EXPECT_EQ(attributes.source, "disks[1] by WWN");
  EXPECT_EQ(attributes.encrypted, false);
}

// Huawei's SCSI EVS disks: the volume's own `wwn` (API field, configured as disks[].wwn) is what
// the kernel shows in device/wwid, and it does not contain the volume UUID.
TEST(DiskIdentityInventory, ScsiMatchesTheConfiguredWwn) {
  SysBlock sys;
  sys.Write("sda", "device/wwid", "naa.6888603000008b32fa16688d09368506\n");
  Inventory inventory = OneVolume(kVolumeId, "SSD");
  EXPECT_EQ(Classify(sys.Read("sda"), inventory).kind, StorageType::kLocal);  // the UUID is not in an NAA
  inventory.disks[0].wwn = "6888603000008b32fa16688d09368506";
  const DiskAttributes attributes = Classify(sys.Read("sda"), inventory);
  EXPECT_EQ(attributes.source, "disks[0] by WWN");
  EXPECT_EQ(attributes.volume_type, "SSD");
  inventory.disks[0].wwn = "6888603000008b32fa16688d09368507";  // one digit off
  EXPECT_EQ(Classify(sys.Read("sda"), inventory).kind, StorageType::kLocal);
}

}  // namespace
}  // namespace nodeboot::storage
