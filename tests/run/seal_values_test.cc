// The pure parts of `clean` and `collect` (issue 18.5): the refusal, the bundle's name, the
// config's redaction and the MANIFEST, on values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "agent/base/base64.h"
#include "agent/run/seal.h"
#include "agent/run/support_bundle.h"

namespace nodeboot::run {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SealValuesTest, RefusalNamesWhyAndForce) {
  EXPECT_EQ(RefusalReason({}, false), "");
  EXPECT_EQ(RefusalReason({.state_join_succeeded = true, .kubelet_kubeconfig = true, .state_problem = "x"}, true), "");
  JoinEvidence state_joined;
  state_joined.state_join_succeeded = true;
  const auto joined = RefusalReason(state_joined, false);
  EXPECT_THAT(joined, HasSubstr("state.json records that this node joined"));
  EXPECT_THAT(joined, HasSubstr("nodeboot clean --force"));
  EXPECT_THAT(joined, HasSubstr("Nothing was changed"));
  JoinEvidence kubeconfig;
  kubeconfig.kubelet_kubeconfig = true;
  EXPECT_THAT(RefusalReason(kubeconfig, false), HasSubstr("/etc/kubernetes/kubelet.conf exists"));
  JoinEvidence unreadable;
  unreadable.state_problem = "not JSON";
  EXPECT_THAT(RefusalReason(unreadable, false), HasSubstr("cannot tell whether this node joined (not JSON)"));
}

TEST(SealValuesTest, TargetsAreNodebootsOwnAndNeverTheKubelets) {
  for (const auto& target : SealTargets()) {
    EXPECT_NE(target.path, "/etc/kubernetes/kubelet.conf");
    EXPECT_FALSE(target.path.starts_with("/var/lib/kubelet")) << target.path;
    EXPECT_FALSE(target.path.starts_with("/etc/fstab")) << target.path;
    EXPECT_FALSE(target.what.empty()) << target.path;
  }
}

TEST(SupportBundleValuesTest, FileNameIsUtcWithoutColonsAndASafeHost) {
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1796445000));  // 2026-12-05T04:30:00Z
  EXPECT_EQ(BundleFileName("worker-1", at), "support-worker-1-20261205T043000Z.tar.gz");
  EXPECT_EQ(BundleFileName("a/b:c d", at), "support-a_b_c_d-20261205T043000Z.tar.gz");
  EXPECT_EQ(BundleFileName("", at), "support-unknown-20261205T043000Z.tar.gz");
}

TEST(SupportBundleValuesTest, ConfigSecretsScriptsAndLongBase64AreMasked) {
  const std::string script = "#!/bin/sh\necho hi\n";
  const std::string encoded = EncodeBase64(script);
  const std::string long_blob(120, 'Q');
  const std::string config =
      "task: {url: 'https://u:pa55word-xyz@t.example/r?token=querytoken123', token: "
      "tasktoken-abcdef}\n"
      "cluster: {bootstrapToken: abcdef.0123456789abcdef, caCertHash: 'sha256:" +
      std::string(64, 'a') +
      "'}\n"
      "nodeTemplate:\n  extendParam:\n    alpha.cce/preInstall: " +
      encoded +
      "\n"
      "    caData: " +
      long_blob + "\n";
  const std::string redacted = RedactConfigText(
      config,
      {"tasktoken-abcdef", "abcdef.0123456789abcdef", script, "u:pa55word-xyz", "pa55word-xyz", "querytoken123"},
      {script});
  for (const auto& secret : {std::string("tasktoken-abcdef"), std::string("0123456789abcdef"), encoded,
                             std::string("pa55word-xyz"), std::string("querytoken123"), long_blob}) {
    EXPECT_THAT(redacted, Not(HasSubstr(secret))) << redacted;
  }
  EXPECT_THAT(redacted, HasSubstr("token: ***"));
  EXPECT_THAT(redacted, HasSubstr("sha256:" + std::string(64, 'a')));  // not a secret: kept for support
  EXPECT_THAT(redacted, HasSubstr("alpha.cce/preInstall: ***"));
}

TEST(SupportBundleValuesTest, ManifestListsMembersAndWhySkipped) {
  const auto text = ManifestText({{"state.json", "/var/lib/nodeboot/state.json", "{}"}},
                                 {{"systemctl-status.txt", "--root is not /"}}, "worker-1",
                                 std::chrono::system_clock::time_point(std::chrono::seconds(1796445000)), "/");
  EXPECT_THAT(text, HasSubstr("created 2026-12-05T04:30:00Z on host worker-1"));
  EXPECT_THAT(text, HasSubstr("  state.json             /var/lib/nodeboot/state.json\n"));
  EXPECT_THAT(text, HasSubstr("skipped:\n  systemctl-status.txt   --root is not /\n"));
}

}  // namespace
}  // namespace nodeboot::run
