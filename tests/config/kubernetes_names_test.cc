// agent/config/kubernetes_names against upstream's own tables: the valid and invalid cases of
// k8s.io/apimachinery v0.36.3 pkg/api/validate/content dns_test.go (TestIsDNS1123Subdomain)
// and kube_test.go (TestIsLabelKey, TestIsLabelValue), which are also pkg/util/validation's
// TestIsDNS1123Subdomain, TestIsQualifiedName and TestIsValidLabelValue. Copied case for case,
// in upstream's order, so a difference from the Kubernetes API server shows up as one named case.
#include "agent/config/kubernetes_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "agent/config/load.h"

namespace nodeboot::config {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

std::string Repeat(char c, size_t n) { return std::string(n, c); }

struct NameCase {
  std::string input;
  bool valid;
};

std::vector<NameCase> Cases(const std::vector<std::string>& good, const std::vector<std::string>& bad) {
  std::vector<NameCase> cases;
  for (const auto& input : good) cases.push_back({input, true});
  for (const auto& input : bad) cases.push_back({input, false});
  return cases;
}

// Test names: Valid_3, Invalid_12 (the index within upstream's goodValues / badValues).
std::string CaseName(const ::testing::TestParamInfo<NameCase>& info, const std::vector<NameCase>& all) {
  size_t index = 0;
  for (size_t i = 0; i < info.index; ++i) {
    if (all[i].valid == info.param.valid) ++index;
  }
  return (info.param.valid ? "Valid_" : "Invalid_") + std::to_string(index);
}

// --- IsDNS1123Subdomain: node names and label key prefixes --------------------------------

const std::vector<NameCase>& Dns1123SubdomainCases() {
  // Upstream's layout, line for line.
  // clang-format off
  static const auto cases = Cases(
      {
          "a", "ab", "abc", "a1", "a-1", "a--1--2--b",
          "0", "01", "012", "1a", "1-a", "1--a--b--2",
          "a.a", "ab.a", "abc.a", "a1.a", "a-1.a", "a--1--2--b.a",
          "a.1", "ab.1", "abc.1", "a1.1", "a-1.1", "a--1--2--b.1",
          "0.a", "01.a", "012.a", "1a.a", "1-a.a", "1--a--b--2",
          "0.1", "01.1", "012.1", "1a.1", "1-a.1", "1--a--b--2.1",
          "a.b.c.d.e", "aa.bb.cc.dd.ee", "1.2.3.4.5", "11.22.33.44.55",
          Repeat('a', 253),
      },
      {
          "", "A", "ABC", "aBc", "A1", "A-1", "1-A",
          "-", "a-", "-a", "1-", "-1",
          "_", "a_", "_a", "a_b", "1_", "_1", "1_2",
          ".", "a.", ".a", "a..b", "1.", ".1", "1..2",
          " ", "a ", " a", "a b", "1 ", " 1", "1 2",
          "A.a", "aB.a", "ab.A", "A1.a", "a1.A",
          "A.1", "aB.1", "A1.1", "1A.1",
          "0.A", "01.A", "012.A", "1A.a", "1a.A",
          "A.B.C.D.E", "AA.BB.CC.DD.EE", "a.B.c.d.e", "aa.bB.cc.dd.ee",
          "a@b", "a,b", "a_b", "a;b",
          "a:b", "a%b", "a?b", "a$b",
          Repeat('a', 254),
      });
  // clang-format on
  return cases;
}

class Dns1123SubdomainTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(Dns1123SubdomainTest, MatchesUpstream) {
  const auto why = CheckDns1123Subdomain(GetParam().input);
  if (GetParam().valid) {
    EXPECT_THAT(why, IsEmpty()) << "\"" << GetParam().input << "\"";
  } else {
    EXPECT_THAT(why, Not(IsEmpty())) << "\"" << GetParam().input << "\" accepted";
  }
}

INSTANTIATE_TEST_SUITE_P(Upstream, Dns1123SubdomainTest, ::testing::ValuesIn(Dns1123SubdomainCases()),
                         [](const auto& info) { return CaseName(info, Dns1123SubdomainCases()); });

// --- IsLabelKey (IsQualifiedName): label and taint keys -----------------------------------

const std::vector<NameCase>& LabelKeyCases() {
  // Upstream's layout, line for line.
  // clang-format off
  static const auto cases = Cases(
      {
          "simple",
          "now-with-dashes",
          "1-starts-with-num",
          "1234",
          "simple/simple",
          "now-with-dashes/simple",
          "now-with-dashes/now-with-dashes",
          "now.with.dots/simple",
          "now-with.dashes-and.dots/simple",
          "1-num.2-num/3-num",
          "1234/5678",
          "1.2.3.4/5678",
          "Uppercase_Is_OK_123",
          "example.com/Uppercase_Is_OK_123",
          "requests.storage-foo",
          Repeat('a', 63),
          Repeat('a', 253) + "/" + Repeat('b', 63),
      },
      {
          "nospecialchars%^=@",
          "cantendwithadash-",
          "-cantstartwithadash-",
          "only/one/slash",
          "Example.com/abc",
          "example_com/abc",
          "example.com/",
          "/simple",
          Repeat('a', 64),
          Repeat('a', 254) + "/abc",
      });
  // clang-format on
  return cases;
}

class LabelKeyTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(LabelKeyTest, MatchesUpstream) {
  const auto why = CheckLabelKey(GetParam().input);
  if (GetParam().valid) {
    EXPECT_THAT(why, IsEmpty()) << "\"" << GetParam().input << "\"";
  } else {
    EXPECT_THAT(why, Not(IsEmpty())) << "\"" << GetParam().input << "\" accepted";
  }
}

INSTANTIATE_TEST_SUITE_P(Upstream, LabelKeyTest, ::testing::ValuesIn(LabelKeyCases()),
                         [](const auto& info) { return CaseName(info, LabelKeyCases()); });

// --- IsLabelValue (IsValidLabelValue): label and taint values -----------------------------

const std::vector<NameCase>& LabelValueCases() {
  // Upstream's layout, line for line.
  // clang-format off
  static const auto cases = Cases(
      {
          "simple",
          "now-with-dashes",
          "1-starts-with-num",
          "end-with-num-1",
          "1234",           // only num
          Repeat('a', 63),  // to the limit
          "",               // empty value
      },
      {
          "nospecialchars%^=@",
          "Tama-nui-te-r\xc4\x81.is.M\xc4\x81ori.sun",  // "Tama-nui-te-rā.is.Māori.sun" in UTF-8
          "\\backslashes\\are\\bad",
          "-starts-with-dash",
          "ends-with-dash-",
          ".starts.with.dot",
          "ends.with.dot.",
          Repeat('a', 64),  // over the limit
      });
  // clang-format on
  return cases;
}

class LabelValueTest : public ::testing::TestWithParam<NameCase> {};

TEST_P(LabelValueTest, MatchesUpstream) {
  const auto why = CheckLabelValue(GetParam().input);
  if (GetParam().valid) {
    EXPECT_THAT(why, IsEmpty()) << "\"" << GetParam().input << "\"";
  } else {
    EXPECT_THAT(why, Not(IsEmpty())) << "\"" << GetParam().input << "\" accepted";
  }
}

INSTANTIATE_TEST_SUITE_P(Upstream, LabelValueTest, ::testing::ValuesIn(LabelValueCases()),
                         [](const auto& info) { return CaseName(info, LabelValueCases()); });

// --- Beyond upstream's tables: the cases issue 16 found, and what the messages name ------------

TEST(KubernetesNamesTest, EmptyDotSeparatedPartsAreRefusedInNodeNamesAndKeyPrefixes) {
  // Accepted before issue 16; the API server and the kubelet refuse them.
  for (const std::string name : {"a..b", "a.-b", "a-.b", "worker-1.-x", "node.example-.com"}) {
    EXPECT_THAT(CheckDns1123Subdomain(name), Not(IsEmpty())) << name;
    EXPECT_THAT(CheckLabelKey(name + "/key"), StartsWith("prefix part ")) << name;
  }
  // Dots and dashes inside the name part (and in values) stay allowed, as upstream allows them.
  EXPECT_THAT(CheckLabelKey("example.com/a..b"), IsEmpty());
  EXPECT_THAT(CheckLabelKey("a.-b"), IsEmpty());
  EXPECT_THAT(CheckLabelValue("a-.b"), IsEmpty());
}

TEST(KubernetesNamesTest, LabelsOfASubdomainHaveNoLengthLimitOfTheirOwn) {
  // Upstream's subdomain regex bounds only the whole name (253), not each part (DNS's 63).
  EXPECT_THAT(CheckDns1123Subdomain(Repeat('a', 100) + "." + Repeat('b', 100)), IsEmpty());
}

TEST(KubernetesNamesTest, MessagesNameThePartThatIsWrong) {
  EXPECT_THAT(CheckDns1123Subdomain(""), HasSubstr("must not be empty"));
  EXPECT_THAT(CheckDns1123Subdomain(Repeat('a', 254)), HasSubstr("at most 253 characters, is 254"));
  EXPECT_THAT(CheckDns1123Subdomain("Worker_1"), HasSubstr("\"Worker_1\" may hold only lowercase letters"));
  EXPECT_THAT(CheckDns1123Subdomain("a..b"), HasSubstr("\"a..b\" has an empty part"));
  EXPECT_THAT(CheckDns1123Subdomain("a."), HasSubstr("has an empty part"));
  EXPECT_THAT(CheckDns1123Subdomain("a.-b"), HasSubstr("\"-b\" does not"));
  EXPECT_THAT(CheckDns1123Subdomain("a-.b"), HasSubstr("\"a-\" does not"));

  EXPECT_THAT(CheckLabelKey(""), HasSubstr("must not be empty"));
  EXPECT_THAT(CheckLabelKey("only/one/slash"), HasSubstr("more than one '/'"));
  EXPECT_THAT(CheckLabelKey("/simple"), HasSubstr("prefix part before '/' must not be empty"));
  EXPECT_THAT(CheckLabelKey("example.com/"), HasSubstr("name part must not be empty"));
  EXPECT_THAT(CheckLabelKey("Example.com/abc"), StartsWith("prefix part \"Example.com\" may hold only lowercase"));
  EXPECT_THAT(CheckLabelKey(Repeat('a', 64)), HasSubstr("longer than 63 characters"));
  EXPECT_THAT(CheckLabelKey("-bad"), HasSubstr("name part \"-bad\" must start and end with a letter or digit"));
  EXPECT_THAT(CheckLabelKey("nospecialchars%^=@"), HasSubstr("may hold only letters, digits, '-', '_' and '.'"));

  EXPECT_THAT(CheckLabelValue(Repeat('a', 64)), HasSubstr("longer than 63 characters"));
  EXPECT_THAT(CheckLabelValue("data science"), HasSubstr("value \"data science\" may hold only"));
  EXPECT_THAT(CheckLabelValue("ends-with-dash-"), HasSubstr("must start and end with a letter or digit"));
}

TEST(KubernetesNamesTest, ConfigErrorsNameTheFieldAndWhatIsWrong) {
  // Through the config loader: the error starts with the field path, then says what is wrong.
  const auto result = ParseConfig(R"(
node:
  name: worker-1.-x
nodeTemplate:
  k8sTags:
    a..b/team: x
  taints:
    - key: example.com-./gpu
      value: "true"
      effect: NoSchedule
)",
                                  Paths("/"));
  std::vector<std::string> errors;
  for (const auto& error : result.errors) errors.push_back(error.ToString());
  EXPECT_THAT(errors,
              ::testing::UnorderedElementsAre(
                  AllOf(StartsWith("node.name: not a valid Kubernetes node name"), HasSubstr("\"-x\" does not")),
                  AllOf(StartsWith("nodeTemplate.k8sTags.a..b/team: invalid label key: prefix part"),
                        HasSubstr("has an empty part")),
                  AllOf(StartsWith("nodeTemplate.taints[0].key: invalid taint key: prefix part"),
                        HasSubstr("\"com-\" does not"))));
}

