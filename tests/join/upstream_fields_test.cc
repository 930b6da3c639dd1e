// The join files nodeboot writes, checked against the field lists of the upstream Go types that
// read them (issue 16): every key of every document in tests/data/join/golden/*.yaml must exist
// in tests/data/join/upstream/<apiVersion>-<kind>.fields, with the same shape (object, list,
// free-keyed map or scalar) and a scalar that the upstream JSON decoder accepts for its type.
// kubeadm and the kubelet decode YAML by converting it to JSON with YAML 1.1 scalar rules, then
// decode strictly: an unknown key is an error, a map where a list belongs is an error (kubeadm
// exits 1), and an unquoted `110` or `true` where a string belongs is "cannot unmarshal number
// into Go struct field". tests/data/join/upstream/README.md describes the field-list format.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace nodeboot::join {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const fs::path kGoldenDir = NODEBOOT_JOIN_GOLDEN_DIR;
const fs::path kUpstreamDir = NODEBOOT_JOIN_UPSTREAM_DIR;

// --- The field lists ---------------------------------------------------------------------

const std::set<std::string> kScalarKinds = {"string", "bool",     "int",           "float",           "duration",
                                            "time",   "quantity", "int-or-string", "duration-or-int", "any"};

bool IsKnownKind(const std::string& kind) {
  if (kind == "object" || kind == "list" || kind == "map" || kScalarKinds.contains(kind)) return true;
  for (const std::string prefix : {"list-of-", "map-of-"}) {
    if (kind.starts_with(prefix)) return IsKnownKind(kind.substr(prefix.size()));
  }
  return false;
}

struct FieldList {
  std::string name;                          // the file name, for messages
  std::map<std::string, std::string> kinds;  // schema path -> kind
  std::vector<std::string> problems;         // lines that could not be read
};

FieldList ReadFieldList(const fs::path& file) {
  FieldList list{file.filename().string(), {}, {}};
  std::ifstream in(file);
  if (!in) list.problems.push_back("cannot open " + file.string());
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.empty() || line.starts_with('#')) continue;
    const auto space = line.find(' ');
    const std::string path = line.substr(0, space);
    const std::string kind = space == std::string::npos ? "" : line.substr(space + 1);
    if (path.empty() || !IsKnownKind(kind) || list.kinds.contains(path)) {
      list.problems.push_back(list.name + ":" + std::to_string(number) +
                              ": not `path kind` or a repeated path: " + line);
      continue;
    }
    list.kinds[path] = kind;
  }
  return list;
}

// "kubeadm.k8s.io/v1beta4" + "JoinConfiguration" ->
// "kubeadm.k8s.io-v1beta4-JoinConfiguration.fields"
fs::path FieldListFile(std::string api_version, const std::string& kind) {
  std::replace(api_version.begin(), api_version.end(), '/', '-');
  return kUpstreamDir / (api_version + "-" + kind + ".fields");
}

// --- YAML scalars as the upstream decoders read them ---------------------------------------

enum class ScalarType { kString, kInt, kFloat, kBool, kNull };

