// The config's top level and nodeboot's own sections (node, task, cluster, disks, gpu, scripts,
// storage), where an unknown key is an error: a typo must not silently fall back to a default.
#include "agent/config/load.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "agent/base/atomic_file.h"
#include "agent/base/base64.h"
#include "agent/base/redact.h"
#include "agent/base/text.h"
#include "agent/config/document.h"
#include "agent/config/fields.h"
#include "agent/config/kubernetes_names.h"
#include "agent/config/sections.h"

namespace nodeboot::config {
namespace {

// A config larger than this is not a config; refusing it early keeps a mistaken path (a disk
// image, a log) from being parsed for minutes.
constexpr size_t kMaxConfigBytes = 4 << 20;

using Unknown = Fields::UnknownKeys;

bool IsAbsolutePath(std::string_view path) { return !path.empty() && path.front() == '/'; }

bool IsIpAddress(const std::string& text) {
  in6_addr address{};
  return inet_pton(AF_INET, text.c_str(), &address) == 1 || inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

// "https://host[:port][/path]" with a non-empty host and nothing that needs quoting.
std::string CheckUrl(std::string_view url, bool https_only) {
  static const std::regex kUrl(R"(^(https?)://([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(/[^\s]*)?$)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(url.begin(), url.end(), match, kUrl)) {
    return fmt::format("must be an {} URL like https://host:port/path{}, got \"{}\"", https_only ? "https" : "http(s)",
                       UrlCredentials(url).empty() ? "" : " (credentials go in task.token, not in the URL)",
                       RedactUrl(url));
  }
  if (https_only && match[1] != "https") return fmt::format("must be an https URL, got \"{}\"", RedactUrl(url));
  return "";
}

void ParseNode(Fields fields, NodeSection& node) {
  if (auto name = fields.String("name")) {
    if (auto why = CheckDns1123Subdomain(*name); !why.empty())
      fields.Fail("name", "not a valid Kubernetes node name: " + why);
    node.name = *name;
  }
  if (auto id = fields.String("instanceId")) {
    if (id->empty() || std::any_of(id->begin(), id->end(), [](char c) { return c <= ' ' || c == '/'; })) {
      fields.Fail("instanceId", "must be non-empty, without spaces, control characters or '/'");
    }
    node.instance_id = *id;
  }
  fields.Finish();
}

void ParseTask(Fields fields, const Paths& paths, TaskSection& task) {
  if (auto url = fields.String("url")) {
    if (auto why = CheckUrl(*url, false); !why.empty()) fields.Fail("url", why);
    task.url = *url;
  }
  if (auto id = fields.String("id")) {
    if (id->empty()) fields.Fail("id", "must not be empty");
    task.id = *id;
  } else if (!task.url.empty()) {
    fields.Fail("id", "required when task.url is set");
  }
  const auto token = fields.String("token");
  const auto token_file = fields.String("tokenFile");
  if (token && token_file) {
    fields.Fail("tokenFile", "set either task.token or task.tokenFile, not both");
  } else if (token) {
    if (token->empty()) fields.Fail("token", "must not be empty");
    task.token = Secret(*token);
  } else if (token_file) {
    if (!IsAbsolutePath(*token_file)) {
      fields.Fail("tokenFile", fmt::format("must be an absolute path, got \"{}\"", *token_file));
    } else if (auto content = ReadFile(paths.Host(*token_file), 64 << 10); !content) {
      fields.Fail("tokenFile", fmt::format("cannot read the token: {}", content.error().message));
    } else if (TrimWhitespace(*content).empty()) {
      fields.Fail("tokenFile", fmt::format("{} is empty", *token_file));
    } else {
      task.token = Secret(std::string(TrimWhitespace(*content)));
      task.token_file = *token_file;
    }
  } else if (!task.url.empty()) {
    fields.Fail("token", "required when task.url is set (or task.tokenFile)");
  }
  if (auto ca = fields.String("caFile")) {
    if (!IsAbsolutePath(*ca)) fields.Fail("caFile", fmt::format("must be an absolute path, got \"{}\"", *ca));
    task.ca_file = *ca;
  }
  if (auto v = fields.Integer("timeoutSeconds", 1, 600)) task.timeout_seconds = int(*v);
  if (auto v = fields.Integer("deliverySeconds", 0, 86400)) task.delivery_seconds = int(*v);
  fields.Finish();
}

// clusterDNS (a list of IP addresses) and clusterDomain (a DNS subdomain), as the kubelet's
// KubeletConfiguration takes them.
void ParseClusterDns(Fields& fields, ClusterSection& cluster) {
  if (const Document* list = fields.List("clusterDNS")) {
    for (size_t i = 0; i < list->items.size(); ++i) {
      const Document& item = list->items[i];
      const std::string path = IndexPath("clusterDNS", i);
      if (!item.is_scalar() || !IsIpAddress(item.scalar)) {
        fields.Fail(path, fmt::format("must be an IPv4 or IPv6 address, got {}",
                                      item.is_scalar() ? "\"" + item.scalar + "\"" : std::string(KindName(item.kind))));
        continue;
      }
      cluster.cluster_dns.push_back(item.scalar);
    }
    if (list->items.empty())
      fields.Fail("clusterDNS", "must list at least one address (omit it to take the cluster's)");
  }
  if (auto domain = fields.String("clusterDomain")) {
    if (auto why = CheckDns1123Subdomain(*domain); !why.empty()) fields.Fail("clusterDomain", why);
    cluster.cluster_domain = *domain;
  }
}

void ParseCluster(Fields fields, ClusterSection& cluster) {
  if (!fields.present()) return;
  const auto join = fields.Enum("join", {"kubeadm", "kubelet", "none"});
  if (!join && !fields.Has("join")) fields.Fail("join", "required: kubeadm, kubelet or none");
  if (join == "kubeadm") cluster.join = JoinMode::kKubeadm;
  if (join == "kubelet") cluster.join = JoinMode::kKubelet;
  const bool joins = cluster.join != JoinMode::kNone;

  if (auto server = fields.String("apiServer")) {
    // kubeadm discovery takes host:port as well as a URL; the kubelet's kubeconfig needs a URL.
    static const std::regex kHostPort(R"(^([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$)");
    std::string why = CheckUrl(*server, true);
    if (!why.empty() && cluster.join == JoinMode::kKubeadm && std::regex_match(*server, kHostPort)) why.clear();
    if (!why.empty()) fields.Fail("apiServer", why);
    cluster.api_server = *server;
  } else if (joins) {
    fields.Fail("apiServer", fmt::format("required with join: {}", *join));
  }
  if (auto hash = fields.String("caCertHash")) {
    static const std::regex kHash("^sha256:[0-9a-f]{64}$");
    if (!std::regex_match(*hash, kHash)) {
      fields.Fail(
          "caCertHash",
          "must be \"sha256:\" and 64 lowercase hex digits (kubeadm token create --print-join-command prints it)");
    }
    cluster.ca_cert_hash = *hash;
  } else if (cluster.join == JoinMode::kKubeadm) {
    fields.Fail("caCertHash", "required with join: kubeadm (discovery must pin the cluster CA)");
  }
  if (auto ca = fields.String("caFile")) {
    if (!IsAbsolutePath(*ca)) fields.Fail("caFile", fmt::format("must be an absolute path, got \"{}\"", *ca));
    cluster.ca_file = *ca;
  } else if (cluster.join == JoinMode::kKubelet) {
    fields.Fail("caFile", "required with join: kubelet (the bootstrap kubeconfig must pin the cluster CA)");
  }
  if (auto token = fields.String("bootstrapToken")) {
    static const std::regex kToken("^[a-z0-9]{6}\\.[a-z0-9]{16}$");
    // The message never repeats the value: it is a secret even when malformed.
    if (!std::regex_match(*token, kToken)) fields.Fail("bootstrapToken", "must match [a-z0-9]{6}.[a-z0-9]{16}");
    cluster.bootstrap_token = Secret(*token);
  } else if (joins) {
    fields.Fail("bootstrapToken", fmt::format("required with join: {}", *join));
  }
  if (auto socket = fields.String("criSocket")) {
    const bool ok = (socket->starts_with("unix:///") && socket->size() > 8) || IsAbsolutePath(*socket);
    if (!ok) fields.Fail("criSocket", fmt::format("must be unix:///path or an absolute path, got \"{}\"", *socket));
    cluster.cri_socket = socket->starts_with("unix://") ? *socket : "unix://" + *socket;
  }
  if (auto v = fields.Integer("readyTimeoutSeconds", 1, 86400)) cluster.ready_timeout_seconds = int(*v);
  ParseClusterDns(fields, cluster);
  if (auto v = fields.Bool("failCgroupV1")) cluster.fail_cgroup_v1 = *v;
  if (auto v = fields.Integer("discoveryTimeoutSeconds", 1, 86400)) cluster.discovery_timeout_seconds = int(*v);
  if (auto v = fields.Integer("tlsBootstrapTimeoutSeconds", 1, 86400)) cluster.tls_bootstrap_timeout_seconds = int(*v);
  if (auto v = fields.Integer("kubeletHealthCheckTimeoutSeconds", 1, 86400)) {
    cluster.kubelet_health_check_timeout_seconds = int(*v);
  }
  fields.Finish();
}

void ParseGpu(Fields fields, GpuSection& gpu) {
  if (fields.Enum("migReset", {"auto", "never"}) == "never") gpu.mig_reset = MigReset::kNever;
  if (auto v = fields.Integer("resetTimeoutSeconds", 1, 86400)) gpu.reset_timeout_seconds = int(*v);
  fields.Finish();
}

std::optional<bool> ParseFlag(Fields& fields, std::string_view key) {
  const Document* value = fields.Get(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_scalar()) {
    if (value->scalar == "1" || value->scalar == "true") return true;
    if (value->scalar == "0" || value->scalar == "false") return false;
  }
  fields.Fail(key, "must be \"1\" (encrypted) or \"0\"");
  return std::nullopt;
}

void ParseDisks(const Document* list, std::vector<storage::InventoryVolume>& disks, ConfigErrors& errors) {
  std::set<std::string> ids;
  for (size_t i = 0; list && i < list->items.size(); ++i) {
    Fields fields(&list->items[i], IndexPath("disks", i), errors, Unknown::kRefuse);
    if (!fields.present()) {
      if (list->items[i].is_null()) fields.FailHere("must be a mapping with at least an id");
      continue;
    }
    storage::InventoryVolume disk;
    if (auto id = fields.String("id")) {
      static const std::regex kId("^[0-9A-Za-z-]{8,64}$");
      if (!std::regex_match(*id, kId))
        fields.Fail("id", fmt::format("must be a volume UUID, got \"{}\"", *id));
      else if (!ids.insert(*id).second)
        fields.Fail("id", fmt::format("volume {} is listed twice", *id));
      disk.id = *id;
    } else {
      fields.Fail("id", "required: the volume UUID the disk's serial starts with");
    }
    if (auto type = fields.String("volumetype")) disk.volume_type = *type;
    disk.size_gib = fields.Integer("size", 1, 1 << 20);
    disk.encrypted = ParseFlag(fields, "encrypted");
    if (auto cmk = fields.String("cmkid")) {
      if (disk.encrypted == false) fields.Fail("cmkid", "set on a disk marked encrypted: \"0\"");
      disk.cmk_id = *cmk;
    }
    if (auto wwn = fields.String("wwn")) {
      static const std::regex kWwn("^(0x|naa\\.)?([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32})$");
      std::smatch match;
      if (!std::regex_match(*wwn, match, kWwn)) {
        fields.Fail("wwn", fmt::format("must be 16 or 32 hex digits (optionally after 0x or naa.), got \"{}\"", *wwn));
      } else {
        disk.wwn = AsciiLower(match[2].str());
      }
    }
    fields.Finish();
    disks.push_back(std::move(disk));
  }
}

}  // namespace

std::vector<std::string> NodeConfig::SecretValues() const {
  std::vector<std::string> values;
  for (const Secret* secret : {&task.token, &cluster.bootstrap_token}) {
    if (!secret->empty()) values.push_back(secret->Reveal());
  }
  for (const auto* script : {&node_template.pre_install_script, &node_template.post_install_script}) {
    if (*script && !(*script)->empty()) values.push_back((*script)->Reveal());
  }
  // A token in task.url's query or userinfo is a secret like task.token.
  for (auto& credential : UrlCredentials(task.url)) values.push_back(std::move(credential));
  return values;
}

// Every repeated key and every merge key, anywhere (in nodeTemplate too, whose unknown keys are
// otherwise ignored): the parser keeps both values of a repeated key and knows no merge keys,
// so either would make a value silently win, or vanish (a script "absent").
void CheckKeys(const Document& doc, const std::string& path, ConfigErrors& errors) {
  for (size_t i = 0; i < doc.items.size(); ++i) CheckKeys(doc.items[i], fmt::format("{}[{}]", path, i), errors);
  std::set<std::string_view> seen;  // a set, not a scan per key: a hostile map may have millions
  for (const auto& member : doc.members) {
    const std::string& name = member.first;
    const Document& value = member.second;
    const std::string child = path.empty() ? name : path + "." + name;
    if (name == "<<") {
      errors.push_back({child, "YAML merge keys are not supported: write the keys out", value.key_line});
    } else if (!seen.insert(name).second) {
      errors.push_back({child, "appears more than once", value.key_line});
    }
    CheckKeys(value, child, errors);
  }
}

LoadResult ParseConfig(std::string_view text, const Paths& paths) {
  LoadResult result;
  auto& errors = result.errors;
  auto document = ParseDocument(text);
  if (!document) {
    errors.push_back({"", document.error().message, 0});
    return result;
  }
  if (document->is_null()) {
    errors.push_back({"", "the config is empty", 0});
    return result;
  }
  NodeConfig& config = result.config;
  Fields top(&*document, "", errors, Unknown::kRefuse);
  if (!top.present()) return result;

  ParseNode(Fields(top.Get("node"), "node", errors, Unknown::kRefuse), config.node);
  ParseTask(Fields(top.Get("task"), "task", errors, Unknown::kRefuse), paths, config.task);
  ParseCluster(Fields(top.Get("cluster"), "cluster", errors, Unknown::kRefuse), config.cluster);
  ParseDisks(top.List("disks"), config.disks, errors);
  ParseGpu(Fields(top.Get("gpu"), "gpu", errors, Unknown::kRefuse), config.gpu);
  {
    Fields scripts(top.Get("scripts"), "scripts", errors, Unknown::kRefuse);
    if (auto v = scripts.Integer("preInstallTimeoutSeconds", 1, 86400))
      config.scripts.pre_install_timeout_seconds = int(*v);
    if (auto v = scripts.Integer("postInstallTimeoutSeconds", 1, 86400))
      config.scripts.post_install_timeout_seconds = int(*v);
    scripts.Finish();
  }
  {
    Fields storage(top.Get("storage"), "storage", errors, Unknown::kRefuse);
    if (storage.Enum("filesystem", {"ext4", "xfs"}) == "xfs") config.filesystem = storage::Filesystem::kXfs;
    storage.Finish();
  }
  ParseNodeTemplate(top.Get("nodeTemplate"), !config.disks.empty(), config.node_template, errors);
  top.Finish();
  CheckKeys(*document, "", errors);
  // A repeat in nodeboot's own sections is found by their readers too: say it once.
  ConfigErrors unique;
  for (auto& error : errors) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&error](const ConfigError& e) {
      return e.path == error.path && e.message == error.message && e.line == error.line;
    });
    if (!seen) unique.push_back(std::move(error));
  }
  errors = std::move(unique);
  return result;
}

std::filesystem::path ConfigFile(const Paths& paths, std::string_view explicit_path) {
  if (explicit_path.empty()) return paths.Host(Paths::kDefaultConfig);
  const std::filesystem::path given(explicit_path);
  if (given.is_absolute() && paths.root() != "/" && !std::filesystem::exists(given)) return paths.Host(explicit_path);
  return given;
}

LoadResult LoadConfig(const Paths& paths, const std::filesystem::path& file) {
  auto text = ReadFile(file, kMaxConfigBytes);
  if (!text) {
    LoadResult result;
    result.errors.push_back({"", fmt::format("cannot load the config: {}", text.error().message), 0});
    return result;
  }
  return ParseConfig(*text, paths);
}

}  // namespace nodeboot::config