TEST(KubernetesNamesTest, TaintEffectsAreTheThreeUpstreamAllows) {
  for (const char* effect : {"NoSchedule", "PreferNoSchedule", "NoExecute"}) {
    EXPECT_THAT(CheckTaintEffect(effect), IsEmpty()) << effect;
  }
  for (const char* effect : {"", "noschedule", "NoScheduled", "None"}) {
    EXPECT_THAT(CheckTaintEffect(effect), HasSubstr("must be NoSchedule, PreferNoSchedule or NoExecute")) << effect;
  }
}

TEST(KubernetesNamesTest, SelfLabelsFollowNodeRestriction) {
  // k8s.io/kubelet/pkg/apis IsKubeletLabel and noderestriction getForbiddenLabels.
  for (const char* key :
       {"team", "example.com/team", "kubernetes.io/hostname", "kubernetes.io/arch", "kubernetes.io/os",
        "beta.kubernetes.io/arch", "beta.kubernetes.io/os", "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type", "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone", "topology.kubernetes.io/region", "topology.kubernetes.io/zone",
        "node.kubernetes.io/pool", "foo.node.kubernetes.io/x", "kubelet.kubernetes.io/x", "a.kubelet.kubernetes.io/x",
        "notkubernetes.io/x", "k8s.io.example.com/x"}) {
    EXPECT_THAT(CheckSelfLabelAllowed(key), IsEmpty()) << key;
  }
  EXPECT_THAT(CheckSelfLabelAllowed("node-role.kubernetes.io/worker"), HasSubstr("node-role.kubernetes.io/*"));
  EXPECT_THAT(CheckSelfLabelAllowed("node-restriction.kubernetes.io/pool"),
              HasSubstr("node-restriction.kubernetes.io/*"));
  EXPECT_THAT(CheckSelfLabelAllowed("a.node-restriction.kubernetes.io/pool"),
              HasSubstr("node-restriction.kubernetes.io/*"));
  for (const char* key : {"kubernetes.io/role", "k8s.io/x", "example.k8s.io/x", "topology.kubernetes.io/rack",
                          "kubernetes.io/instance-type"}) {
    EXPECT_THAT(CheckSelfLabelAllowed(key), HasSubstr("NodeRestriction admission plugin forbids")) << key;
  }
}

}  // namespace
}  // namespace nodeboot::config
