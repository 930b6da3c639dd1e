#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/config/load.h"
#include "tests/config/golden.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::config {
namespace {

using storage::LvType;
using storage::SpaceKind;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

LoadResult Parse(std::string_view text) { return ParseConfig(text, Paths("/")); }

std::string Errors(const LoadResult& result) {
  std::string all;
  for (const auto& error : result.errors) all += error.ToString() + "\n";
  return all;
}

TEST(GoldenConfigs, ValidOnesLoadClean) {
  const auto configs = nodeboot::testing::GoldenConfigs("valid");
  ASSERT_GE(configs.size(), 5u);
  for (const auto& golden : configs) {
    const auto result = LoadConfig(Paths("/"), golden.path.string());
    EXPECT_TRUE(result.ok()) << golden.path << ":\n" << Errors(result);
  }
}

TEST(GoldenConfigs, EachInvalidOneGivesExactlyItsErrors) {
  const auto configs = nodeboot::testing::GoldenConfigs("invalid");
  ASSERT_GE(configs.size(), 40u);
  for (const auto& golden : configs) {
    SCOPED_TRACE(golden.path.filename().string());
    ASSERT_FALSE(golden.expected.empty()) << "a golden file needs `# expect:` lines";
    const auto result = LoadConfig(Paths("/"), golden.path.string());
    EXPECT_EQ(result.errors.size(), golden.expected.size()) << Errors(result);
    for (const auto& expected : golden.expected) {
      EXPECT_THAT(Errors(result), HasSubstr(expected));
    }
  }
}

TEST(NodeConfig, SeedRequestBecomesTypedValues) {
  const auto result =
      LoadConfig(Paths("/"), std::string(NODEBOOT_SOURCE_DIR) + "/tests/data/config/valid/cce-cluster-request.json");
  ASSERT_TRUE(result.ok()) << Errors(result);
  const NodeTemplate& tmpl = result.config.node_template;
  EXPECT_EQ(tmpl.max_pods, 110);
  EXPECT_EQ(tmpl.pre_install_script->Reveal(), "ls -l");
  EXPECT_EQ(tmpl.post_install_script->Reveal(), "ls -l\n");
  EXPECT_THAT(tmpl.labels, ElementsAre(Pair("tag1", "value1"), Pair("tag2", "value2")));
  ASSERT_EQ(tmpl.taints.size(), 2u);
  EXPECT_EQ(tmpl.taints[1].key, "ccc");
  EXPECT_EQ(tmpl.taints[1].effect, "NoSchedule");
  ASSERT_EQ(tmpl.data_volumes.size(), 1u);
  EXPECT_EQ(tmpl.data_volumes[0].size_gib, 100);
  // The legacy override maps onto one vgpaas group over every EVS disk.
  ASSERT_TRUE(tmpl.storage);
  EXPECT_EQ(tmpl.storage->source, storage::Spec::Source::kLegacyOverride);
  ASSERT_EQ(tmpl.storage->groups.size(), 1u);
  const auto& group = tmpl.storage->groups[0];
  EXPECT_EQ(group.name, "vgpaas");
  EXPECT_TRUE(group.cce_managed);
  ASSERT_EQ(group.spaces.size(), 2u);
  EXPECT_EQ(group.spaces[0].kind, SpaceKind::kRuntime);
  EXPECT_EQ(group.spaces[0].percent, 90);
  EXPECT_EQ(group.spaces[1].kind, SpaceKind::kKubernetes);
  EXPECT_EQ(group.spaces[1].percent, 10);
  EXPECT_EQ(tmpl.storage->selectors[0].type, storage::StorageType::kEvs);
  EXPECT_EQ(result.config.cluster.join, JoinMode::kNone);
  EXPECT_FALSE(result.config.task.enabled());
}

TEST(NodeConfig, StorageObjectWinsOverTheLegacyString) {
  const auto result = LoadConfig(
      Paths("/"), std::string(NODEBOOT_SOURCE_DIR) + "/tests/data/config/valid/cce-cluster-response-storage.yaml");
  ASSERT_TRUE(result.ok()) << Errors(result);
  const auto& spec = *result.config.node_template.storage;
  EXPECT_EQ(spec.source, storage::Spec::Source::kStorage);
  ASSERT_EQ(spec.selectors.size(), 1u);
  EXPECT_EQ(spec.selectors[0].match.size_gib, 100);
  EXPECT_EQ(spec.selectors[0].match.volume_type, "SAS");
  EXPECT_EQ(spec.selectors[0].match.count, 1);
  EXPECT_EQ(result.config.node_template.max_pods, 110);  // "110" as a string works too
}

TEST(NodeConfig, FullConfigHasEverySection) {
  const auto result = LoadConfig(Paths("/"), std::string(NODEBOOT_SOURCE_DIR) + "/tests/data/config/valid/full.yaml");
  ASSERT_TRUE(result.ok()) << Errors(result);
  const NodeConfig& config = result.config;
  EXPECT_EQ(config.node.name, "worker-1");
  EXPECT_EQ(config.node.instance_id, "i-0abc");
  EXPECT_EQ(config.task.id, "task-4711");
  EXPECT_EQ(config.task.token.Reveal(), "canary-task-token-7f3a");
  EXPECT_EQ(config.cluster.join, JoinMode::kKubeadm);
  EXPECT_EQ(config.cluster.bootstrap_token.Reveal(), "abcdef.0123456789abcdef");
  ASSERT_EQ(config.disks.size(), 2u);
  EXPECT_EQ(config.disks[0].encrypted, true);
  EXPECT_EQ(config.disks[0].size_gib, 100);
  EXPECT_EQ(config.filesystem, storage::Filesystem::kXfs);
  const auto& spec = *config.node_template.storage;
  ASSERT_EQ(spec.groups.size(), 2u);
  EXPECT_EQ(spec.groups[1].spaces[0].kind, SpaceKind::kUser);
  EXPECT_EQ(spec.groups[1].spaces[0].lv_type, LvType::kStriped);
  EXPECT_EQ(spec.groups[1].spaces[0].path, "/data/fast_1");
  EXPECT_EQ(spec.selectors[0].match.encrypted, true);
  EXPECT_THAT(config.SecretValues(),
              ElementsAre("canary-task-token-7f3a", "abcdef.0123456789abcdef", "echo pre\n", "echo post\n"));
}

TEST(NodeConfig, ClusterDnsCgroupsTimeoutsAndABareCriSocket) {
  const auto result = Parse(
      "cluster:\n  join: kubelet\n  apiServer: https://10.0.0.10:6443\n  caFile: /etc/kubernetes/pki/ca.crt\n"
      "  bootstrapToken: abcdef.0123456789abcdef\n  criSocket: /run/containerd/containerd.sock\n"
      "  clusterDNS: [10.247.3.10, 'fd00::a']\n  clusterDomain: corp.local\n  failCgroupV1: false\n"
      "  discoveryTimeoutSeconds: 600\n  tlsBootstrapTimeoutSeconds: 420\n  kubeletHealthCheckTimeoutSeconds: 60\n");
  ASSERT_TRUE(result.ok()) << Errors(result);
  const ClusterSection& cluster = result.config.cluster;
  // kubeadm and the kubelet want a URL; a bare path gets the scheme.
  EXPECT_EQ(cluster.cri_socket, "unix:///run/containerd/containerd.sock");
  EXPECT_THAT(cluster.cluster_dns, ElementsAre("10.247.3.10", "fd00::a"));
  EXPECT_EQ(cluster.cluster_domain, "corp.local");
  EXPECT_FALSE(cluster.fail_cgroup_v1);
  EXPECT_EQ(cluster.discovery_timeout_seconds, 600);
  EXPECT_EQ(cluster.tls_bootstrap_timeout_seconds, 420);
  EXPECT_EQ(cluster.kubelet_health_check_timeout_seconds, 60);
  // Defaults: kubeadm's own limits, failCgroupV1 as upstream.
  const ClusterSection defaults;
  EXPECT_TRUE(defaults.fail_cgroup_v1);
  EXPECT_EQ(defaults.discovery_timeout_seconds + defaults.tls_bootstrap_timeout_seconds +
                defaults.kubelet_health_check_timeout_seconds,
            300 + 300 + 240);
}

TEST(NodeConfig, ErrorsCarryTheLineNumber) {
  const auto result = Parse("node:\n  name: ok\ntask:\n  timeoutSeconds: 0\n");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].ToString(), "task.timeoutSeconds: must be from 1 to 600, got 0 (line 4)");
}

