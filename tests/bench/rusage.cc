// bench_rusage: runs a command N times and prints, one line per run, what it cost:
//   wall_ms cpu_total_ms cpu_own_ms peak_rss_kib exit_code
// Used by tests/bench/overhead.py; not a test.
//
// Why a separate small program rather than Python's os.wait4: ru_maxrss of a process includes
// the memory of the image it replaced with exec (the kernel keeps the old mm's high-water mark),
// and a child spawned by Python starts life as a copy (or a vfork) of Python, about 13 MiB. So
// the command is started from this process, whose own footprint is about 1-2 MiB (the floor
// `overhead.py` shows for /bin/true).
//
// cpu_total: user + sys of the process and of every child it waited for (wait4's rusage).
// cpu_own: the process alone, from /proc/PID/schedstat (nanoseconds on a CPU), read while the
// process is a zombie (waitid with WNOWAIT), before wait4 reaps it. It counts the main thread
// only; nodeboot does not start threads.
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace {

double Seconds(const timespec& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9; }
double Ms(const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; }

int RunOnce(char** argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd) posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0);
  timespec start{}, end{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::fprintf(stderr, "bench_rusage: cannot start %s: %s\n", argv[0], std::strerror(rc));
    return 1;
  }
  siginfo_t info{};
  while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  double own_ms = -1;
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/schedstat", static_cast<int>(pid));
  if (FILE* file = std::fopen(path, "r")) {
    unsigned long long ns = 0;
    if (std::fscanf(file, "%llu", &ns) == 1) own_ms = static_cast<double>(ns) / 1e6;
    std::fclose(file);
  }
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::printf("%.3f %.3f %.3f %ld %d\n", (Seconds(end) - Seconds(start)) * 1e3, Ms(usage.ru_utime) + Ms(usage.ru_stime),
              own_ms, usage.ru_maxrss, exit_code);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::strcmp(argv[2], "--") != 0) {
    std::fprintf(stderr, "usage: bench_rusage RUNS -- PROGRAM [ARG...]   (PROGRAM: an absolute path)\n");
    return 2;
  }
  const int runs = std::atoi(argv[1]);
  for (int i = 0; i < runs; ++i) {
    if (RunOnce(argv + 3) != 0) return 1;
    std::fflush(stdout);
  }
  return 0;
}
