// The real CommandRunner: the one file in the project that includes Boost.Process.
//
// Boost.Process (v1, 1.74) vforks, sets up the child's stdio and environment, execs, and reports
// an exec failure through the memory the child shares with us until exec. vfork, not fork:
// after a fork every page nodeboot then writes is copied, and on the VMs we measured that cost
// nodeboot 1.7 ms of CPU per command (a 16-disk dry run went from 21.7 to 18.2 ms). The price
// is that the child runs on our memory until exec, so what it does there (ChildSetup's
// on_exec_setup, Boost's dup2s) is system calls only: no allocation, no locks; and nodeboot
// installs no signal handlers that could run in it. A small handler of ours (ChildSetup) adds what it
// lacks: an argv whose argv[0] is kept as given, a process group of the child's own, signal
// dispositions reset to default, every inherited descriptor above 2 closed at exec, and the
// reaping of a child whose exec failed (1.74 leaves it a zombie). We use the std::error_code
// form of the child constructor, so a failure to start is a value, not an exception, and the
// handler's on_error sees the pid to reap.
//
// Reading is a poll(2) loop over both pipes (and a pidfd for the child's exit where the kernel
// has one), so a child that fills stderr while we wait on stdout cannot deadlock. We only read
// from the child's pipes, never write to them (stdin is /dev/null), so no SIGPIPE can reach
// nodeboot from here; the child gets default dispositions, so `yes | head` in a script behaves.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
// Boost.Process compiles its vfork launcher only where this is set, and its test for setting
// it does not hold with glibc's default feature macros.
#define BOOST_POSIX_HAS_VFORK 1
#include <boost/process/child.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <boost/process/pipe.hpp>
#include <boost/process/posix.hpp>
#include <boost/process/search_path.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string_view>
#include <vector>

#include "agent/base/command_runner.h"
#include "agent/base/shutdown.h"

namespace nodeboot {
namespace {

namespace bp = boost::process;
using Clock = std::chrono::steady_clock;

// After the direct child exits we keep reading until both pipes reach EOF, but at most this
// long: an install script that starts a daemon with `&` leaves it holding our pipes, and
// waiting for that daemon's EOF would hang the run forever. Then we close our ends.
constexpr auto kDrainAfterExit = std::chrono::seconds(2);
// How often the child's exit is checked on kernels without pidfd_open (before 5.3).
constexpr auto kExitPollInterval = std::chrono::milliseconds(20);
// The largest on_line delivery: a line longer than this arrives in pieces, so a child
// printing megabytes without a newline cannot make us buffer them.
constexpr size_t kMaxLineChunk = 64 * 1024;
constexpr size_t kReadSize = 64 * 1024;

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// One output stream of the child: keeps its tail and cuts it into lines for on_line.
class StreamCapture {
 public:
  StreamCapture(OutputStream stream, const Command& command)
      : stream_(stream), capture_bytes_(command.capture_bytes), on_line_(command.on_line) {}

  void Append(std::string_view data) {
    KeepTail(data);
    if (on_line_) SplitLines(data);
  }

  // At EOF: the last line, if it had no '\n'.
  void Finish() {
    if (on_line_ && !partial_.empty()) on_line_(stream_, partial_);
    partial_.clear();
  }

  std::string TakeTail() {
    if (tail_.size() > capture_bytes_) tail_.erase(0, tail_.size() - capture_bytes_);
    return std::move(tail_);
  }

 private:
  // Memory stays below 2 * capture_bytes: the front is cut off only when that much has
  // accumulated, so the cost of erasing is amortised over the bytes appended.
  void KeepTail(std::string_view data) {
    if (data.size() >= capture_bytes_) {
      tail_.assign(data.substr(data.size() - capture_bytes_));
      return;
    }
    tail_.append(data);
    if (tail_.size() > 2 * capture_bytes_) tail_.erase(0, tail_.size() - capture_bytes_);
  }

  void SplitLines(std::string_view data) {
    while (!data.empty()) {
      const size_t newline = data.find('\n');
      if (newline == std::string_view::npos) {
        partial_.append(data);
        break;
      }
      partial_.append(data.substr(0, newline));
      on_line_(stream_, partial_);
      partial_.clear();
      data.remove_prefix(newline + 1);
    }
    while (partial_.size() >= kMaxLineChunk) {
      on_line_(stream_, std::string_view(partial_).substr(0, kMaxLineChunk));
      partial_.erase(0, kMaxLineChunk);
    }
  }

  OutputStream stream_;
  size_t capture_bytes_;
  const std::function<void(OutputStream, std::string_view)>& on_line_;
  std::string tail_;
  std::string partial_;
};

// Our read end of one of the child's output pipes.
struct OutputPipe {
  UniqueFd fd;
  StreamCapture capture;

