// The real host of agent/run/host.h, built once per process by main.
#pragma once

#include <memory>

#include "agent/base/shutdown.h"
#include "agent/run/host.h"

namespace nodeboot::cli {

class RealHost {
 public:
  // `stoppable`: SIGTERM, SIGINT and SIGHUP become values (ShutdownSignals) that the run sees
  // between phases and the runner passes on to its commands. Only `run` asks for it, before any
  // thread starts; the other commands keep the default action (a stopped `status --wait` dies).
  explicit RealHost(bool stoppable);
  RealHost(const RealHost&) = delete;
  RealHost& operator=(const RealHost&) = delete;

  run::Host& host() { return host_; }

 private:
  std::unique_ptr<ShutdownSignals> shutdown_;
  std::unique_ptr<CommandRunner> runner_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<ServiceManager> service_manager_;
  std::unique_ptr<storage::SignatureProbe> probe_;
  run::Host host_;
};

}  // namespace nodeboot::cli
