// `nodeboot clean` and `nodeboot collect` from outside (issue 18.5): the built binary, a temp
// dir as --root.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "agent/base/lock.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunNodeboot;
using testing::RunProcess;
using testing::Slurp;

// Every per-node file nodeboot can leave on a node, relative to the root.
const std::vector<std::string> kPerNodeFiles = {
    "var/lib/nodeboot/state.json",
    "var/lib/nodeboot/storage-intent.json",
    "var/lib/nodeboot/scripts/preInstall",
    "var/lib/nodeboot/outbox/0b5e4f8e-1111-4222-8333-944445555666.json",
    "var/lib/nodeboot/support-worker-1-20261205T040000Z.tar.gz",
    "var/log/nodeboot/nodeboot.log",
    "etc/nodeboot/config.yaml",
    "var/lib/node_exporter/textfile_collector/nodeboot.prom",
    "etc/kubernetes/nodeboot-join.yaml",
    "etc/kubernetes/bootstrap-kubelet.conf",
    "etc/kubernetes/kubelet-config.yaml",
    "etc/systemd/system/kubelet.service.d/10-nodeboot.conf",
    "etc/kubernetes/nodeboot-patches/kubeletconfiguration+strategic.yaml",
};
// What is not nodeboot's and must survive any clean.
const std::vector<std::string> kOthersFiles = {
    "etc/fstab",
    "etc/nodeboot/config.yaml.example",
    "etc/kubernetes/pki/ca.crt",
    "var/lib/nodeboot/keep-me",
    "etc/systemd/system/kubelet.service.d/20-other.conf",
};

class SealTest : public ::testing::Test {
 protected:
  // A node after a real run (state, log, textfile), plus every other per-node file.
  void MakeUsedNode() {
    root_.Write("etc/nodeboot/config.yaml",
                "node: {name: worker-1, instanceId: i-0abc}\n"
                "task: {id: t1, url: 'http://127.0.0.1:9/r', token: task-token-for-seal-test, "
                "deliverySeconds: 0}\n"
                "nodeTemplate:\n  extendParam:\n    maxPods: 110\n");
    const auto run = RunNodeboot({"run", "--root", root_.path().string()});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    for (const auto& file : kPerNodeFiles) {
      if (!fs::exists(root_.path() / file)) root_.Write(file, "per-node\n");
    }
    for (const auto& file : kOthersFiles) root_.Write(file, "not nodeboot's\n");
  }

  ProcessResult Clean(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"clean", "--root", root_.path().string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return RunNodeboot(args);
  }

  void ExpectPerNodeFilesPresent() {
    for (const auto& file : kPerNodeFiles) EXPECT_TRUE(fs::exists(root_.path() / file)) << file;
  }
  void ExpectPerNodeFilesGone() {
    for (const auto& file : kPerNodeFiles) EXPECT_FALSE(fs::exists(fs::symlink_status(root_.path() / file))) << file;
  }
  void ExpectOthersFilesPresent() {
    for (const auto& file : kOthersFiles) EXPECT_EQ(Slurp(root_.path() / file), "not nodeboot's\n") << file;
  }
  void MarkJoinSucceeded() {
    auto state = nlohmann::json::parse(Slurp(root_.path() / "var/lib/nodeboot/state.json"));
    state["phases"]["join"] = {{"name", "join"},
                               {"status", "succeeded"},
                               {"startedAt", "2026-12-01T00:00:00Z"},
                               {"durationMs", 5},
                               {"exitCode", 0}};
    root_.Write("var/lib/nodeboot/state.json", state.dump());
  }

  testing::TempDir root_;
  testing::TempDir outside_;
};

TEST_F(SealTest, CleanRemovesEveryPerNodeFileAndNothingElse) {
  MakeUsedNode();
  const auto result = Clean();
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  for (const auto& path :
       {"var/lib/nodeboot/state.json", "var/lib/nodeboot/outbox", "var/log/nodeboot", "etc/nodeboot/config.yaml",
        "etc/kubernetes/nodeboot-patches", "var/lib/nodeboot/support-worker-1-20261205T040000Z.tar.gz"}) {
    EXPECT_THAT(result.out, HasSubstr("removed " + (root_.path() / path).string() + " (")) << path;
  }
  EXPECT_THAT(result.out, HasSubstr("(directory, 1 entry)"));
  ExpectPerNodeFilesGone();
  ExpectOthersFilesPresent();
  EXPECT_TRUE(fs::is_directory(root_.path() / "var/lib/nodeboot"));  // the directory stays, 0700
}

