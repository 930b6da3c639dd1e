// Reading a kubeconfig (kubelet.conf) for the API server address and the credentials to talk
// to it with. kubeadm and the kubelet's TLS bootstrap write kubelet.conf with either inline
// PEM (certificate-authority-data, client-certificate-data, client-key-data; base64) or file
// paths (typically /var/lib/kubelet/pki/kubelet-client-current.pem for both certificate and
// key); a token (or tokenFile) is accepted too. Only what the readiness check needs is read.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "agent/base/http_client.h"
#include "agent/base/paths.h"
#include "agent/base/result.h"
#include "agent/base/secret.h"

namespace nodeboot::join {

// The API server of a kubeconfig's current context, and how to authenticate to it. File
// paths are real paths on this machine (resolved against the root and the kubeconfig's own
// directory).
struct ApiCredentials {
  std::string server;  // "https://10.0.0.10:6443", without a trailing '/'
  TlsCredentials tls;
  std::string token_file;  // read by ReadKubeconfig into `token`
  Secret token;

  // An HttpRequest for GET `path` (starting with '/') with these credentials.
  HttpRequest Get(std::string_view path) const;
};

// Parses kubeconfig text. `resolve` maps a path written in the file to a real path. Errors
// name `where` (the file) and the missing or malformed field; they never quote a credential.
// The context is current-context's, else the only one; its cluster and user are looked up by
// name. A kubeconfig without contexts is read as its only cluster and its only user (none:
// anonymous), which hand-written kubelet.confs rely on.
Result<ApiCredentials> ParseKubeconfig(std::string_view text, std::string_view where,
                                       const std::function<std::string(std::string_view)>& resolve);

// Reads the kubeconfig at `host_path` under the root: relative paths in it are relative to its
// directory, absolute ones are host paths (root-prefixed); a tokenFile is read too.
Result<ApiCredentials> ReadKubeconfig(const Paths& paths, std::string_view host_path);

}  // namespace nodeboot::join