// What a scalar becomes in the JSON that sigs.k8s.io/yaml (go-yaml v2, YAML 1.1 rules) makes of
// it. Quoted scalars stay strings; plain ones may turn into numbers, booleans or null.
ScalarType JsonTypeOf(const YAML::Node& node) {
  if (node.IsNull()) return ScalarType::kNull;        // yaml-cpp already read `~`, `null` or nothing
  if (node.Tag() != "?") return ScalarType::kString;  // quoted ("!") or explicitly tagged
  const std::string& text = node.Scalar();
  static const std::set<std::string> kNull = {"", "~", "null", "Null", "NULL"};
  static const std::set<std::string> kBool = {"y",  "Y",  "yes",  "Yes",  "YES",  "n",     "N",     "no",
                                              "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                                              "on", "On", "ON",   "off",  "Off",  "OFF"};
  static const std::regex kInt(R"([-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*))");
  static const std::regex kFloat(
      R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  if (kNull.contains(text)) return ScalarType::kNull;
  if (kBool.contains(text)) return ScalarType::kBool;
  if (std::regex_match(text, kInt)) return ScalarType::kInt;
  if (std::regex_match(text, kFloat)) return ScalarType::kFloat;
  return ScalarType::kString;
}

const char* Describe(ScalarType type) {
  switch (type) {
    case ScalarType::kString:
      return "a string";
    case ScalarType::kInt:
      return "an integer";
    case ScalarType::kFloat:
      return "a float";
    case ScalarType::kBool:
      return "a boolean";
    case ScalarType::kNull:
      return "null";
  }
  return "?";
}

// Go's time.ParseDuration, which metav1.Duration uses: "0", or one or more number+unit.
bool IsGoDuration(const std::string& text) {
  static const std::regex kDuration(R"([-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+))");
  return std::regex_match(text, kDuration);
}

// Whether the upstream decoder accepts this scalar for a field of `kind`, else why not.
std::string CheckScalar(const YAML::Node& node, const std::string& kind) {
  const ScalarType type = JsonTypeOf(node);
  if (type == ScalarType::kNull || kind == "any") return "";  // null leaves Go's zero value
  const auto want = [&](std::initializer_list<ScalarType> allowed, const char* what) -> std::string {
    if (std::find(allowed.begin(), allowed.end(), type) != allowed.end()) return "";
    std::string why = std::string("is ") + Describe(type) + " (" + node.Scalar() + "), the field is " + what;
    if (kind == "string" || kind == "duration" || kind == "time") why += ": quote it";
    return why;
  };
  if (kind == "string") return want({ScalarType::kString}, "a string");
  if (kind == "bool") return want({ScalarType::kBool}, "a boolean");
  if (kind == "int") return want({ScalarType::kInt}, "an integer");
  if (kind == "float") return want({ScalarType::kInt, ScalarType::kFloat}, "a number");
  if (kind == "quantity") return want({ScalarType::kString, ScalarType::kInt, ScalarType::kFloat}, "a quantity");
  if (kind == "int-or-string") return want({ScalarType::kString, ScalarType::kInt}, "an int or a string");
  if (kind == "time") return want({ScalarType::kString}, "an RFC 3339 time");
  if (kind == "duration" || kind == "duration-or-int") {
    if (kind == "duration-or-int" && type == ScalarType::kInt) return "";
    if (auto why = want({ScalarType::kString}, "a duration string such as \"5m0s\""); !why.empty()) return why;
    if (!IsGoDuration(node.Scalar())) return "\"" + node.Scalar() + "\" is not a Go duration such as \"5m0s\"";
    return "";
  }
  return "unhandled kind " + kind;
}

// --- The checker -----------------------------------------------------------------------------

// Walks a YAML value against the field list. `path` names the value in messages
// (nodeRegistration.kubeletExtraArgs[0].name); `schema` is its path in the field list
// (nodeRegistration.kubeletExtraArgs[].name).
class ShapeChecker {
 public:
  explicit ShapeChecker(const FieldList& fields) : fields_(fields) {}

  std::vector<std::string> Check(const YAML::Node& document) {
    problems_.clear();
    CheckObject(document, "", "");
    return problems_;
  }

 private:
  static std::string Shape(const YAML::Node& node) {
    if (node.IsMap()) return "a map";
    if (node.IsSequence()) return "a list";
    if (node.IsNull()) return "null";
    return "a scalar";
  }

  void Fail(const std::string& path, const std::string& why) {
    problems_.push_back(fields_.name + ": " + (path.empty() ? "(document)" : path) + ": " + why);
  }

  void CheckObject(const YAML::Node& node, const std::string& path, const std::string& schema) {
    if (!node.IsMap()) return Fail(path, "is " + Shape(node) + ", upstream has an object (map of fields)");
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        Fail(path, "has a key that is not a scalar");
        continue;
      }
      const std::string key = entry.first.Scalar();
      const std::string child_path = path.empty() ? key : path + "." + key;
      const std::string child_schema = schema.empty() ? key : schema + "." + key;
      const auto found = fields_.kinds.find(child_schema);
      if (found == fields_.kinds.end()) {
        Fail(child_path, "unknown field: upstream has no " + child_schema);
        continue;
      }
      CheckValue(entry.second, child_path, child_schema, found->second);
    }
  }

  void CheckValue(const YAML::Node& node, const std::string& path, const std::string& schema, const std::string& kind) {
    if (node.IsNull()) return;  // JSON null: Go leaves the zero value
    if (kind == "object") return CheckObject(node, path, schema);
    if (kind == "list" || kind.starts_with("list-of-")) {
      if (!node.IsSequence()) return Fail(path, "is " + Shape(node) + ", upstream has a list (" + kind + ")");
      for (size_t i = 0; i < node.size(); ++i) {
        const std::string item = path + "[" + std::to_string(i) + "]";
        if (kind == "list") {
          CheckObject(node[i], item, schema + "[]");
        } else {
          CheckValue(node[i], item, schema + "[]", kind.substr(8));
        }
      }
      return;
    }
    if (kind == "map" || kind.starts_with("map-of-")) {
      if (!node.IsMap()) return Fail(path, "is " + Shape(node) + ", upstream has a map with free keys (" + kind + ")");
      for (const auto& entry : node) {
        const std::string item = path + "{" + entry.first.Scalar() + "}";
        if (!entry.first.IsScalar() || JsonTypeOf(entry.first) == ScalarType::kNull) {
          Fail(item, "a map key must be a string");
        } else if (kind == "map") {
          CheckObject(entry.second, item, schema + "{}");
        } else {
          CheckValue(entry.second, item, schema + "{}", kind.substr(7));
        }
      }
      return;
    }
    if (kind == "any") return;
    if (!node.IsScalar()) return Fail(path, "is " + Shape(node) + ", upstream has a scalar (" + kind + ")");
    if (auto why = CheckScalar(node, kind); !why.empty()) Fail(path, why);
  }

  const FieldList& fields_;
  std::vector<std::string> problems_;
};

