// The libblkid adapter on disk images in regular files (libblkid probes a file as it does a
// block device): blank, data at either edge, signatures found by the first pass and by the
// second (the edge-only probers, which the first pass skips for speed).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "storage/signature_probe.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::storage {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kKiB = 1ull << 10;

class BlkidProbeTest : public ::testing::Test {
 protected:
  // A sparse, all-zero image of `size` bytes: a fresh cloud volume.
  std::string BlankImage(uint64_t size) {
    const auto path = dir_.path() / "disk.img";
    std::ofstream(path).close();
    std::filesystem::resize_file(path, size);
    return path.string();
  }

  static void WriteAt(const std::string& image, uint64_t offset, const std::string& bytes) {
    std::fstream file(image, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(offset));
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(file.good()) << image;
  }

  // ZFS uberblocks (magic 0x00bab10c, little-endian) in the ring of the vdev label at
  // `label_offset`; libblkid names a device zfs_member from four of them.
  static void WriteZfsUberblocks(const std::string& image, uint64_t label_offset) {
    const std::string magic("\x0c\xb1\xba\x00\x00\x00\x00\x00", 8);
    for (uint64_t i = 0; i < 8; ++i) WriteAt(image, label_offset + 128 * kKiB + i * kKiB, magic);
  }

  ProbeResult Probe(const std::string& image) { return MakeBlkidProbe()->Probe(image); }

  testing::TempDir dir_;
};

TEST_F(BlkidProbeTest, AnAllZeroImageIsBlank) {
  const ProbeResult result = Probe(BlankImage(2048 * kMiB));
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.signature, "");
  EXPECT_FALSE(result.unrecognised_data);
}

TEST_F(BlkidProbeTest, AnyByteInTheFirstOrLastMiBIsData) {
  const uint64_t size = 2048 * kMiB;
  for (const uint64_t offset : {uint64_t{0}, kMiB - 1, size - kMiB, size - 1}) {
    const std::string image = BlankImage(size);
    WriteAt(image, offset, "x");
    const ProbeResult result = Probe(image);
    EXPECT_EQ(result.error, "") << offset;
    EXPECT_EQ(result.signature, "") << offset;
    EXPECT_TRUE(result.unrecognised_data) << "a byte at " << offset;
  }
}

TEST_F(BlkidProbeTest, NamesASwapAreaFromTheFirstPass) {
  const std::string image = BlankImage(64 * kMiB);
  ASSERT_EQ(std::system(("mkswap -q " + image + " >/dev/null 2>&1 || mkswap " + image + " >/dev/null").c_str()), 0);
  const ProbeResult result = Probe(image);
  EXPECT_EQ(result.signature, "swap");
  EXPECT_FALSE(result.unrecognised_data);
}

// The ZFS prober is skipped in the first pass; the data it looks for is at the edges, so the
// edge check sees it and the second pass names it.
TEST_F(BlkidProbeTest, NamesAZfsMemberByItsFirstLabel) {
  const std::string image = BlankImage(64 * kMiB);
  WriteZfsUberblocks(image, 0);
  const ProbeResult result = Probe(image);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.signature, "zfs_member");
  EXPECT_FALSE(result.unrecognised_data);
}

TEST_F(BlkidProbeTest, NamesAZfsMemberByItsLastLabel) {
  const uint64_t size = 64 * kMiB;
  const std::string image = BlankImage(size);
  WriteZfsUberblocks(image, size - 256 * kKiB);  // L3, the last of the four labels
  const ProbeResult result = Probe(image);
  EXPECT_EQ(result.signature, "zfs_member");
  EXPECT_FALSE(result.unrecognised_data);
}

TEST_F(BlkidProbeTest, AMissingDeviceIsAnErrorNotABlankDisk) {
  const ProbeResult result = Probe((dir_.path() / "no-such-disk").string());
  EXPECT_NE(result.error, "");
  EXPECT_NE(result.error.find("no-such-disk"), std::string::npos) << result.error;
  EXPECT_FALSE(result.unrecognised_data);
}

}  // namespace
}  // namespace nodeboot::storage
