// ServiceManager over systemd's notification protocol (service_manager.h has the contract), through
// the libsystemd adapter (systemd_library.h).
#include "agent/base/service_manager.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent/base/logging.h"
#include "agent/base/systemd_library.h"

namespace nodeboot {
namespace {

// How long NotifyReady waits for systemd to have read READY=1. PID 1 reads notifications as
// they come; this only bounds a manager that never answers the barrier.
constexpr uint64_t kBarrierTimeoutUsec = 5'000'000;

class SystemdServiceManager : public ServiceManager {
 public:
  void NotifyReady(std::string_view status) override {
    const SystemdLibrary* api = Api();
    if (api == nullptr) return;
    const bool first = !ready_sent_;
    if (!Send(*api, fmt::format("{}STATUS={}", first ? "READY=1\n" : "", Line(status)))) return;
    if (first) {
      ready_sent_ = true;
      log::Info("systemd: READY=1 sent ({}): units ordered after nodeboot.service may start", Line(status));
    }
    // systemd reads notifications before it handles a SIGCHLD, so even a READY=1 sent just
    // before exit is normally seen as the main PID's; the barrier (sd_notify(3)'s remedy for
    // notifications racing an exit) makes it certain, and makes "sent" mean "read" for what
    // nodeboot starts next.
    if (api->notify_barrier == nullptr) return;  // systemd < 246: nothing to wait on
    if (const int r = api->notify_barrier(0, kBarrierTimeoutUsec); r < 0) {
      log::Warn("systemd: the service manager did not confirm reading {}: {}", first ? "READY=1" : "the status",
                std::strerror(-r));
    }
  }

  void NotifyStatus(std::string_view status) override {
    if (const SystemdLibrary* api = Api()) Send(*api, "STATUS=" + Line(status));
  }

 private:
  // libsystemd, loaded on first use when $NOTIFY_SOCKET is set; else null (and nothing to do).
  const SystemdLibrary* Api() {
    if (!looked_up_) {
      looked_up_ = true;
      const char* socket = std::getenv("NOTIFY_SOCKET");
      if (socket == nullptr || *socket == '\0') return nullptr;
      std::string error;
      api_ = LoadSystemdLibrary(error);
      if (api_ == nullptr)
        log::Error(
            "systemd: $NOTIFY_SOCKET is set but {}; units ordered after nodeboot start when it "
            "exits",
            error);
    }
    return api_;
  }

  // The protocol is newline-separated assignments: a status is one line.
  static std::string Line(std::string_view text) { return std::string(text.substr(0, text.find('\n'))); }

  static bool Send(const SystemdLibrary& api, const std::string& message) {
    const int r = api.notify(0, message.c_str());
    if (r < 0) log::Warn("systemd: sd_notify {}: {}", message.substr(0, message.find('\n')), std::strerror(-r));
    return r > 0;
  }

  bool looked_up_ = false;
  const SystemdLibrary* api_ = nullptr;
  bool ready_sent_ = false;
};

}  // namespace

std::unique_ptr<ServiceManager> MakeSystemdServiceManager() { return std::make_unique<SystemdServiceManager>(); }

}  // namespace nodeboot
