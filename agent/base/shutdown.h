// ShutdownSignals: SIGTERM, SIGINT and SIGHUP to nodeboot as a value to poll, not a handler.
//
// A run must not die in the middle of a script and leave it running beside the next run, so
// `run` blocks these signals (before it starts any thread or child) and reads them from a
// signalfd: the command runner polls fd() beside the child's pipes and, when one arrives,
// forwards SIGTERM to the child's process group (SIGKILL after the grace period), waits for
// it, and says so in its result; the engine then records the phase as interrupted, and the
// report goes to the outbox. No handler runs, so nothing can run one in a vforked child
// (command_runner_posix.cc), and the child resets its signal mask before exec.
#pragma once

#include <memory>

#include "agent/base/result.h"

namespace nodeboot {

class ShutdownSignals {
 public:
  // Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (threads started later inherit
  // the mask) and opens a signalfd for them. Ignores SIGPIPE for the rest of the process.
  static Result<std::unique_ptr<ShutdownSignals>> Install();
  ~ShutdownSignals();
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Readable while a signal waits to be taken by Received().
  int fd() const { return fd_; }
  // The first signal received so far (reads what waits without blocking); 0: none.
  int Received();

 private:
  explicit ShutdownSignals(int fd) : fd_(fd) {}
  int fd_;
  int received_ = 0;
};

// "SIGTERM" for 15.
const char* SignalName(int signal);

}  // namespace nodeboot
