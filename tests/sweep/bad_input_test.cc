// The bad-input sweep (issue 9): every config under tests/data/config/invalid, and config files
// that are truncated, binary, huge, a directory, a FIFO or empty, given to the real binary as
// `run --root TMP`. Each must exit 2 with a clear error naming what is wrong, run no command
// (fake lvm/kubeadm/systemctl/mkfs/mount on PATH would leave a marker) and leave the root
// exactly as it was: no state, log, lock or scripts directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <utility>
#include <vector>

#include "tests/config/golden.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using testing::ProcessResult;
using testing::Slurp;
using ::testing::StartsWith;

// path -> "type size mtime mode" for the root and everything under it (symlinks not followed).
std::map<std::string, std::string> Snapshot(const fs::path& root) {
  std::map<std::string, std::string> snapshot;
  auto add = [&](const fs::path& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return;
    snapshot[path.string()] = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
                              std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  };
  add(root);
  for (const auto& entry : fs::recursive_directory_iterator(root)) add(entry.path());
  return snapshot;
}

// Programs the run would call on a real node; each one leaves a marker if it is ever run.
// (Scripts are not faked: the binary runs them by path, and writing one would already change the
// root.)
class FakeCommands {
 public:
  FakeCommands() {
    for (const char* name : {"lvm", "vgcreate", "pvcreate", "lvcreate", "kubeadm", "kubelet", "systemctl", "mkfs.ext4",
                             "mkfs.xfs", "mount", "wipefs"}) {
      const auto path =
          dir_.Write(std::string("bin/") + name, "#!/bin/sh\necho \"$0 $*\" >> '" + marker().string() + "'\nexit 0\n");
      fs::permissions(path, fs::perms::owner_all);
    }
  }
  std::string path_env() const {
    const char* path = std::getenv("PATH");
    return (dir_.path() / "bin").string() + ":" + (path ? path : "/usr/bin:/bin");
  }
  fs::path marker() const { return dir_.path() / "commands-run"; }

 private:
  testing::TempDir dir_;
};

class BadInputTest : public ::testing::Test {
 protected:
  fs::path ConfigPath() const { return root_.path() / "etc/nodeboot/config.yaml"; }

  // Runs `nodeboot run` on the root (bounded by `timeout`, so a hang fails instead of blocking
  // the suite) and checks the invariants shared by every bad input.
  ProcessResult RunAndExpectRejected(const std::string& what) {
    const auto before = Snapshot(root_.path());
    const auto start = std::chrono::steady_clock::now();
    auto result = testing::RunProcess({"timeout", "20", NODEBOOT_BINARY, "run", "--root", root_.path().string()},
                                      {{"PATH", fakes_.path_env()}});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(result.exit_code, 2) << what << "\nstderr: " << result.err;
    EXPECT_LT(seconds, 5) << what;
    EXPECT_THAT(result.err, StartsWith("nodeboot: ")) << what;
    EXPECT_FALSE(fs::exists(fakes_.marker())) << what << " ran: " << Slurp(fakes_.marker());
    EXPECT_EQ(Snapshot(root_.path()), before) << what << ": the root changed";
    return result;
  }

  // The error is one line (plus its newline), so a person reads the cause at once.
  void ExpectOneLine(const ProcessResult& result, const std::string& what) {
    ASSERT_FALSE(result.err.empty()) << what;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << what << ": " << result.err;
  }

  testing::TempDir root_;
  FakeCommands fakes_;
};

TEST_F(BadInputTest, EveryInvalidGoldenExitsTwoNamesItsFieldsAndTouchesNothing) {
  const auto configs = testing::GoldenConfigs("invalid");
  ASSERT_GT(configs.size(), 50u);
  for (const auto& config : configs) {
    SCOPED_TRACE(config.path.filename().string());
    testing::TempDir root;
    root.Write("etc/nodeboot/config.yaml", Slurp(config.path));
    // Something already there, as on a real node, to show that it is left alone.
    root.Write("var/lib/cloud/data/instance-id", "i-0abc\n");
    const auto before = Snapshot(root.path());
    const auto result = testing::RunProcess({"timeout", "20", NODEBOOT_BINARY, "run", "--root", root.path().string()},
                                            {{"PATH", fakes_.path_env()}});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    ASSERT_FALSE(config.expected.empty()) << "no `# expect:` line";
    for (const auto& expected : config.expected) EXPECT_THAT(result.err, HasSubstr(expected));
    EXPECT_EQ(Snapshot(root.path()), before) << "the root changed";
    EXPECT_FALSE(fs::exists(fakes_.marker())) << "ran: " << Slurp(fakes_.marker());
  }
}

