// The host's side effects as nodeboot's commands reach them: commands, HTTP, the service
// manager, disk signatures, time and stop signals. main builds the real ones once
// (agent/cli/real_host.h) and hands them down; tests hand fakes. Dry runs and logging wrap the
// runner further down (Bootstrap), as ninja wraps its RealCommandRunner in a DryRunCommandRunner.
#pragma once

#include <functional>

#include "agent/base/command_runner.h"
#include "agent/base/http_client.h"
#include "agent/base/service_manager.h"
#include "agent/report/delivery.h"
#include "storage/signature_probe.h"

namespace nodeboot::run {

struct Host {
  CommandRunner& runner;            // runs for real; stops its commands with a stopped run
  HttpClient& http;                 // the task service and the API server
  ServiceManager& service_manager;  // systemd's notify socket; a no-op outside a Type=notify unit
  storage::SignatureProbe& probe;   // what is on a disk (libblkid)
  report::DeliveryClock delivery_clock;
  // The stop signal received so far (SIGTERM, SIGINT, SIGHUP), 0 for none; always 0 for the
  // commands that are not stoppable (only `run` turns those signals into values).
  std::function<int()> stop_signal;
};

}  // namespace nodeboot::run