TEST_F(SealTest, SecondCleanRemovesNothingAndSucceeds) {
  MakeUsedNode();
  ASSERT_EQ(Clean().exit_code, 0);
  const auto again = Clean();
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.out, "nothing to remove: no per-node nodeboot file is left\n");
  const auto json = Clean({"--output", "json"});
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_TRUE(nlohmann::json::parse(json.out)["removed"].empty()) << json.out;
}

TEST_F(SealTest, DryRunListsAndChangesNothing) {
  MakeUsedNode();
  const auto result = Clean({"--dry-run"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("would remove " + (root_.path() / "etc/nodeboot/config.yaml").string()));
  EXPECT_THAT(result.out, Not(HasSubstr("\nremoved ")));
  ExpectPerNodeFilesPresent();
  const auto json = Clean({"--dry-run", "--output", "json"});
  ASSERT_EQ(json.exit_code, 0);
  const auto document = nlohmann::json::parse(json.out);
  EXPECT_EQ(document["dryRun"], true);
  EXPECT_EQ(document["removed"].size(), kPerNodeFiles.size());
  ExpectPerNodeFilesPresent();
}

TEST_F(SealTest, JoinedNodeIsRefusedAndUnchanged) {
  MakeUsedNode();
  root_.Write("etc/kubernetes/kubelet.conf", "kubelet identity\n");
  auto result = Clean();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("kubelet.conf exists"));
  EXPECT_THAT(result.err, HasSubstr("--force"));
  EXPECT_EQ(result.out, "");
  ExpectPerNodeFilesPresent();

  fs::remove(root_.path() / "etc/kubernetes/kubelet.conf");
  MarkJoinSucceeded();
  result = Clean({"--output", "json"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(nlohmann::json::parse(result.out)["refused"].get<std::string>(),
              HasSubstr("state.json records that this node joined"));
  ExpectPerNodeFilesPresent();
}

TEST_F(SealTest, ForceCleansAJoinedNodeButKeepsTheKubeletsIdentity) {
  MakeUsedNode();
  MarkJoinSucceeded();
  root_.Write("etc/kubernetes/kubelet.conf", "kubelet identity\n");
  root_.Write("var/lib/kubelet/pki/kubelet-client-current.pem", "kubelet key\n");
  const auto result = Clean({"--force"});
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  ExpectPerNodeFilesGone();
  ExpectOthersFilesPresent();
  EXPECT_EQ(Slurp(root_.path() / "etc/kubernetes/kubelet.conf"), "kubelet identity\n");
  EXPECT_EQ(Slurp(root_.path() / "var/lib/kubelet/pki/kubelet-client-current.pem"), "kubelet key\n");
  EXPECT_THAT(result.out, HasSubstr("kept " + (root_.path() / "etc/kubernetes/kubelet.conf").string() +
                                    " (the kubelet's identity, not nodeboot's"));
  EXPECT_THAT(result.out, HasSubstr("kept " + (root_.path() / "var/lib/kubelet/pki").string()));
}

TEST_F(SealTest, LockHeldByARunExits3AndChangesNothing) {
  MakeUsedNode();
  auto lock = RunLock::Acquire(root_.path() / "run/nodeboot.lock");
  ASSERT_TRUE(lock) << lock.error().message;
  auto result = Clean();
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("holds"));
  result = Clean({"--dry-run"});
  EXPECT_EQ(result.exit_code, 3);
  ExpectPerNodeFilesPresent();
}

TEST_F(SealTest, LinksAreRemovedNeverFollowed) {
  MakeUsedNode();
  // state.json is a link to a file outside the root: the link goes, the target stays.
  const fs::path target = outside_.Write("precious.json", "not nodeboot's\n");
  fs::remove(root_.path() / "var/lib/nodeboot/state.json");
  fs::create_symlink(target, root_.path() / "var/lib/nodeboot/state.json");
  // The outbox is a link to a directory outside: removed as a link, its files stay.
  const fs::path outside_dir = outside_.path() / "outbox";
  outside_.Write("outbox/keep.json", "{}");
  fs::remove_all(root_.path() / "var/lib/nodeboot/outbox");
  fs::create_symlink(outside_dir, root_.path() / "var/lib/nodeboot/outbox");
  // A link inside a removed tree is removed, its target kept.
  fs::create_symlink(outside_.Write("in-tree-target", "kept\n"), root_.path() / "var/lib/nodeboot/scripts/link");
  // A parent on the way is a link: what is behind it is left alone, and said so.
  outside_.Write("kubernetes/nodeboot-join.yaml", "outside join file\n");
  fs::rename(root_.path() / "etc/kubernetes", root_.path() / "etc/kubernetes.real");
  fs::create_symlink(outside_.path() / "kubernetes", root_.path() / "etc/kubernetes");

  const auto result = Clean();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;  // not sealed: the link on the way
  EXPECT_EQ(Slurp(target), "not nodeboot's\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_.path() / "var/lib/nodeboot/state.json")));
  EXPECT_THAT(result.out, HasSubstr("symbolic link to " + target.string() + ", not followed"));
  EXPECT_EQ(Slurp(outside_dir / "keep.json"), "{}");
  EXPECT_FALSE(fs::exists(fs::symlink_status(root_.path() / "var/lib/nodeboot/outbox")));
  EXPECT_EQ(Slurp(outside_.path() / "in-tree-target"), "kept\n");
  EXPECT_EQ(Slurp(outside_.path() / "kubernetes/nodeboot-join.yaml"), "outside join file\n");
  EXPECT_THAT(result.out,
              HasSubstr("left alone " + (root_.path() / "etc/kubernetes/nodeboot-join.yaml").string() + " (" +
                        (root_.path() / "etc/kubernetes").string() + " is a symbolic link: not followed)"));
  EXPECT_THAT(result.err, HasSubstr("not sealed"));
}

TEST_F(SealTest, WrongTypesAreReportedAndLeftAlone) {
  MakeUsedNode();
  fs::remove(root_.path() / "etc/nodeboot/config.yaml");
  root_.Write("etc/nodeboot/config.yaml/inside", "a directory where a file belongs\n");
  fs::remove_all(root_.path() / "var/lib/nodeboot/outbox");
  root_.Write("var/lib/nodeboot/outbox", "a file where a directory belongs\n");
  const auto result = Clean();
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;
  EXPECT_THAT(result.out, HasSubstr("left alone " + (root_.path() / "etc/nodeboot/config.yaml").string() +
                                    " (a directory, where nodeboot writes a file)"));
  EXPECT_THAT(result.out, HasSubstr("left alone " + (root_.path() / "var/lib/nodeboot/outbox").string() +
                                    " (not a directory, where nodeboot keeps a directory)"));
  EXPECT_EQ(Slurp(root_.path() / "etc/nodeboot/config.yaml/inside"), "a directory where a file belongs\n");
  EXPECT_EQ(Slurp(root_.path() / "var/lib/nodeboot/outbox"), "a file where a directory belongs\n");
  EXPECT_FALSE(fs::exists(root_.path() / "var/lib/nodeboot/state.json"));  // the rest is removed
}

TEST_F(SealTest, UnreadableStateIsRefusedUnlessForced) {
  MakeUsedNode();
  root_.Write("var/lib/nodeboot/state.json", "not json");
  auto result = Clean();
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("cannot tell whether this node joined"));
  ExpectPerNodeFilesPresent();
  result = Clean({"--force"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  ExpectPerNodeFilesGone();
}

TEST_F(SealTest, UsageErrorsExit2) {
  EXPECT_EQ(Clean({"--output", "yaml"}).exit_code, 2);
  EXPECT_EQ(Clean({"--bogus"}).exit_code, 2);
  EXPECT_EQ(RunNodeboot({"collect", "--bogus"}).exit_code, 2);
}

// `collect`: the bundle's members (tar -tzf), its mode, and a MANIFEST that names what is skipped.
TEST_F(SealTest, CollectWritesAPrivateBundle) {
  MakeUsedNode();
  const auto result = RunNodeboot({"collect", "--root", root_.path().string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string bundle = result.out.substr(0, result.out.find('\n'));
  EXPECT_THAT(bundle, ::testing::StartsWith((root_.path() / "var/lib/nodeboot/support-").string()));
  EXPECT_THAT(bundle, ::testing::EndsWith("Z.tar.gz"));
  struct stat st;
  ASSERT_EQ(::stat(bundle.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  const auto listing = RunProcess({"tar", "-tzf", bundle});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  const std::string top =
      fs::path(bundle).filename().string().substr(0, fs::path(bundle).filename().string().size() - 7);
  for (const auto& member :
       {"MANIFEST", "nodeboot.log", "state.json", "status.json", "logs.json", "plan.json", "config.yaml"}) {
    EXPECT_THAT(listing.out, HasSubstr(top + "/" + member + "\n")) << member;
  }
  EXPECT_THAT(listing.out, Not(HasSubstr("systemctl-status.txt")));
  const auto manifest = RunProcess({"tar", "-xzOf", bundle, top + "/MANIFEST"});
  EXPECT_THAT(manifest.out, HasSubstr("systemctl-status.txt   --root is not /"));
  const auto config = RunProcess({"tar", "-xzOf", bundle, top + "/config.yaml"});
  EXPECT_THAT(config.out, HasSubstr("token: ***"));
  EXPECT_THAT(config.out, Not(HasSubstr("task-token-for-seal-test")));
  // No staging is left behind, and no temporary file beside the bundle.
  for (const auto& entry : fs::directory_iterator(root_.path() / "run/nodeboot")) {
    EXPECT_THAT(entry.path().filename().string(), Not(::testing::StartsWith("support-")));
  }
  for (const auto& entry : fs::directory_iterator(root_.path() / "var/lib/nodeboot")) {
    EXPECT_THAT(entry.path().filename().string(), Not(::testing::StartsWith(".support-")));
  }
  // clean removes support bundles too.
  ASSERT_EQ(Clean().exit_code, 0);
  EXPECT_FALSE(fs::exists(bundle));
}

TEST_F(SealTest, CollectToAChosenFileWithoutAConfig) {
  const fs::path file = outside_.path() / "bundle.tar.gz";
  const auto result = RunNodeboot({"collect", "--root", root_.path().string(), "--output-file", file.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, file.string() + "\n");
  const auto listing = RunProcess({"tar", "-tzf", file.string()});
  EXPECT_THAT(listing.out, HasSubstr("/MANIFEST\n"));
  EXPECT_THAT(listing.out, Not(HasSubstr("config.yaml")));
  const auto manifest = RunProcess({"tar", "-xzOf", file.string(), "--wildcards", "*/MANIFEST"});
  EXPECT_THAT(manifest.out, HasSubstr("config.yaml"));
  EXPECT_THAT(manifest.out, HasSubstr("config.yaml does not exist"));
}

// A config that does not load has unknown secrets: it stays out of the bundle, and says why.
TEST_F(SealTest, CollectLeavesOutAConfigThatDoesNotLoad) {
  root_.Write("etc/nodeboot/config.yaml", "task: {token: unknown-secret-in-bad-config, bogusKey: 1}\nnode: [\n");
  const fs::path file = outside_.path() / "bundle.tar.gz";
  const auto result = RunNodeboot({"collect", "--root", root_.path().string(), "--output-file", file.string()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("nodeboot collect: skipped config.yaml: "));
  const auto listing = RunProcess({"tar", "-tzf", file.string()});
  EXPECT_THAT(listing.out, Not(HasSubstr("config.yaml")));
  EXPECT_THAT(listing.out, Not(HasSubstr("plan.json")));
  const auto all = RunProcess({"tar", "-xzOf", file.string()});
  EXPECT_THAT(all.out, HasSubstr("does not load"));
  EXPECT_THAT(all.out, Not(HasSubstr("unknown-secret-in-bad-config")));
}

}  // namespace
}  // namespace nodeboot