// Every problem of one YAML document: the field list it names, then its keys against that list.
std::vector<std::string> CheckDocument(const YAML::Node& document) {
  if (!document.IsMap() || !document["apiVersion"] || !document["kind"] || !document["apiVersion"].IsScalar() ||
      !document["kind"].IsScalar()) {
    return {"not a map with apiVersion and kind"};
  }
  const fs::path file = FieldListFile(document["apiVersion"].Scalar(), document["kind"].Scalar());
  if (!fs::exists(file)) {
    return {"no upstream field list for apiVersion " + document["apiVersion"].Scalar() + ", kind " +
            document["kind"].Scalar() + " (looked for " + file.filename().string() + ")"};
  }
  const FieldList fields = ReadFieldList(file);
  if (!fields.problems.empty()) return fields.problems;
  return ShapeChecker(fields).Check(document);
}

std::vector<std::string> CheckYaml(const std::string& text) {
  std::vector<std::string> problems;
  for (const auto& document : YAML::LoadAll(text)) {
    for (auto& problem : CheckDocument(document)) problems.push_back(std::move(problem));
  }
  return problems;
}

std::vector<fs::path> GoldenFiles() {
  std::vector<fs::path> files;
  if (!fs::is_directory(kGoldenDir)) return files;
  for (const auto& entry : fs::directory_iterator(kGoldenDir)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<fs::path> UpstreamLists() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kUpstreamDir)) {
    if (entry.path().extension() == ".fields") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// --- The golden files against upstream -------------------------------------------------------

TEST(UpstreamFieldsTest, GoldenDirHoldsTheJoinFiles) {
  EXPECT_FALSE(GoldenFiles().empty()) << "no *.yaml in " << kGoldenDir
                                      << ": the golden renderings of the join files are missing";
}

TEST(UpstreamFieldsTest, EveryGoldenDocumentMatchesItsUpstreamFieldList) {
  for (const auto& file : GoldenFiles()) {
    SCOPED_TRACE(file.filename().string());
    try {
      const auto documents = YAML::LoadAllFromFile(file.string());
      EXPECT_FALSE(documents.empty()) << "no YAML document";
      for (const auto& document : documents) EXPECT_THAT(CheckDocument(document), IsEmpty());
    } catch (const YAML::Exception& e) {
      ADD_FAILURE() << "not YAML: " << e.what();
    }
  }
}

TEST(UpstreamFieldsTest, TheGoldenFilesCoverEveryUpstreamFieldList) {
  // The issue's bar: v1beta3, v1beta4, KubeletConfiguration v1beta1 (and the kubeconfig).
  std::set<std::string> covered;
  for (const auto& file : GoldenFiles()) {
    try {
      for (const auto& document : YAML::LoadAllFromFile(file.string())) {
        if (document.IsMap() && document["apiVersion"] && document["kind"]) {
          covered.insert(FieldListFile(document["apiVersion"].as<std::string>(), document["kind"].as<std::string>())
                             .filename()
                             .string());
        }
      }
    } catch (const YAML::Exception&) {
      // Reported by EveryGoldenDocumentMatchesItsUpstreamFieldList.
    }
  }
  for (const auto& list : UpstreamLists()) {
    EXPECT_TRUE(covered.contains(list.filename().string()))
        << "no golden file in " << kGoldenDir << " is a " << list.filename().string() << " document";
  }
}

// --- The field lists themselves --------------------------------------------------------------

TEST(UpstreamFieldsTest, FieldListsAreWellFormed) {
  const auto lists = UpstreamLists();
  ASSERT_EQ(lists.size(), 4u) << "expected the four lists README.md describes";
  for (const auto& file : lists) {
    SCOPED_TRACE(file.filename().string());
    const FieldList list = ReadFieldList(file);
    EXPECT_THAT(list.problems, IsEmpty());
    EXPECT_EQ(list.kinds.count("apiVersion"), 1u);
    EXPECT_EQ(list.kinds.count("kind"), 1u);
    // Every path's parent is declared, as an object (a.b), a list of objects (a[].b) or a map
    // of objects (a{}.b).
    for (const auto& [path, kind] : list.kinds) {
      const auto dot = path.rfind('.');
      if (dot == std::string::npos) continue;
      std::string parent = path.substr(0, dot);
      std::string want = "object";
      if (parent.ends_with("[]")) {
        parent.resize(parent.size() - 2);
        want = "list";
      } else if (parent.ends_with("{}")) {
        parent.resize(parent.size() - 2);
        want = "map";
      }
      const auto found = list.kinds.find(parent);
      EXPECT_TRUE(found != list.kinds.end() && found->second == want)
          << path << ": parent " << parent << " is not declared as " << want;
    }
  }
}

// --- The checker: what it accepts and what it catches ----------------------------------------

constexpr const char* kV1beta3 = R"(apiVersion: kubeadm.k8s.io/v1beta3
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "10.0.0.10:6443"
    token: "abcdef.0123456789abcdef"
    caCertHashes:
      - "sha256:00ff"
  timeout: 5m0s
nodeRegistration:
  name: worker-1
  criSocket: "unix:///run/containerd/containerd.sock"
  taints:
    - key: dedicated
      value: gpu
      effect: NoSchedule
  kubeletExtraArgs:
    node-labels: "team=a"
    max-pods: "110"
)";

