#include "agent/config/kubernetes_names.h"

#include <fmt/format.h>

#include <array>

// The rules follow k8s.io/apimachinery v0.36.3 (Kubernetes 1.36.3): pkg/api/validate/content
// (dns.go IsDNS1123Subdomain, kube.go IsLabelKey and IsLabelValue; pkg/util/validation keeps
// IsQualifiedName and IsValidLabelValue as aliases of the last two). The rules are unchanged
// since Kubernetes 1.22. Lengths are in bytes, as Go's len() counts them, and any byte outside
// ASCII fails the character rules. tests/config/kubernetes_names_test.cc runs upstream's own
// valid and invalid tables against these functions.

namespace nodeboot::config {
namespace {

constexpr size_t kDns1123SubdomainMaxLength = 253;  // content.DNS1123SubdomainMaxLength
constexpr size_t kLabelKeyNameMaxLength = 63;       // content.labelKeyMaxLength
constexpr size_t kLabelValueMaxLength = 63;         // content.LabelValueMaxLength

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// Upstream's labelKeyFmt `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, which the name part of a
// label key and a non-empty label value both match. `what` names the part in the message.
std::string CheckLabelKeyFormat(std::string_view text, std::string_view what) {
  for (char c : text) {
    if (!IsAlnum(c) && c != '-' && c != '_' && c != '.') {
      return fmt::format("{} \"{}\" may hold only letters, digits, '-', '_' and '.'", what, text);
    }
  }
  if (!IsAlnum(text.front()) || !IsAlnum(text.back())) {
    return fmt::format("{} \"{}\" must start and end with a letter or digit", what, text);
  }
  return "";
}

// A label key's name part (after the optional "prefix/"): non-empty, at most 63, the format above.
std::string CheckLabelKeyName(std::string_view name) {
  if (name.empty()) return "name part must not be empty";
  if (name.size() > kLabelKeyNameMaxLength) {
    return fmt::format("name part \"{}\" is longer than {} characters", name, kLabelKeyNameMaxLength);
  }
  return CheckLabelKeyFormat(name, "name part");
}

// The domain of a label key: "node.kubernetes.io/foo" -> "node.kubernetes.io" (upstream's
// getLabelNamespace splits at the first '/').
std::string_view Prefix(std::string_view key) {
  const auto slash = key.find('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
}

// `domain` is `ns` or a subdomain of it (upstream: namespace == ns || HasSuffix("." + ns)).
bool InNamespace(std::string_view domain, std::string_view ns) {
  return domain == ns ||
         (domain.size() > ns.size() && domain.ends_with(ns) && domain[domain.size() - ns.size() - 1] == '.');
}

}  // namespace

std::string CheckDns1123Subdomain(std::string_view name) {
  // Upstream: `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`, at most 253.
  // The dot-separated labels have no length limit of their own here, as upstream's regex has none.
  if (name.empty()) return "must not be empty";
  if (name.size() > kDns1123SubdomainMaxLength) {
    return fmt::format("must be at most {} characters, is {}", kDns1123SubdomainMaxLength, name.size());
  }
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.') {
      return fmt::format("\"{}\" may hold only lowercase letters, digits, '-' and '.' (RFC 1123)", name);
    }
  }
  size_t start = 0;
  while (true) {
    const size_t dot = name.find('.', start);
    const std::string_view label = name.substr(start, dot == std::string_view::npos ? name.npos : dot - start);
    if (label.empty()) {
      return fmt::format("\"{}\" has an empty part: it must not start or end with '.' or hold \"..\" (RFC 1123)", name);
    }
    if (!IsLowerAlnum(label.front()) || !IsLowerAlnum(label.back())) {
      return fmt::format(
          "\"{}\": each dot-separated part must start and end with a lowercase letter or "
          "digit, \"{}\" does not (RFC 1123)",
          name, label);
    }
    if (dot == std::string_view::npos) return "";
    start = dot + 1;
  }
}

std::string CheckLabelKey(std::string_view key) {
  // Upstream IsLabelKey (alias IsQualifiedName): [prefix/]name; split on every '/'.
  if (key.empty()) return "label key must not be empty";
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return CheckLabelKeyName(key);
  if (key.find('/', slash + 1) != std::string_view::npos) {
    return fmt::format("\"{}\" has more than one '/': a key is [DNS subdomain prefix/]name", key);
  }
  const std::string_view prefix = key.substr(0, slash);
  if (prefix.empty()) return fmt::format("\"{}\": prefix part before '/' must not be empty", key);
  if (auto why = CheckDns1123Subdomain(prefix); !why.empty()) return "prefix part " + why;
  return CheckLabelKeyName(key.substr(slash + 1));
}

std::string CheckLabelValue(std::string_view value) {
  // Upstream IsLabelValue (alias IsValidLabelValue): empty, or the label key format, at most 63.
  if (value.empty()) return "";
  if (value.size() > kLabelValueMaxLength) {
    return fmt::format("value is longer than {} characters", kLabelValueMaxLength);
  }
  return CheckLabelKeyFormat(value, "value");
}

std::string CheckTaintEffect(std::string_view effect) {
  // k8s.io/kubernetes pkg/apis/core/validation validateTaintEffect, with allowEmpty false.
  if (effect == "NoSchedule" || effect == "PreferNoSchedule" || effect == "NoExecute") return "";
  return fmt::format("must be NoSchedule, PreferNoSchedule or NoExecute, got \"{}\"", effect);
}

std::string CheckSelfLabelAllowed(std::string_view key) {
  // plugin/pkg/admission/noderestriction getForbiddenLabels, which the kubelet's own
  // --node-labels check repeats: node-restriction.kubernetes.io is always forbidden, and
  // kubernetes.io/k8s.io keys only pass if k8s.io/kubelet/pkg/apis IsKubeletLabel allows them.
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
  static constexpr std::array<std::string_view, 2> kAllowedNamespaces = {"kubelet.kubernetes.io", "node.kubernetes.io"};
  const std::string_view domain = Prefix(key);
  if (InNamespace(domain, "node-restriction.kubernetes.io")) {
    return "the NodeRestriction admission plugin forbids a kubelet to set "
           "node-restriction.kubernetes.io/* "
           "labels on its own Node; they exist so that only the control plane can set them";
  }
  if (!InNamespace(domain, "kubernetes.io") && !InNamespace(domain, "k8s.io")) return "";
  for (auto allowed : kAllowedLabels) {
    if (key == allowed) return "";
  }
  for (auto ns : kAllowedNamespaces) {
    if (InNamespace(domain, ns)) return "";
  }
  if (domain == "node-role.kubernetes.io") {
    return "the NodeRestriction admission plugin forbids a kubelet to set "
           "node-role.kubernetes.io/* "
           "labels on its own Node; set node roles from the control plane instead";
  }
  return "the NodeRestriction admission plugin forbids a kubelet to set labels in the "
         "kubernetes.io "
         "and k8s.io namespaces on its own Node, except kubelet.kubernetes.io/*, "
         "node.kubernetes.io/* "
         "and the well-known topology, os, arch and instance-type labels";
}

}  // namespace nodeboot::config
