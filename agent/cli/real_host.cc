#include "agent/cli/real_host.h"

#include <cstdio>

#include "agent/base/output.h"

namespace nodeboot::cli {
namespace {

std::unique_ptr<ShutdownSignals> InstallShutdownSignals(bool stoppable) {
  if (!stoppable) return nullptr;
  auto installed = ShutdownSignals::Install();
  if (installed) return std::move(*installed);
  // The run goes on: it can still be killed, it only cannot record why.
  PrintLine("nodeboot: " + installed.error().message, stderr);
  return nullptr;
}

}  // namespace

RealHost::RealHost(bool stoppable)
    : shutdown_(InstallShutdownSignals(stoppable)),
      runner_(MakeRealCommandRunner(shutdown_.get())),
      http_(MakeCurlHttpClient()),
      service_manager_(MakeSystemdServiceManager()),
      probe_(storage::MakeBlkidProbe()),
      host_{*runner_, *http_, *service_manager_, *probe_, report::RealDeliveryClock(), [this] {
              return shutdown_ ? shutdown_->Received() : 0;
            }} {}

}  // namespace nodeboot::cli
