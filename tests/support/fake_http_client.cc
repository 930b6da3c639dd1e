#include "tests/support/fake_http_client.h"

#include <fmt/format.h>

namespace nodeboot::testing {

void FakeHttpClient::Answer(std::vector<Result<HttpResponse>> answers) {
  answers_.assign(answers.begin(), answers.end());
}

Result<HttpResponse> FakeHttpClient::Send(const HttpRequest& request) {
  requests.push_back(request);
  if (answers_.empty()) {
    return Error::Internal(
        fmt::format("{} {}: Couldn't connect to server (nothing scripted)", request.method, request.url));
  }
  Result<HttpResponse> answer = answers_.front();
  if (answers_.size() > 1) answers_.pop_front();
  return answer;
}

}  // namespace nodeboot::testing
