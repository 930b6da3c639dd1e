// The syntax rules Kubernetes itself applies to node names, label keys and values, and
// taints (k8s.io/apimachinery validation), plus the NodeRestriction admission plugin's rule
// for labels a kubelet may set on its own Node. Checking them here turns a join that would
// fail minutes later on the API server into a config error naming the field.
// Each function returns an empty string when the input is valid, else the reason.
#pragma once

#include <string>
#include <string_view>

namespace nodeboot::config {

std::string CheckDns1123Subdomain(std::string_view name);  // node names, label prefixes
std::string CheckLabelKey(std::string_view key);           // [prefix/]name
std::string CheckLabelValue(std::string_view value);
std::string CheckTaintEffect(std::string_view effect);
// Why NodeRestriction refuses a kubelet setting this label on itself, or "" when it allows it.
std::string CheckSelfLabelAllowed(std::string_view key);

}  // namespace nodeboot::config