  // Reads what one read(2) returns; closes the pipe at EOF (or on an error, which we treat
  // as EOF: there is nothing more to read either way).
  void ReadOnce(std::vector<char>& buffer) {
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
      Close();
      return;
    }
    capture.Append(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }

  void Close() {
    fd.Reset();
    capture.Finish();
  }
};

// Sets FD_CLOEXEC on every descriptor above 2, in the child between vfork and exec, so the
// program inherits only its stdio whatever else nodeboot has open (a lock file, a log).
// Boost's error pipe is close-on-exec already and stays usable for reporting exec failures,
// which closing outright (bp::limit_handles in 1.74) would break.
void MarkInheritedDescriptorsCloseOnExec() {
  if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
  // Kernels before 5.11: walk /proc/self/fd with getdents64 into a buffer on the stack (not
  // opendir, which allocates).
  const int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  alignas(struct dirent64) char buffer[4096];
  ssize_t length;
  while ((length = ::getdents64(dir, buffer, sizeof buffer)) > 0) {
    for (ssize_t offset = 0; offset < length;) {
      const auto* entry = reinterpret_cast<const struct dirent64*>(buffer + offset);
      const int fd = std::atoi(entry->d_name);
      if (fd > 2 && fd != dir) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      offset += entry->d_reclen;
    }
  }
  ::close(dir);
}

// A Boost.Process initializer (see boost/process/extend.hpp) for what the stock ones lack.
// The child's environment: ours, `overrides` over it, and LC_ALL=C over both (always C, so
// that we can parse what programs say). Built here, not with bp::environment: Boost 1.74's
// lookup (basic_environment_impl::find) compares "NAME=" with each entry without checking the
// entry's length, reading past the end of a shorter one (found by the ASan build).
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos || equals == 0) continue;
    variables.emplace(text.substr(0, equals), text.substr(equals + 1));
  }
  for (const auto& [name, value] : overrides) variables[name] = value;
  variables["LC_ALL"] = "C";
  std::vector<std::string> entries;
  entries.reserve(variables.size());
  for (const auto& [name, value] : variables) entries.push_back(name + "=" + value);
  return entries;
}

// Command::pid_file, in the child between vfork and exec: system calls only (no allocation:
// the pid is formatted on the stack).
void WritePidFile(const char* temp, const char* path) {
  char text[24];
  char* end = text + sizeof text;
  char* at = end;
  *--at = '\n';
  for (auto pid = static_cast<unsigned long>(::getpid()); at == end - 1 || pid > 0; pid /= 10) {
    *--at = static_cast<char>('0' + pid % 10);
  }
  const int fd = ::open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return;
  const auto length = static_cast<ssize_t>(end - at);
  const bool written = ::write(fd, at, static_cast<size_t>(length)) == length;
  ::close(fd);
  if (!written || ::rename(temp, path) != 0) ::unlink(temp);
}

struct ChildSetup : bp::extend::handler {
  const char* exe;
  char* const* argv;  // null-terminated; argv[0] as the caller gave it
  const char* working_dir;
  char** envp;           // null-terminated NAME=VALUE entries: ChildEnvironment()
  const char* pid_file;  // null: none
  const char* pid_file_temp;

  template <typename Executor>
  void on_setup(Executor& exec) const {
    exec.exe = exe;
    exec.cmd_line = argv;
    exec.env = envp;
  }