constexpr const char* kV1beta4 = R"(apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "10.0.0.10:6443"
    token: "abcdef.0123456789abcdef"
    caCertHashes: ["sha256:00ff"]
nodeRegistration:
  name: worker-1
  criSocket: "unix:///run/containerd/containerd.sock"
  taints: []
  kubeletExtraArgs:
    - name: max-pods
      value: "110"
timeouts:
  discovery: 5m0s
  tlsBootstrap: 5m
  kubeletHealthCheck: 4m0s
)";

constexpr const char* kKubelet = R"(apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS: [10.247.3.10]
clusterDomain: cluster.local
containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock"
failCgroupV1: false
maxPods: 110
featureGates:
  SomeGate: true
systemReserved:
  cpu: 100m
registerWithTaints:
  - key: dedicated
    effect: NoSchedule
logging:
  flushFrequency: 5s
)";

constexpr const char* kKubeconfig = R"(apiVersion: v1
kind: Config
clusters:
  - name: bootstrap
    cluster:
      server: "https://10.0.0.10:6443"
      certificate-authority: /etc/kubernetes/pki/ca.crt
contexts:
  - name: bootstrap
    context:
      cluster: bootstrap
      user: kubelet-bootstrap
current-context: bootstrap
users:
  - name: kubelet-bootstrap
    user:
      token: "abcdef.0123456789abcdef"
)";

