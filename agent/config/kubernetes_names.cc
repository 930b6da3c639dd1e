#include "agent/config/kubernetes_names.h"

#include <fmt/format.h>

#include <array>

namespace nodeboot::config {
namespace {

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A qualified name's name part: ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most 63.
std::string CheckQualifiedNamePart(std::string_view name) {
  if (name.empty()) return "name part must not be empty";
  if (name.size() > 63) return fmt::format("name part \"{}\" is longer than 63 characters", name);
  if (!IsAlnum(name.front()) || !IsAlnum(name.back())) {
    return fmt::format("name part \"{}\" must start and end with a letter or digit", name);
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') {
      return fmt::format("name part \"{}\" may hold only letters, digits, '-', '_' and '.'", name);
    }
  }
  return "";
}

// The domain of a label key: "node.kubernetes.io/foo" -> "node.kubernetes.io".
std::string_view Prefix(std::string_view key) {
  const auto slash = key.find('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
}

bool InNamespace(std::string_view domain, std::string_view ns) {
  return domain == ns || (domain.size() > ns.size() && domain.ends_with(ns) &&
                          domain[domain.size() - ns.size() - 1] == '.');
}

}  // namespace

std::string CheckDns1123Subdomain(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 253) return "must be at most 253 characters";
  if (!IsLowerAlnum(name.front()) || !IsLowerAlnum(name.back())) {
    return fmt::format("\"{}\" must start and end with a lowercase letter or digit", name);
  }
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.') {
      return fmt::format("\"{}\" may hold only lowercase letters, digits, '-' and '.' (RFC 1123)", name);
    }
  }
  return "";
}

std::string CheckLabelKey(std::string_view key) {
  if (key.empty()) return "label key must not be empty";
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return CheckQualifiedNamePart(key);
  if (key.find('/', slash + 1) != std::string_view::npos) return fmt::format("\"{}\" has more than one '/'", key);
  if (auto why = CheckDns1123Subdomain(key.substr(0, slash)); !why.empty()) return "prefix " + why;
  return CheckQualifiedNamePart(key.substr(slash + 1));
}

std::string CheckLabelValue(std::string_view value) {
  if (value.empty()) return "";
  if (value.size() > 63) return "value is longer than 63 characters";
  if (!IsAlnum(value.front()) || !IsAlnum(value.back())) {
    return fmt::format("value \"{}\" must be empty or start and end with a letter or digit", value);
  }
  for (char c : value) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') {
      return fmt::format("value \"{}\" may hold only letters, digits, '-', '_' and '.'", value);
    }
  }
  return "";
}

std::string CheckTaintEffect(std::string_view effect) {
  if (effect == "NoSchedule" || effect == "PreferNoSchedule" || effect == "NoExecute") return "";
  return fmt::format("must be NoSchedule, PreferNoSchedule or NoExecute, got \"{}\"", effect);
}

std::string CheckSelfLabelAllowed(std::string_view key) {
  // The kubelet's allow-list (k8s.io/kubelet/pkg/apis: KubeletLabels, KubeletLabelNamespaces).
  static constexpr std::array<std::string_view, 11> kAllowedLabels = {
      "kubernetes.io/hostname",
      "kubernetes.io/arch",
      "kubernetes.io/os",
      "beta.kubernetes.io/arch",
      "beta.kubernetes.io/os",
      "beta.kubernetes.io/instance-type",
      "node.kubernetes.io/instance-type",
      "failure-domain.beta.kubernetes.io/region",
      "failure-domain.beta.kubernetes.io/zone",
      "topology.kubernetes.io/region",
      "topology.kubernetes.io/zone",
  };
  static constexpr std::array<std::string_view, 2> kAllowedNamespaces = {"kubelet.kubernetes.io",
                                                                         "node.kubernetes.io"};
  const std::string_view domain = Prefix(key);
  if (!InNamespace(domain, "kubernetes.io") && !InNamespace(domain, "k8s.io")) return "";
  for (auto allowed : kAllowedLabels) {
    if (key == allowed) return "";
  }
  for (auto ns : kAllowedNamespaces) {
    if (InNamespace(domain, ns)) return "";
  }
  if (domain == "node-role.kubernetes.io") {
    return "the NodeRestriction admission plugin forbids a kubelet to set node-role.kubernetes.io/* "
           "labels on its own Node; set node roles from the control plane instead";
  }
  return "the NodeRestriction admission plugin forbids a kubelet to set labels in the kubernetes.io "
         "and k8s.io namespaces on its own Node, except kubelet.kubernetes.io/*, node.kubernetes.io/* "
         "and the well-known topology, os, arch and instance-type labels";
}

}  // namespace nodeboot::config
