// NotifySocket: the service manager's end of systemd's notification protocol (sd_notify(3)),
// for tests. A unix datagram socket bound at a path, read by a thread that keeps each message
// with the PID that sent it (SO_PASSCRED: what systemd checks for NotifyAccess=main) and closes
// every file descriptor a message carries, as systemd does: that close is the answer
// sd_notify_barrier's BARRIER=1 waits for. One socket is one queue, so the order of the
// messages is the order in which they were sent, from whichever process.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace nodeboot::testing {

struct NotifyMessage {
  pid_t pid = 0;     // the sender
  std::string text;  // "READY=1\nSTATUS=..."
  int fds = 0;       // file descriptors it carried (closed on receipt)
};

class NotifySocket {
 public:
  // Binds `path` (it must not exist; at most 107 bytes) and starts reading.
  explicit NotifySocket(std::filesystem::path path);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::vector<NotifyMessage> Messages() const;
  // Waits until some message's text contains `text`; false when `timeout` passes first.
  bool WaitFor(std::string_view text, std::chrono::milliseconds timeout) const;

 private:
  void Read();

  std::filesystem::path path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<NotifyMessage> messages_;
  std::thread reader_;
};

}  // namespace nodeboot::testing
