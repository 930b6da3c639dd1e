#include "agent/join/kubeconfig.h"

#include <fmt/format.h>

#include <filesystem>

#include "agent/base/atomic_file.h"
#include "agent/base/base64.h"
#include "agent/config/document.h"

namespace nodeboot::join {
namespace {

using config::Document;

const Document* Member(const Document& map, std::string_view key) {
  if (!map.is_map()) return nullptr;
  for (const auto& [name, value] : map.members) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string ScalarOf(const Document& map, std::string_view key) {
  const Document* value = Member(map, key);
  return value && value->is_scalar() ? value->scalar : "";
}

// The entry of a `clusters`/`contexts`/`users` list named `name`, or the only entry when
// `name` is empty; its inner map (`cluster`, `context`, `user`).
const Document* Named(const Document& root, std::string_view list, std::string_view inner, std::string_view name) {
  const Document* entries = Member(root, list);
  if (!entries || !entries->is_sequence()) return nullptr;
  if (name.empty()) {
    return entries->items.size() == 1 ? Member(entries->items[0], inner) : nullptr;
  }
  for (const auto& entry : entries->items) {
    if (ScalarOf(entry, "name") == name) return Member(entry, inner);
  }
  return nullptr;
}

// A *-data field: base64 of PEM text.
Result<std::string> DecodeData(const Document& map, std::string_view key, std::string_view where) {
  auto decoded = DecodeBase64(ScalarOf(map, key));
  if (!decoded) {
    // The decoder's message names an offset, never the content: safe for a key's data too.
    return errors::JoinFailed(fmt::format("{}: {}: not base64: {}", where, key, decoded.error().message));
  }
  return std::move(decoded).value();
}

Error Malformed(std::string_view where, std::string_view why) {
  return errors::JoinFailed(fmt::format("{}: {}", where, why));
}

}  // namespace

HttpRequest ApiCredentials::Get(std::string_view path) const {
  HttpRequest request;
  request.method = "GET";
  request.url = server + std::string(path);
  request.headers = {{"Accept", "application/json"}, {"User-Agent", "nodeboot/" NODEBOOT_VERSION}};
  if (!token.empty()) request.secret_headers = {{"Authorization", Secret("Bearer " + token.Reveal())}};
  request.tls = tls;
  return request;
}

Result<ApiCredentials> ParseKubeconfig(std::string_view text, std::string_view where,
                                       const std::function<std::string(std::string_view)>& resolve) {
  auto parsed = config::ParseDocument(text);
  if (!parsed) return Malformed(where, fmt::format("not a kubeconfig: {}", parsed.error().message));
  const Document& root = *parsed;
  if (!root.is_map()) return Malformed(where, "not a kubeconfig: not a mapping");

  std::string cluster_name;
  std::string user_name;
  const std::string current = ScalarOf(root, "current-context");
  const Document* context = Named(root, "contexts", "context", current);
  if (context) {
    cluster_name = ScalarOf(*context, "cluster");
    user_name = ScalarOf(*context, "user");
  } else if (!current.empty()) {
    return Malformed(where, fmt::format("current-context \"{}\" is not in contexts", current));
  } else if (const Document* contexts = Member(root, "contexts"); contexts && !contexts->items.empty()) {
    return Malformed(where, "no current-context, and more than one context to choose from");
  }
  const Document* cluster = Named(root, "clusters", "cluster", cluster_name);
  if (!cluster) {
    return Malformed(where, cluster_name.empty() ? "no cluster (clusters must hold exactly one without a context)"
                                                 : fmt::format("cluster \"{}\" is not in clusters", cluster_name));
  }
  const Document* user = Named(root, "users", "user", user_name);
  if (!user && !user_name.empty()) return Malformed(where, fmt::format("user \"{}\" is not in users", user_name));

  ApiCredentials credentials;
  credentials.server = ScalarOf(*cluster, "server");
  while (credentials.server.ends_with('/')) credentials.server.pop_back();
  if (!credentials.server.starts_with("https://") && !credentials.server.starts_with("http://")) {
    return Malformed(where, fmt::format("cluster server \"{}\" is not an http(s) URL", credentials.server));
  }
  if (Member(*cluster, "certificate-authority-data")) {
    NB_TRY_ASSIGN(credentials.tls.ca_pem, DecodeData(*cluster, "certificate-authority-data", where));
  } else if (const auto ca = ScalarOf(*cluster, "certificate-authority"); !ca.empty()) {
    credentials.tls.ca_file = resolve(ca);
  }
  if (!user) return credentials;  // no user: anonymous, which the API server will refuse loudly

  if (Member(*user, "client-certificate-data")) {
    NB_TRY_ASSIGN(credentials.tls.client_cert_pem, DecodeData(*user, "client-certificate-data", where));
  } else if (const auto cert = ScalarOf(*user, "client-certificate"); !cert.empty()) {
    credentials.tls.client_cert_file = resolve(cert);
  }
  if (Member(*user, "client-key-data")) {
    NB_TRY_ASSIGN(std::string key, DecodeData(*user, "client-key-data", where));
    credentials.tls.client_key_pem = Secret(std::move(key));
  } else if (const auto key = ScalarOf(*user, "client-key"); !key.empty()) {
    credentials.tls.client_key_file = resolve(key);
  }
  const bool has_cert = !credentials.tls.client_cert_pem.empty() || !credentials.tls.client_cert_file.empty();
  const bool has_key = !credentials.tls.client_key_pem.empty() || !credentials.tls.client_key_file.empty();
  if (has_cert != has_key) {
    return Malformed(where, has_cert ? "user has a client certificate but no client key"
                                     : "user has a client key but no client certificate");
  }
  if (const auto token = ScalarOf(*user, "token"); !token.empty()) {
    credentials.token = Secret(token);
  } else if (const auto token_file = ScalarOf(*user, "tokenFile"); !token_file.empty()) {
    credentials.token_file = resolve(token_file);
  }
  return credentials;
}

Result<ApiCredentials> ReadKubeconfig(const Paths& paths, std::string_view host_path) {
  const std::filesystem::path real = paths.Host(host_path);
  auto text = ReadFile(real, 1 << 20);
  if (!text) return errors::JoinFailed(text.error().message);
  const std::filesystem::path host_dir = std::filesystem::path(host_path).parent_path();
  auto resolve = [&paths, &host_dir](std::string_view path) {
    if (path.starts_with('/')) return paths.Host(path).string();
    return paths.Host((host_dir / path).string()).string();
  };
  NB_TRY_ASSIGN(ApiCredentials credentials, ParseKubeconfig(*text, host_path, resolve));
  if (!credentials.token_file.empty()) {
    auto token = ReadFile(credentials.token_file, 64 << 10);
    if (!token) return errors::JoinFailed(fmt::format("{}: tokenFile: {}", host_path, token.error().message));
    credentials.token = Secret(std::string(TrimWhitespace(*token)));
  }
  return credentials;
}

}  // namespace nodeboot::join