  // In the child, after vfork, before exec: system calls only (see the top of the file).
  template <typename Executor>
  void on_exec_setup(Executor& exec) const {
    // Its own process group, so a timeout can signal the child and everything it started.
    // The parent's constructor returns only after exec, so the group exists by then.
    ::setpgid(0, 0);
    if (pid_file != nullptr) WritePidFile(pid_file_temp, pid_file);
    if (::chdir(working_dir) != 0) {
      exec.set_error(bp::extend::get_last_error(), "chdir");
      ::_exit(127);  // without this Boost 1.74 would go on to exec anyway
    }
    // Ignored signals stay ignored across exec; the program should start with defaults.
    struct sigaction default_action = {};
    default_action.sa_handler = SIG_DFL;
    for (int signal = 1; signal < NSIG; ++signal) ::sigaction(signal, &default_action, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    MarkInheritedDescriptorsCloseOnExec();
  }

  // In the parent when starting failed. If vfork succeeded and exec did not, the child has
  // reported its error and exited; Boost 1.74 forgets it, so we reap it here.
  template <typename Executor>
  void on_error(Executor& exec, const std::error_code&) const {
    if (exec.pid <= 0) return;
    ::kill(exec.pid, SIGKILL);
    while (::waitpid(exec.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
};

// The directories of nodeboot's PATH, for bp::search_path. Not its default,
// boost::this_process::path(): that builds a locale for every environment variable to find
// PATH case-insensitively (0.4 ms a command here), and searches the working directory for an
// empty entry, which a root agent should not.
std::vector<boost::filesystem::path> PathDirectories() {
  std::vector<boost::filesystem::path> directories;
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "";
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    const std::string_view directory = rest.substr(0, colon);
    if (!directory.empty()) directories.emplace_back(std::string(directory));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return directories;
}

// Whether the child has exited, without reaping it: while its zombie exists, its pid cannot
// be reused, so kill(-pid) still names its process group and no one else.
bool HasExited(pid_t pid) {
  siginfo_t info = {};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno != EINTR;  // ECHILD: already reaped, so certainly not running
  }
  return info.si_pid != 0;
}

int ExitCodeOf(int wait_status) {
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}

Error StartError(const std::string& program, std::string_view why) {
  return Error::Internal(fmt::format("start {}: {}", program, why));
}

// The loop's state: a running child; a timed-out one that got SIGTERM and has kill_grace to
// go; or one that has exited (or got SIGKILL), whose pipes we drain for a bounded time.
enum class Phase { kRunning, kTerminating, kDraining };

class RealCommandRunner : public CommandRunner {
 public:
  explicit RealCommandRunner(ShutdownSignals* shutdown) : shutdown_(shutdown) {}

  bool HasProgram(const std::string& program) override {
    const std::string exe = Executable(program);
    return !exe.empty() && ::access(exe.c_str(), X_OK) == 0;
  }

  Result<CommandResult> Run(const Command& command) override {
    if (command.argv.empty()) return Error::Internal("start: empty argv");
    const std::string& program = command.argv[0];
    try {
      return RunOrError(command, shutdown_);
    } catch (const std::exception& e) {
      // Boost.Process with an error_code should not throw, but its environment and pipe
      // helpers can (bad_alloc, process_error).
      return StartError(program, e.what());
    }
  }

 private:
  // What exec is given for `program`: a path as it is, a name looked up in nodeboot's PATH (not
  // command.env's); "" for a name PATH does not have.
  static std::string Executable(const std::string& program) {
    if (program.find('/') != std::string::npos) return program;
    return bp::search_path(program, PathDirectories()).string();
  }

  static Result<CommandResult> RunOrError(const Command& command, ShutdownSignals* shutdown) {
    const std::string& program = command.argv[0];
    const std::string exe = Executable(program);
    if (exe.empty()) return StartError(program, "not found in PATH");
    // Checked here for a clear message; the child reports a chdir failure only as an errno.
    struct stat dir_stat;
    if (::stat(command.working_dir.c_str(), &dir_stat) != 0) {
      return StartError(program, fmt::format("working directory {}: {}", command.working_dir, std::strerror(errno)));
    }

    std::vector<std::string> argv_storage = command.argv;
    std::vector<char*> argv;
    for (std::string& word : argv_storage) argv.push_back(word.data());
    argv.push_back(nullptr);

    std::vector<std::string> env_storage = ChildEnvironment(command.env);
    std::vector<char*> envp;
    for (std::string& entry : env_storage) envp.push_back(entry.data());
    envp.push_back(nullptr);

    int out_fds[2];
    int err_fds[2];
    if (::pipe2(out_fds, O_CLOEXEC) != 0) return StartError(program, std::strerror(errno));
    bp::pipe out_pipe(out_fds[0], out_fds[1]);
    if (::pipe2(err_fds, O_CLOEXEC) != 0) return StartError(program, std::strerror(errno));
    bp::pipe err_pipe(err_fds[0], err_fds[1]);

    const auto start = Clock::now();
    const std::string pid_file_temp = command.pid_file + ".tmp";
    const ChildSetup setup{{},
                           exe.c_str(),
                           argv.data(),
                           command.working_dir.c_str(),
                           envp.data(),
                           command.pid_file.empty() ? nullptr : command.pid_file.c_str(),
                           pid_file_temp.c_str()};
    std::error_code start_error;
    // clang-format reads Boost's redirection operators as template brackets.
    // clang-format off
    bp::child child(setup, bp::std_in < bp::null, bp::std_out > out_pipe,
                    bp::std_err > err_pipe, bp::posix::use_vfork, start_error);
    // clang-format on
    if (start_error) return StartError(program, start_error.message());
    const pid_t pid = child.id();

    // If on_line throws, the child's group must not outlive us.
    struct GroupKiller {
      pid_t pid;
      bool armed = true;
      ~GroupKiller() {
        if (armed) ::kill(-pid, SIGKILL);
      }
    } group_killer{pid};

    // The write ends were closed in this process by Boost; the read ends are ours now.
    OutputPipe out{UniqueFd(out_pipe.native_source()), StreamCapture(OutputStream::kStdout, command)};
    out_pipe.assign_source(-1);
    OutputPipe err{UniqueFd(err_pipe.native_source()), StreamCapture(OutputStream::kStderr, command)};
    err_pipe.assign_source(-1);
    // Readable when the child exits; -1 before Linux 5.3, where we poll on a timer instead.
    // (A raw syscall: glibc 2.36's <sys/pidfd.h> lacks extern "C" and does not link from C++.)
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));

    CommandResult result;
    const auto deadline = start + command.timeout;
    Phase phase = Phase::kRunning;
    auto phase_end = deadline;
    bool exited = false;
    std::vector<char> buffer(kReadSize);
    while (true) {
      const auto now = Clock::now();
      if (!exited) exited = HasExited(pid);
      const bool pipes_closed = !out.fd.valid() && !err.fd.valid();
      if (phase == Phase::kRunning && exited) {
        // The timeout covers the drain too: it never runs past the deadline.
        phase = Phase::kDraining;
        phase_end = std::min(now + kDrainAfterExit, deadline);
      } else if (phase == Phase::kRunning && shutdown != nullptr && shutdown->Received() != 0) {
        // nodeboot is being stopped: the child's group goes the same way as on a timeout, and
        // we wait for it, so no script outlives the run that holds the lock.
        ::kill(-pid, SIGTERM);
        result.stopped_by = shutdown->Received();
        phase = Phase::kTerminating;
        phase_end = now + command.kill_grace;
      } else if (phase == Phase::kRunning && now >= deadline) {
        ::kill(-pid, SIGTERM);
        result.timed_out = true;
        phase = Phase::kTerminating;
        phase_end = now + command.kill_grace;
      } else if (phase == Phase::kTerminating && ((exited && pipes_closed) || now >= phase_end)) {
        // Also when the child went quietly: whatever of its group survived SIGTERM goes now.
        ::kill(-pid, SIGKILL);
        phase = Phase::kDraining;
        phase_end = now + kDrainAfterExit;
      }
      if (phase == Phase::kDraining && ((exited && pipes_closed) || now >= phase_end)) break;

      std::vector<pollfd> fds;
      for (const OutputPipe* pipe : {&out, &err}) {
        if (pipe->fd.valid()) fds.push_back({pipe->fd.get(), POLLIN, 0});
      }
      if (!exited && pidfd.valid()) fds.push_back({pidfd.get(), POLLIN, 0});
      if (phase == Phase::kRunning && shutdown != nullptr) fds.push_back({shutdown->fd(), POLLIN, 0});
      auto wake = phase_end;
      if (!exited && !pidfd.valid()) wake = std::min(wake, now + kExitPollInterval);
      // Rounded up, so we do not spin on a wait that rounds down to 0 ms.
      const auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
      const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(wait_ms, 0, 60'000)));
      if (ready <= 0) continue;  // a timeout or EINTR: the top of the loop decides
      for (const pollfd& ready_fd : fds) {
        if (ready_fd.revents == 0) continue;
        for (OutputPipe* pipe : {&out, &err}) {
          if (pipe->fd.get() == ready_fd.fd) pipe->ReadOnce(buffer);
        }
      }
    }

    // When the drain was cut short by the deadline, take what is already in the pipes (a
    // bounded amount, in case a daemon keeps writing), then give up on the rest.
    for (OutputPipe* pipe : {&out, &err}) {
      for (int reads = 0; pipe->fd.valid() && reads < 16; ++reads) {
        pollfd fd{pipe->fd.get(), POLLIN, 0};
        if (::poll(&fd, 1, 0) <= 0) break;
        pipe->ReadOnce(buffer);
      }
      if (pipe->fd.valid()) pipe->Close();
    }

    if (exited) {
      std::error_code wait_error;
      child.wait(wait_error);  // reaps the zombie HasExited saw; returns at once
      // A wait error means someone else reaped it (SIGCHLD ignored): the status is lost, and
      // -1 at least does not pass for success.
      result.exit_code = wait_error ? -1 : ExitCodeOf(child.native_exit_code());
    } else {
      // Still there 2 s after SIGKILL: stuck in the kernel (uninterruptible I/O). Waiting
      // could hang nodeboot, so we stop waiting and report it killed; it stays our zombie.
      child.detach();
      result.exit_code = 128 + SIGKILL;
    }
    group_killer.armed = false;
    result.out = out.capture.TakeTail();
    result.err = err.capture.TakeTail();
    result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return result;
  }

  ShutdownSignals* shutdown_;
};

}  // namespace

std::unique_ptr<CommandRunner> MakeRealCommandRunner(ShutdownSignals* shutdown) {
  return std::make_unique<RealCommandRunner>(shutdown);
}

}  // namespace nodeboot
