// FakeHttpClient: an HttpClient that answers from a script and records every request. Like
// the real client, an answer is either a response (any status) or an Error (no response came:
// refused, DNS, TLS, timeout); with an empty script (Answer({})) it answers an Error naming the
// URL, as the real client does when no server listens.
#pragma once

#include <deque>
#include <vector>

#include "agent/base/http_client.h"

namespace nodeboot::testing {

class FakeHttpClient : public HttpClient {
 public:
  // Each Send takes the next answer; the last one repeats. Before any Answer(): 200, no body.
  void Answer(std::vector<Result<HttpResponse>> answers);
  Result<HttpResponse> Send(const HttpRequest& request) override;

  std::vector<HttpRequest> requests;  // every request, in order

 private:
  std::deque<Result<HttpResponse>> answers_{HttpResponse{200, {}, ""}};
};

}  // namespace nodeboot::testing