TEST(NodeConfig, CollectsEveryErrorNotJustTheFirst) {
  const auto result = Parse("node: {name: BAD}\ntask: {timeoutSeconds: 0}\nscripts: {preInstallTimeoutSeconds: x}\n");
  EXPECT_EQ(result.errors.size(), 3u) << Errors(result);
}

TEST(NodeConfig, UnknownKeysInsideNodeTemplateAreIgnored) {
  const auto result = Parse("nodeTemplate:\n  flavor: x\n  futureField: {a: 1}\n  extendParam: {newKnob: 3}\n");
  EXPECT_TRUE(result.ok()) << Errors(result);
}

TEST(NodeConfig, TokenFileIsReadUnderTheRoot) {
  nodeboot::testing::TempDir root;
  root.Write("etc/nodeboot/token", "  file-token-canary\n");
  const auto result =
      ParseConfig("task: {id: t, url: 'http://127.0.0.1:1/r', tokenFile: /etc/nodeboot/token}\n", Paths(root.path()));
  ASSERT_TRUE(result.ok()) << Errors(result);
  EXPECT_EQ(result.config.task.token.Reveal(), "file-token-canary");
}

TEST(NodeConfig, NoErrorMessageRepeatsASecret) {
  const auto result = Parse(
      "task: {id: t, url: 'https://x/r', token: canary-secret-value, timeoutSeconds: 0}\n"
      "cluster: {join: kubeadm, apiServer: 'https://a:6443', caCertHash: bad, bootstrapToken: CANARY.not-a-token}\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(Errors(result), ::testing::Not(HasSubstr("canary-secret-value")));
  EXPECT_THAT(Errors(result), ::testing::Not(HasSubstr("CANARY")));
}

TEST(NodeConfig, LabelsInTheKubeletsOwnNamespacesAreAllowed) {
  const auto result = Parse(
      "nodeTemplate:\n  k8sTags:\n    node.kubernetes.io/pool: a\n    kubelet.kubernetes.io/x: b\n"
      "    topology.kubernetes.io/zone: z\n    example.com/team: c\n");
  EXPECT_TRUE(result.ok()) << Errors(result);
}

TEST(NodeConfig, JsonWithTabsIsAccepted) {
  const auto result = Parse("{\n\t\"node\": {\n\t\t\"name\": \"w1\"\n\t}\n}\n");
  ASSERT_TRUE(result.ok()) << Errors(result);
  EXPECT_EQ(result.config.node.name, "w1");
}

// Issue 15.11: the JSON fallback kept the last of two equal keys.
TEST(NodeConfig, JsonWithARepeatedKeyIsRefused) {
  const auto result = Parse("{\n\t\"nodeTemplate\": {\"k8sTags\": {\"team\": \"a\", \"team\": \"b\"}}\n}\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(Errors(result), HasSubstr("appears more than once"));
}

// Issue 15.10: a token in task.url's userinfo was echoed by the error; one in its query is a secret.
TEST(NodeConfig, CredentialsInTheTaskUrlAreNeitherEchoedNorKept) {
  auto result = Parse("task: {id: t, url: 'https://me:USERINFO-CANARY@x/r', token: tok-123456789}\n");
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(Errors(result), HasSubstr("https://***@x/r"));
  EXPECT_THAT(Errors(result), ::testing::Not(HasSubstr("USERINFO-CANARY")));
  result = Parse("task: {id: t, url: 'https://x/r?region=1&X-Amz-Signature=QUERY-CANARY', token: tok-123456789}\n");
  ASSERT_TRUE(result.ok()) << Errors(result);
  EXPECT_THAT(result.config.SecretValues(), ::testing::Contains("QUERY-CANARY"));
}

// Found by tests/fuzz/config_fuzz: yaml-cpp 0.7.0's LoadAll never returns on a stream with a
// lone ',' and allocates until the process dies; the document parser must fail instead.
TEST(NodeConfig, YamlThatStallsTheParserIsAnErrorNotAHang) {
  for (const char* text : {",", " ,\n", ", expect: x\ncluster:\n  join: none\n"}) {
    const auto result = Parse(text);
    ASSERT_EQ(result.errors.size(), 1u) << text;
    EXPECT_EQ(result.errors[0].message, "not valid YAML: cannot parse past this point (line 1)");
  }
  EXPECT_EQ(Parse("a: 1\n---\nb: 2\n").errors[0].message, "holds more than one YAML document");
  EXPECT_EQ(Parse("---\n").errors[0].message, "the config is empty");
}

// The document is built from the parser's events: anchors and aliases copy what they name,
// a message about an alias points at the alias's own line, and a complex key reads as YAML.
TEST(NodeConfig, AliasesCopyWhatTheirAnchorNamesAndReportTheirOwnLine) {
  const auto result = Parse(
      "node: {name: w1}\n"
      "nodeTemplate:\n"
      "  extendParam: &tags {team: a}\n"
      "  k8sTags: *tags\n"
      "task: *tags\n");
  ASSERT_EQ(result.errors.size(), 1u) << Errors(result);
  EXPECT_EQ(result.errors[0].ToString(),
            "task.team: unknown key (known here: url, id, token, tokenFile, caFile, timeoutSeconds, deliverySeconds) "
            "(line 5)");
  const auto aliased = Parse("node: {name: w1}\nnodeTemplate:\n  extendParam: &tags {team: a}\n  k8sTags: *tags\n");
  ASSERT_TRUE(aliased.ok()) << Errors(aliased);
  EXPECT_THAT(aliased.config.node_template.labels, ElementsAre(Pair("team", "a")));
  const auto complex_key = Parse("node: {name: w1}\n? [a, b]\n: 1\n");
  ASSERT_EQ(complex_key.errors.size(), 1u) << Errors(complex_key);
  EXPECT_THAT(complex_key.errors[0].ToString(), HasSubstr("- a\n- b: unknown key"));
}

// A message about a key names the key's line. yaml-cpp marks an empty value where the next
// token starts and a nested mapping at its first key: both were reported one line too late.
TEST(NodeConfig, KeyErrorsNameTheKeysLineWhateverItsValue) {
  const auto result = Parse(
      "node:\n"
      "  bogus:\n"
      "  name: w1\n"
      "  nested:\n"
      "    a: 1\n"
      "  name: w2\n"
      "task:\n"
      "  timeoutSeconds:\n"
      "  url: https://task.example/t\n");
  EXPECT_THAT(Errors(result), HasSubstr("node.bogus: unknown key (known here: name, instanceId) (line 2)\n"));
  EXPECT_THAT(Errors(result), HasSubstr("node.nested: unknown key (known here: name, instanceId) (line 4)\n"));
  EXPECT_THAT(Errors(result), HasSubstr("node.name: appears more than once (line 6)\n"));
  const auto merge = Parse("base: &b {name: w1}\nnode:\n  <<: *b\n");
  EXPECT_THAT(Errors(merge), HasSubstr("node.<<: YAML merge keys are not supported: write the keys out (line 3)"));
  const auto label = Parse("node: {name: w1}\nnodeTemplate:\n  k8sTags:\n    -bad-:\n      x\n");
  EXPECT_THAT(Errors(label), HasSubstr("nodeTemplate.k8sTags.-bad-: invalid label key"));
  EXPECT_THAT(Errors(label), HasSubstr("(line 4)"));
}

// Caught by ASan in tests/fuzz/config_fuzz (on a written input: 400 KB is past the fuzzer's
// input sizes): JSON nested 100000 deep, refused by yaml-cpp, reached the JSON fallback, whose
// conversion recursed until the stack overflowed.
TEST(NodeConfig, DeeplyNestedJsonIsAnErrorNotAStackOverflow) {
  const size_t depth = 100000;
  const auto result = Parse("{\"a\": " + std::string(depth, '[') + std::string(depth, ']') + "}");
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].message, "not valid YAML or JSON: nested deeper than 2000 levels");
}

TEST(NodeConfig, UserPathMayNotNestInsideAnotherMount) {
  const auto result = Parse(R"(nodeTemplate:
  runtime: {name: docker}
  storage:
    storageSelectors: [{name: a, storageType: evs}]
    storageGroups:
      - name: vgpaas
        cceManaged: true
        selectorNames: [a]
        virtualSpaces:
          - {name: runtime, size: "50%"}
          - {name: kubernetes, size: "10%"}
          - {name: user, size: "10%", lvmConfig: {path: /var/lib/docker/volumes}}
)");
  EXPECT_THAT(Errors(result),
              HasSubstr("virtualSpaces[2]: mount point /var/lib/docker/volumes overlaps /var/lib/docker"));
}

}  // namespace
}  // namespace nodeboot::config
