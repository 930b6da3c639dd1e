// Stand-ins for the host side effects a test's phase must not reach: each use fails the way the
// real one fails when it cannot reach anything (HTTP: no response; probe: the device cannot be
// read), and is counted, so a test can also assert that nothing tried.
#pragma once

#include <string>

#include "agent/base/http_client.h"
#include "storage/signature_probe.h"

namespace nodeboot::testing {

class NoHttp : public HttpClient {
 public:
  Result<HttpResponse> Send(const HttpRequest& request) override {
    ++requests;
    return Error::Internal(request.url + ": no HTTP in this test");
  }
  int requests = 0;
};

class NoProbe : public storage::SignatureProbe {
 public:
  storage::ProbeResult Probe(const std::string& device) override {
    ++probes;
    return {.signature = "", .unrecognised_data = false, .error = device + ": no disks in this test"};
  }
  std::string FilesystemType(const std::string& device) override {
    ++probes;
    return device + ": no disks in this test";
  }
  std::string DeviceNumber(const std::string&) override {
    ++probes;
    return "";
  }
  int probes = 0;
};

}  // namespace nodeboot::testing
