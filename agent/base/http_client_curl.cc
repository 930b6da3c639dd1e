// The adapter for libcurl: the only file that includes it (see http_client.h for the contract).
// One easy handle per request: nodeboot sends a handful of requests per run, so connection
// reuse is not worth the shared state.
//
// libcurl is loaded with dlopen on the first request instead of being linked. Linked, its
// dependency tree (TLS, Kerberos, LDAP, SSH: about 30 shared libraries) is mapped and relocated
// at the start of every command, 15 million instructions, three quarters of what `nodeboot
// logs` or `status` cost in all, while only `run` and `report --flush` send HTTP. The package
// depends on libcurl4 explicitly (packaging/CMakeLists.txt), since dpkg-shlibdeps cannot see a
// dlopen.
#include <curl/curl.h>
#include <dlfcn.h>
#include <fmt/format.h>

#include <memory>
#include <mutex>

#include "agent/base/http_client.h"
#include "agent/base/text.h"

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
  const std::string name = AsciiLower(std::string(TrimWhitespace(line.substr(0, colon))));
  transfer->response.headers[name] = std::string(TrimWhitespace(line.substr(colon + 1)));
  return bytes;
}

// The URL for messages: without user:password@, which curl would accept in it.
std::string UrlForMessages(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (scheme == std::string::npos || at == std::string::npos || (path != std::string::npos && at > path)) {
    return url;
  }
  return url.substr(0, scheme + 3) + url.substr(at + 1);
}

// The libcurl functions this file calls, resolved from libcurl.so.4 (its soname since 2006).
struct CurlApi {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_setopt) setopt = nullptr;
  decltype(&curl_easy_perform) perform = nullptr;
  decltype(&curl_easy_getinfo) getinfo = nullptr;
  decltype(&curl_easy_strerror) strerror = nullptr;
  decltype(&curl_easy_cleanup) cleanup = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
};

template <typename Function>
bool Resolve(void* library, const char* name, Function& function, std::string& error) {
  function = reinterpret_cast<Function>(dlsym(library, name));
  if (function == nullptr) error = fmt::format("libcurl.so.4 has no {}", name);
  return function != nullptr;
}

// Loads libcurl once per process; later calls return the same answer. The library stays
// loaded until exit (curl's global state must not be unloaded under a live handle).
Result<const CurlApi*> LoadCurl() {
  static CurlApi api;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    void* library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* reason = dlerror();
      error = fmt::format("cannot load libcurl: {}", reason ? reason : "dlopen failed");
      return;
    }
    const bool complete = Resolve(library, "curl_global_init", api.global_init, error) &&
                          Resolve(library, "curl_easy_init", api.easy_init, error) &&
                          Resolve(library, "curl_easy_setopt", api.setopt, error) &&
                          Resolve(library, "curl_easy_perform", api.perform, error) &&
                          Resolve(library, "curl_easy_getinfo", api.getinfo, error) &&
                          Resolve(library, "curl_easy_strerror", api.strerror, error) &&
                          Resolve(library, "curl_easy_cleanup", api.cleanup, error) &&
                          Resolve(library, "curl_slist_append", api.slist_append, error) &&
                          Resolve(library, "curl_slist_free_all", api.slist_free_all, error);
    if (complete) api.global_init(CURL_GLOBAL_DEFAULT);
  });
  if (!error.empty()) return Error::Internal(error);
  return &api;
}

class CurlHttpClient : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    const std::string where = fmt::format("{} {}", request.method, UrlForMessages(request.url));
    auto loaded = LoadCurl();
    if (!loaded) return Error::Internal(fmt::format("{}: {}", where, loaded.error().message));
    const CurlApi& curl_api = **loaded;

    auto cleanup = [&curl_api](CURL* handle) { curl_api.cleanup(handle); };
    std::unique_ptr<CURL, decltype(cleanup)> curl(curl_api.easy_init(), cleanup);
    if (!curl) return Error::Internal(fmt::format("{}: cannot create a curl handle", where));
    CURL* h = curl.get();

    // Header lists hold secret values; curl copies nothing we need to wipe, and the list is
    // freed when this function returns.
    curl_slist* raw_headers = nullptr;
    auto append = [&raw_headers, &curl_api](const std::string& line) {
      if (curl_slist* next = curl_api.slist_append(raw_headers, line.c_str())) raw_headers = next;
    };
    for (const auto& [name, value] : request.headers) append(name + ": " + value);
    for (const auto& [name, value] : request.secret_headers) append(name + ": " + value.Reveal());
    append("Expect:");  // no 100-continue round trip for our small bodies
    auto free_all = [&curl_api](curl_slist* list) { curl_api.slist_free_all(list); };
    std::unique_ptr<curl_slist, decltype(free_all)> headers(raw_headers, free_all);

    Transfer transfer;
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_api.setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_api.setopt(h, CURLOPT_URL, request.url.c_str());
    curl_api.setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_api.setopt(h, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM for DNS timeouts: we are not alone
    curl_api.setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_api.setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_api.setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_api.setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_api.setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_api.setopt(h, CURLOPT_HEADERDATA, &transfer);
    if (request.method == "GET") {
      curl_api.setopt(h, CURLOPT_HTTPGET, 1L);
    } else {
      if (request.method != "POST") {
        curl_api.setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      }
      curl_api.setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_api.setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }

    // TLS is verified, always: there is no option to turn it off.
    curl_api.setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_api.setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!request.tls.ca_file.empty()) curl_api.setopt(h, CURLOPT_CAINFO, request.tls.ca_file.c_str());
    if (!request.tls.ca_pem.empty()) SetBlob(curl_api, h, CURLOPT_CAINFO_BLOB, request.tls.ca_pem);
    if (!request.tls.client_cert_file.empty()) {
      curl_api.setopt(h, CURLOPT_SSLCERT, request.tls.client_cert_file.c_str());
    }
    if (!request.tls.client_key_file.empty()) {
      curl_api.setopt(h, CURLOPT_SSLKEY, request.tls.client_key_file.c_str());
    }
    if (!request.tls.client_cert_pem.empty()) SetBlob(curl_api, h, CURLOPT_SSLCERT_BLOB, request.tls.client_cert_pem);
    if (!request.tls.client_key_pem.empty()) {
      SetBlob(curl_api, h, CURLOPT_SSLKEY_BLOB, request.tls.client_key_pem.Reveal());
    }

    const CURLcode code = curl_api.perform(h);
    if (code != CURLE_OK) {
      if (transfer.body_too_large) {
        return Error::Internal(fmt::format("{}: response body larger than {} bytes", where, kMaxBodyBytes));
      }
      // curl's detail (error_buffer) names hosts, certificates and timeouts, never headers.
      const std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_api.strerror(code);
      return Error::Internal(fmt::format("{}: {}", where, detail));
    }
    long status = 0;
    curl_api.getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    transfer.response.status = static_cast<int>(status);
    return std::move(transfer.response);
  }

 private:
  // CURL_BLOB_COPY: curl keeps its own copy, so the blob may point at the request's strings.
  static void SetBlob(const CurlApi& curl_api, CURL* h, CURLoption option, const std::string& pem) {
    curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    curl_api.setopt(h, option, &blob);
  }
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient() { return std::make_unique<CurlHttpClient>(); }

}  // namespace nodeboot
