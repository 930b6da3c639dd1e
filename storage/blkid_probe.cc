// The adapter for libblkid.
#include <blkid/blkid.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "storage/signature_probe.h"

namespace nodeboot::storage {
namespace {

constexpr size_t kEdgeBytes = 1 << 20;

// True when [offset, offset + length) reads as all zeros.
bool AllZero(int fd, uint64_t offset, size_t length, std::string& error) {
  std::vector<char> buffer(64 * 1024);
  while (length > 0) {
    const size_t chunk = std::min(length, buffer.size());
    const ssize_t n = ::pread(fd, buffer.data(), chunk, static_cast<off_t>(offset));
    if (n < 0) {
      error = fmt::format("read at {}: {}", offset, std::strerror(errno));
      return false;
    }
    if (n == 0) break;
    if (std::any_of(buffer.begin(), buffer.begin() + n, [](char c) { return c != 0; })) return false;
    offset += static_cast<uint64_t>(n);
    length -= static_cast<size_t>(n);
  }
  return true;
}

class BlkidProbe : public SignatureProbe {
 public:
  ProbeResult Probe(const std::string& device) override {
    ProbeResult result;
    blkid_probe probe = blkid_new_probe_from_filename(device.c_str());
    if (probe == nullptr) {
      result.error = fmt::format("open {}: {}", device, std::strerror(errno ? errno : EIO));
      return result;
    }
    blkid_probe_enable_superblocks(probe, 1);
    blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_BADCSUM);
    blkid_probe_enable_partitions(probe, 1);
    // A GPT whose protective MBR is gone (only the backup header at the end survives) is
    // still a partition table: FORCE_GPT makes libblkid look for it.
    blkid_probe_set_partitions_flags(probe, BLKID_PARTS_FORCE_GPT);
    const int rc = blkid_do_fullprobe(probe);
    const char* value = nullptr;
    if (rc < 0) {
      result.error = fmt::format("libblkid could not probe {}", device);
    } else if (rc == 0) {
      if (blkid_probe_lookup_value(probe, "TYPE", &value, nullptr) == 0) result.signature = value;
      else if (blkid_probe_lookup_value(probe, "PTTYPE", &value, nullptr) == 0) result.signature = value;
      else result.signature = "unknown";
    }
    blkid_free_probe(probe);
    if (!result.error.empty() || !result.signature.empty()) return result;

    // Nothing named: make sure the edges are zeros, where every format keeps its headers.
    const int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      result.error = fmt::format("open {}: {}", device, std::strerror(errno));
      return result;
    }
    uint64_t size = 0;
    if (::ioctl(fd, BLKGETSIZE64, &size) != 0) {
      const off_t end = ::lseek(fd, 0, SEEK_END);
      size = end > 0 ? static_cast<uint64_t>(end) : 0;
    }
    std::string error;
    const bool head = AllZero(fd, 0, kEdgeBytes, error);
    const bool tail = head && error.empty() && AllZero(fd, size > kEdgeBytes ? size - kEdgeBytes : 0, kEdgeBytes, error);
    ::close(fd);
    if (!error.empty()) result.error = error;
    else result.unrecognised_data = !(head && tail);
    return result;
  }

  std::string FilesystemType(const std::string& device) override {
    blkid_probe probe = blkid_new_probe_from_filename(device.c_str());
    if (probe == nullptr) return fmt::format("unreadable ({})", std::strerror(errno ? errno : EIO));
    blkid_probe_enable_superblocks(probe, 1);
    blkid_probe_set_superblocks_flags(probe, BLKID_SUBLKS_TYPE);
    const int rc = blkid_do_safeprobe(probe);
    std::string type;
    const char* value = nullptr;
    if (rc == 0 && blkid_probe_lookup_value(probe, "TYPE", &value, nullptr) == 0) type = value;
    else if (rc == 0) type = "unknown";
    else if (rc == -2) type = "ambiguous signatures";
    else if (rc < 0) type = "unreadable";
    blkid_free_probe(probe);
    return type;
  }
};

}  // namespace

std::unique_ptr<SignatureProbe> MakeBlkidProbe() { return std::make_unique<BlkidProbe>(); }

}  // namespace nodeboot::storage