TEST(UpstreamFieldsCheckerTest, AcceptsValidDocumentsOfEachApi) {
  EXPECT_THAT(CheckYaml(kV1beta3), IsEmpty());
  EXPECT_THAT(CheckYaml(kV1beta4), IsEmpty());
  EXPECT_THAT(CheckYaml(kKubelet), IsEmpty());
  EXPECT_THAT(CheckYaml(kKubeconfig), IsEmpty());
  EXPECT_THAT(CheckYaml(std::string(kKubeconfig) + "---\n" + kKubelet), IsEmpty());
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(UpstreamFieldsCheckerTest, CatchesAnUnknownKey) {
  EXPECT_THAT(CheckYaml(Replace(kV1beta4, "  criSocket:", "  criSockett:")),
              testing::ElementsAre(HasSubstr("nodeRegistration.criSockett: unknown field")));
  EXPECT_THAT(CheckYaml(Replace(kKubelet, "maxPods:", "max-pods:")),
              testing::ElementsAre(HasSubstr("max-pods: unknown field")));
  EXPECT_THAT(CheckYaml(Replace(kKubeconfig, "      token:", "      bearer:")),
              testing::ElementsAre(HasSubstr("users[0].user.bearer: unknown field")));
  // v1beta4 moved discovery.timeout to timeouts.discovery.
  EXPECT_THAT(CheckYaml(Replace(kV1beta4, "nodeRegistration:", "  timeout: 5m0s\nnodeRegistration:")),
              testing::ElementsAre(HasSubstr("discovery.timeout: unknown field")));
  // v1beta3 has no timeouts.
  EXPECT_THAT(CheckYaml(std::string(kV1beta3) + "timeouts:\n  discovery: 5m0s\n"),
              testing::ElementsAre(HasSubstr("timeouts: unknown field")));
}

TEST(UpstreamFieldsCheckerTest, CatchesAMapWhereV1beta4WantsTheKubeletExtraArgsList) {
  const std::string v1beta4_with_map =
      Replace(kV1beta4, "    - name: max-pods\n      value: \"110\"\n", "    max-pods: \"110\"\n");
  EXPECT_THAT(CheckYaml(v1beta4_with_map),
              testing::ElementsAre(HasSubstr("nodeRegistration.kubeletExtraArgs: is a map, upstream has a list")));
}

TEST(UpstreamFieldsCheckerTest, CatchesAListWhereV1beta3WantsTheKubeletExtraArgsMap) {
  const std::string v1beta3_with_list = Replace(kV1beta3, "    node-labels: \"team=a\"\n    max-pods: \"110\"\n",
                                                "    - name: max-pods\n      value: \"110\"\n");
  EXPECT_THAT(CheckYaml(v1beta3_with_list),
              testing::ElementsAre(HasSubstr("nodeRegistration.kubeletExtraArgs: is a list, upstream has a map")));
}

TEST(UpstreamFieldsCheckerTest, CatchesOtherWrongShapes) {
  EXPECT_THAT(CheckYaml(Replace(kV1beta3, "    caCertHashes:\n      - \"sha256:00ff\"", "    caCertHashes: sha256")),
              testing::ElementsAre(HasSubstr("caCertHashes: is a scalar, upstream has a list (list-of-string)")));
  EXPECT_THAT(CheckYaml(Replace(kKubelet, "authorization:\n  mode: Webhook", "authorization: Webhook")),
              testing::ElementsAre(HasSubstr("authorization: is a scalar, upstream has an object")));
  EXPECT_THAT(CheckYaml(Replace(kKubelet, "cgroupDriver: systemd", "cgroupDriver: [systemd]")),
              testing::ElementsAre(HasSubstr("cgroupDriver: is a list, upstream has a scalar (string)")));
  EXPECT_THAT(CheckYaml(Replace(kKubelet, "  - key: dedicated\n    effect: NoSchedule", "  - dedicated:NoSchedule")),
              testing::ElementsAre(HasSubstr("registerWithTaints[0]: is a scalar, upstream has an object")));
}

TEST(UpstreamFieldsCheckerTest, CatchesScalarsTheJsonDecoderRefuses) {
  // An unquoted number or boolean where Go has a string: "cannot unmarshal number into ... string".
  EXPECT_THAT(CheckYaml(Replace(kV1beta4, "value: \"110\"", "value: 110")),
              testing::ElementsAre(HasSubstr("kubeletExtraArgs[0].value: is an integer (110), the field is a string")));
  EXPECT_THAT(CheckYaml(Replace(kV1beta3, "max-pods: \"110\"", "max-pods: 110")),
              testing::ElementsAre(HasSubstr("kubeletExtraArgs{max-pods}: is an integer (110)")));
  EXPECT_THAT(CheckYaml(Replace(kV1beta3, "value: gpu", "value: yes")),
              testing::ElementsAre(HasSubstr("taints[0].value: is a boolean (yes)")));
  // A quoted number where Go has an int, and a quoted boolean where Go has a bool.
  EXPECT_THAT(CheckYaml(Replace(kKubelet, "maxPods: 110", "maxPods: \"110\"")),
              testing::ElementsAre(HasSubstr("maxPods: is a string (110), the field is an integer")));
  EXPECT_THAT(CheckYaml(Replace(kKubelet, "failCgroupV1: false", "failCgroupV1: \"false\"")),
              testing::ElementsAre(HasSubstr("failCgroupV1: is a string (false), the field is a boolean")));
  // metav1.Duration wants a Go duration string.
  EXPECT_THAT(CheckYaml(Replace(kV1beta4, "discovery: 5m0s", "discovery: 300")),
              testing::ElementsAre(HasSubstr("timeouts.discovery: is an integer (300)")));
  EXPECT_THAT(CheckYaml(Replace(kV1beta4, "discovery: 5m0s", "discovery: 5 minutes")),
              testing::ElementsAre(HasSubstr("\"5 minutes\" is not a Go duration")));
}

TEST(UpstreamFieldsCheckerTest, CatchesADocumentWithoutAFieldList) {
  EXPECT_THAT(CheckYaml(Replace(kV1beta4, "kubeadm.k8s.io/v1beta4", "kubeadm.k8s.io/v1beta5")),
              testing::ElementsAre(HasSubstr("no upstream field list for apiVersion kubeadm.k8s.io/v1beta5")));
  EXPECT_THAT(CheckYaml("kind: Config\n"), testing::ElementsAre(HasSubstr("not a map with apiVersion and kind")));
}

TEST(UpstreamFieldsCheckerTest, ReadsScalarsAsYaml11Does) {
  const auto type = [](const std::string& text) { return JsonTypeOf(YAML::Load("v: " + text)["v"]); };
  EXPECT_EQ(type("110"), ScalarType::kInt);
  EXPECT_EQ(type("0x1f"), ScalarType::kInt);
  EXPECT_EQ(type("-1_000"), ScalarType::kInt);
  EXPECT_EQ(type("1.5"), ScalarType::kFloat);
  EXPECT_EQ(type("1e3"), ScalarType::kFloat);
  EXPECT_EQ(type(".inf"), ScalarType::kFloat);
  EXPECT_EQ(type("on"), ScalarType::kBool);
  EXPECT_EQ(type("No"), ScalarType::kBool);
  EXPECT_EQ(type("~"), ScalarType::kNull);
  EXPECT_EQ(type("\"110\""), ScalarType::kString);
  EXPECT_EQ(type("'true'"), ScalarType::kString);
  EXPECT_EQ(type("10.247.3.10"), ScalarType::kString);
  EXPECT_EQ(type("5m0s"), ScalarType::kString);
  EXPECT_EQ(type("sha256:00ff"), ScalarType::kString);
  EXPECT_TRUE(IsGoDuration("5m0s"));
  EXPECT_TRUE(IsGoDuration("1h2m3.5s"));
  EXPECT_TRUE(IsGoDuration("0"));
  EXPECT_FALSE(IsGoDuration("5"));
  EXPECT_FALSE(IsGoDuration("5 m"));
}

}  // namespace
}  // namespace nodeboot::join
