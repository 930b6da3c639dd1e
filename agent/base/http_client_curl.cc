// The adapter for libcurl: the only file that includes it (see http_client.h for the contract).
// One easy handle per request: nodeboot sends a handful of requests per run, so connection
// reuse is not worth the shared state.
#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "agent/base/text.h"
#include "agent/base/http_client.h"

namespace nodeboot {
namespace {

// A response body larger than this is refused: nothing nodeboot talks to sends one (a Node
// object is tens of KiB), and an unbounded buffer is an easy way to exhaust a small node.
constexpr size_t kMaxBodyBytes = 16 << 20;

struct Transfer {
  HttpResponse response;
  bool body_too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > kMaxBodyBytes) {
    transfer->body_too_large = true;
    return 0;  // makes curl fail the transfer with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  const std::string_view line(data, bytes);
  // A new status line (after a 100 Continue) starts a new header block.
  if (line.starts_with("HTTP/")) {
    transfer->response.headers.clear();
    return bytes;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(TrimWhitespace(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  transfer->response.headers[name] = std::string(TrimWhitespace(line.substr(colon + 1)));
  return bytes;
}

// The URL for messages: without user:password@, which curl would accept in it.
std::string UrlForMessages(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos ||
      (path != std::string::npos && at > path)) {
    return url;
  }
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

class CurlHttpClient : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

    const std::string where = fmt::format("{} {}", request.method, UrlForMessages(request.url));
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return Error::Internal(fmt::format("{}: cannot create a curl handle", where));
    CURL* h = curl.get();

    // Header lists hold secret values; curl copies nothing we need to wipe, and the list is
    // freed when this function returns.
    curl_slist* raw_headers = nullptr;
    auto append = [&raw_headers](const std::string& line) {
      if (curl_slist* next = curl_slist_append(raw_headers, line.c_str())) raw_headers = next;
    };
    for (const auto& [name, value] : request.headers) append(name + ": " + value);
    for (const auto& [name, value] : request.secret_headers) append(name + ": " + value.Reveal());
    append("Expect:");  // no 100-continue round trip for our small bodies
    std::unique_ptr<curl_slist, SlistDeleter> headers(raw_headers);

    Transfer transfer;
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: we are not alone
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      if (request.method != "POST") {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }

    // TLS is verified, always: there is no option to turn it off.
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!request.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());
    if (!request.ca_pem.empty()) SetBlob(h, CURLOPT_CAINFO_BLOB, request.ca_pem);
    if (!request.client_cert_file.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, request.client_cert_file.c_str());
    }
    if (!request.client_key_file.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLKEY, request.client_key_file.c_str());
    }
    if (!request.client_cert_pem.empty()) SetBlob(h, CURLOPT_SSLCERT_BLOB, request.client_cert_pem);
    if (!request.client_key_pem.empty()) {
      SetBlob(h, CURLOPT_SSLKEY_BLOB, request.client_key_pem.Reveal());
    }

    const CURLcode code = curl_easy_perform(h);
    if (code != CURLE_OK) {
      if (transfer.body_too_large) {
        return Error::Internal(
            fmt::format("{}: response body larger than {} bytes", where, kMaxBodyBytes));
      }
      // curl's detail (error_buffer) names hosts, certificates and timeouts, never headers.
      const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(code);
      return Error::Internal(fmt::format("{}: {}", where, detail));
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    transfer.response.status = static_cast<int>(status);
    return std::move(transfer.response);
  }

 private:
  // CURL_BLOB_COPY: curl keeps its own copy, so the blob may point at the request's strings.
  static void SetBlob(CURL* h, CURLoption option, const std::string& pem) {
    curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(h, option, &blob);
  }
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient() { return std::make_unique<CurlHttpClient>(); }

}  // namespace nodeboot