// A YAML config cut at a line boundary can still be a valid config (nothing can tell), so the
// cuts here are ones that must break it: JSON cut in half, YAML cut inside a value.
TEST_F(BadInputTest, TruncatedConfigsAreRejected) {
  const fs::path valid = fs::path(NODEBOOT_SOURCE_DIR) / "tests/data/config/valid";
  std::vector<std::pair<std::string, std::string>> cuts;
  for (const char* name : {"cce-cluster-request.json", "cce-turbo-cluster-request.json"}) {
    const std::string whole = Slurp(valid / name);
    ASSERT_FALSE(whole.empty()) << name;
    cuts.emplace_back(std::string("half of ") + name, whole.substr(0, whole.size() / 2));
  }
  const std::string full = Slurp(valid / "full.yaml");
  const auto hash = full.find("caCertHash: sha256:");
  ASSERT_NE(hash, std::string::npos);
  cuts.emplace_back("full.yaml cut inside caCertHash", full.substr(0, hash + 30));
  for (const auto& [what, text] : cuts) {
    root_.Write("etc/nodeboot/config.yaml", text);
    const auto result = RunAndExpectRejected(what);
    EXPECT_THAT(result.err, HasSubstr("config")) << what;
  }
}

TEST_F(BadInputTest, BinaryGarbageIsRejectedInOneLine) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919 + 13) % 256);
  root_.Write("etc/nodeboot/config.yaml", garbage);
  const auto result = RunAndExpectRejected("binary garbage");
  ExpectOneLine(result, "binary garbage");
  EXPECT_THAT(result.err, HasSubstr("NUL byte"));
}

TEST_F(BadInputTest, HundredMebibyteConfigIsRefusedBySize) {
  root_.Write("etc/nodeboot/config.yaml", "");
  {
    std::ofstream out(ConfigPath(), std::ios::binary);
    out << "node:\n  name: ";
    const std::string chunk(1 << 20, 'a');
    for (int i = 0; i < 100; ++i) out << chunk;
    out << "\n";
  }
  const auto result = RunAndExpectRejected("100 MiB config");
  ExpectOneLine(result, "100 MiB config");
  EXPECT_THAT(result.err, HasSubstr("larger than the limit"));
}

TEST_F(BadInputTest, ConfigThatIsADirectoryIsRejected) {
  fs::create_directories(ConfigPath());
  const auto result = RunAndExpectRejected("directory");
  ExpectOneLine(result, "directory");
  EXPECT_THAT(result.err, HasSubstr("is a directory"));
}

// A FIFO with no writer once made `run` block forever in open().
TEST_F(BadInputTest, ConfigThatIsAFifoIsRejectedWithoutHanging) {
  fs::create_directories(ConfigPath().parent_path());
  ASSERT_EQ(::mkfifo(ConfigPath().c_str(), 0600), 0);
  const auto result = RunAndExpectRejected("FIFO");
  ExpectOneLine(result, "FIFO");
  EXPECT_THAT(result.err, HasSubstr("not a regular file"));
}

TEST_F(BadInputTest, EmptyConfigIsRejected) {
  root_.Write("etc/nodeboot/config.yaml", "");
  const auto result = RunAndExpectRejected("empty file");
  ExpectOneLine(result, "empty file");
  EXPECT_THAT(result.err, HasSubstr("empty"));
}

TEST_F(BadInputTest, MissingConfigIsRejected) {
  const auto result = RunAndExpectRejected("missing file");
  ExpectOneLine(result, "missing file");
  EXPECT_THAT(result.err, HasSubstr("No such file"));
}

// An unreadable (chmod 000) config is not tested: the suite runs as root, which reads it anyway.

}  // namespace
}  // namespace nodeboot
