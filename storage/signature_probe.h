// SignatureProbe: does a block device hold anything? libblkid's superblock and partition
// probers (blkid_probe.cc is the only libblkid user), plus nodeboot's own check that the first
// and last MiB are zero: a fresh cloud volume is all zeros, and data no prober knows is still
// data; and whether a device node is there at all. A fake stands in for it in unit tests.
#pragma once

#include <memory>
#include <string>

namespace nodeboot::storage {

struct ProbeResult {
  std::string signature;           // "" none; else ext4, xfs, swap, LVM2_member, dos, gpt, ...
  bool unrecognised_data = false;  // non-zero bytes no prober named
  std::string error;               // the device could not be read
};

class SignatureProbe {
 public:
  virtual ~SignatureProbe() = default;
  virtual ProbeResult Probe(const std::string& device) = 0;
  // The filesystem type on a device, for an LV that may already carry one: "" only when the
  // device was read and holds no signature; else the type, or why it is not known.
  virtual std::string FilesystemType(const std::string& device) = 0;
  // "major:minor" of the block device node at `device`; "" when there is none. An LV that lvm
  // reports active can lack its /dev/mapper node: libdm makes it last, so an lvcreate killed
  // just before leaves a live device nothing can open by name.
  virtual std::string DeviceNumber(const std::string& device) = 0;
};

std::unique_ptr<SignatureProbe> MakeBlkidProbe();

}  // namespace nodeboot::storage
