// HttpClient: every HTTP request nodeboot makes (the task service, the API server's Node
// readiness) goes through this interface; http_client_curl.cc is the only libcurl user.
// TLS is always verified: against `ca_file`/`ca_pem` when given, else the system trust store.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/base/result.h"
#include "agent/base/secret.h"

namespace nodeboot {

// Whom to trust over TLS and who we are: the HTTP request's and the kubeconfig's (kubeconfig.h).
struct TlsCredentials {
  // A CA bundle file, or PEM text (kubeconfig's certificate-authority-data). Both empty: the
  // system trust store.
  std::string ca_file;
  std::string ca_pem;
  // Client certificate authentication (kubelet.conf): files or PEM text.
  std::string client_cert_file;
  std::string client_key_file;
  std::string client_cert_pem;
  Secret client_key_pem;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;    // non-secret headers
  std::vector<std::pair<std::string, Secret>> secret_headers;  // X-Auth-Token, Authorization
  std::string body;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  TlsCredentials tls = {};
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // A response for every request that got one, whatever its status; an Error when none came
  // (connection refused, DNS, TLS verification, timeout), naming the URL and curl's reason.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

std::unique_ptr<HttpClient> MakeCurlHttpClient();

}  // namespace nodeboot
