#include "agent/base/shutdown.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nodeboot {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  ::sigemptyset(&set);
  ::sigaddset(&set, SIGTERM);
  ::sigaddset(&set, SIGINT);
  ::sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

Result<std::unique_ptr<ShutdownSignals>> ShutdownSignals::Install() {
  // A run must not die because whoever read its output went away (`nodeboot run --repair 2>&1
  // | head` in a terminal): SIGPIPE would kill it mid-phase, leaving its script running with no
  // one to wait for it and the phase recorded as interrupted. Ignored, a write to the gone
  // reader fails with EPIPE instead, which the log sinks and PrintLine (output.h) ignore. (The
  // unit's IgnoreSIGPIPE= already does this under systemd.) Children get it back at its
  // default (command_runner_posix.cc), so `yes | head` in a script behaves.
  ::signal(SIGPIPE, SIG_IGN);
  const sigset_t set = StopSignals();
  if (::pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) {
    return Error::Internal(fmt::format("block SIGTERM/SIGINT/SIGHUP: {}", std::strerror(errno)));
  }
  const int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) return Error::Internal(fmt::format("signalfd: {}", std::strerror(errno)));
  return std::unique_ptr<ShutdownSignals>(new ShutdownSignals(fd));
}

ShutdownSignals::~ShutdownSignals() {
  if (fd_ >= 0) ::close(fd_);
}

int ShutdownSignals::Received() {
  signalfd_siginfo info;
  while (::read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (received_ == 0) received_ = static_cast<int>(info.ssi_signo);
  }
  return received_;
}

const char* SignalName(int signal) {
  switch (signal) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGHUP:
      return "SIGHUP";
    case SIGKILL:
      return "SIGKILL";
    default:
      return "a signal";
  }
}

}  // namespace nodeboot
