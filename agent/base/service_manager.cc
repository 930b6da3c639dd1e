// The adapter for libsystemd's sd_notify(3): the only file that includes it (see
// service_manager.h for the contract).
//
// libsystemd is loaded with dlopen, and only when $NOTIFY_SOCKET is set, instead of being
// linked: linked, libsystemd.so.0 brings libgcrypt, liblzma, libzstd, liblz4 and libcap into
// every command's start-up (README "Start-up"), while only `run` under nodeboot.service has
// anything to say to systemd. The package depends on libsystemd0 by name
// (packaging/CMakeLists.txt), since dpkg-shlibdeps cannot see a dlopen.
#include "agent/base/service_manager.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent/base/logging.h"

namespace nodeboot {
namespace {

// How long NotifyReady waits for systemd to have read READY=1. PID 1 reads notifications as
// they come; this only bounds a manager that never answers the barrier.
constexpr uint64_t kBarrierTimeoutUsec = 5'000'000;

// The libsystemd functions this file calls, resolved from libsystemd.so.0. sd_notify_barrier is
// systemd 246 or later; without it READY=1 is sent unconfirmed.
struct SystemdApi {
  decltype(&sd_notify) notify = nullptr;
  decltype(&sd_notify_barrier) barrier = nullptr;
};

// Null, with `error` saying why, when libsystemd cannot be used. The library stays loaded until
// exit (one ServiceManager per run loads it once).
const SystemdApi* LoadSystemd(std::string& error) {
  void* library = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* reason = dlerror();
    error = fmt::format("cannot load libsystemd: {}", reason ? reason : "dlopen failed");
    return nullptr;
  }
  static SystemdApi api;
  api.notify = reinterpret_cast<decltype(&sd_notify)>(dlsym(library, "sd_notify"));
  api.barrier = reinterpret_cast<decltype(&sd_notify_barrier)>(dlsym(library, "sd_notify_barrier"));
  if (api.notify == nullptr) {
    error = "libsystemd.so.0 has no sd_notify";
    return nullptr;
  }
  return &api;
}

class SystemdServiceManager : public ServiceManager {
 public:
  void NotifyReady(std::string_view status) override {
    const SystemdApi* api = Api();
    if (api == nullptr) return;
    const bool first = !ready_sent_;
    if (!Send(*api, fmt::format("{}STATUS={}", first ? "READY=1\n" : "", Line(status)))) return;
    if (first) {
      ready_sent_ = true;
      log::Info("systemd: READY=1 sent ({}): units ordered after nodeboot.service may start",
                Line(status));
    }
    // systemd reads notifications before it handles a SIGCHLD, so even a READY=1 sent just
    // before exit is normally seen as the main PID's; the barrier (sd_notify(3)'s remedy for
    // notifications racing an exit) makes it certain, and makes "sent" mean "read" for what
    // nodeboot starts next.
    if (api->barrier == nullptr) return;  // systemd < 246: nothing to wait on
    if (const int r = api->barrier(0, kBarrierTimeoutUsec); r < 0) {
      log::Warn("systemd: the service manager did not confirm reading {}: {}",
                first ? "READY=1" : "the status", std::strerror(-r));
    }
  }

  void NotifyStatus(std::string_view status) override {
    if (const SystemdApi* api = Api()) Send(*api, "STATUS=" + Line(status));
  }

 private:
  // libsystemd, loaded on first use when $NOTIFY_SOCKET is set; else null (and nothing to do).
  const SystemdApi* Api() {
    if (!looked_up_) {
      looked_up_ = true;
      const char* socket = std::getenv("NOTIFY_SOCKET");
      if (socket == nullptr || *socket == '\0') return nullptr;
      std::string error;
      api_ = LoadSystemd(error);
      if (api_ == nullptr)
        log::Error(
            "systemd: $NOTIFY_SOCKET is set but {}; units ordered after nodeboot start when it "
            "exits",
            error);
    }
    return api_;
  }

  // The protocol is newline-separated assignments: a status is one line.
  static std::string Line(std::string_view text) {
    return std::string(text.substr(0, text.find('\n')));
  }

  static bool Send(const SystemdApi& api, const std::string& message) {
    const int r = api.notify(0, message.c_str());
    if (r < 0)
      log::Warn("systemd: sd_notify {}: {}", message.substr(0, message.find('\n')),
                std::strerror(-r));
    return r > 0;
  }

  bool looked_up_ = false;
  const SystemdApi* api_ = nullptr;
  bool ready_sent_ = false;
};

}  // namespace

std::unique_ptr<ServiceManager> MakeSystemdServiceManager() {
  return std::make_unique<SystemdServiceManager>();
}

}  // namespace nodeboot
