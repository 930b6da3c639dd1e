// ServiceManager: what nodeboot tells the service manager that started it (systemd's
// notification protocol, sd_notify(3)). nodeboot.service is Type=notify: units ordered after it
// (the kubelet, containerd) may start once it sends READY=1, not only when it exits, because the
// join phase needs them running (README "At boot: nodeboot.service").
// libsystemd is reached through systemd_library.h.
#pragma once

#include <memory>
#include <string_view>

namespace nodeboot {

class ServiceManager {
 public:
  virtual ~ServiceManager() = default;
  // READY=1 with STATUS=`status`: "the data directories are in place; units ordered after
  // nodeboot may start". Returns once the service manager has read the message (bounded
  // wait), so that it is not lost when nodeboot exits right after. A second call only updates
  // the status. Problems are logged, never thrown: a lost notification must not fail a run.
  virtual void NotifyReady(std::string_view status) = 0;
  // STATUS=`status`: the one line `systemctl status` shows ("phase storage"). Best effort.
  virtual void NotifyStatus(std::string_view status) = 0;
};

// systemd's protocol through libsystemd. Without $NOTIFY_SOCKET (not started by a Type=notify
// unit: a run by hand, a test) every call does nothing and libsystemd is not even loaded.
std::unique_ptr<ServiceManager> MakeSystemdServiceManager();

}  // namespace nodeboot
