// The real runner runs tiny real programs (/bin/sh, sleep); the slow cases (timeouts, a
// daemon holding the pipes) use 1 s timeouts, so the whole file takes a few seconds.
#include "agent/base/command_runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <utility>

#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

using ::nodeboot::testing::Slurp;
using ::nodeboot::testing::TempDir;
using std::chrono::milliseconds;
using std::chrono::seconds;

Command Argv(std::vector<std::string> argv) {
  Command command;
  command.argv = std::move(argv);
  return command;
}

Command Shell(std::string script) { return Argv({"/bin/sh", "-c", std::move(script)}); }

CommandResult RunOk(const Command& command) {
  auto result = MakeRealCommandRunner()->Run(command);
  EXPECT_TRUE(result) << result.error().message;
  return result ? *result : CommandResult{};
}

// Dead, or a zombie waiting for a reaper (a container's init may not reap).
bool IsDead(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  const std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && stat.size() > paren + 2 && stat[paren + 2] == 'Z';
}

bool BecomesDead(pid_t pid) {
  for (int i = 0; i < 100 && !IsDead(pid); ++i) std::this_thread::sleep_for(milliseconds(10));
  return IsDead(pid);
}

TEST(RealCommandRunner, PropagatesExitCodes) {
  const CommandResult zero = RunOk(Shell("exit 0"));
  EXPECT_EQ(zero.exit_code, 0);
  EXPECT_TRUE(zero.ok());
  const CommandResult three = RunOk(Shell("exit 3"));
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_FALSE(three.timed_out);
  EXPECT_FALSE(three.ok());
  EXPECT_EQ(RunOk(Shell("kill -KILL $$")).exit_code, 128 + SIGKILL);
}

TEST(RealCommandRunner, SeparatesStdoutAndStderr) {
  const CommandResult result = RunOk(Shell("echo out; echo err >&2; echo out2"));
  EXPECT_EQ(result.out, "out\nout2\n");
  EXPECT_EQ(result.err, "err\n");
}

TEST(RealCommandRunner, StreamsLinesInOrderWithTheirStream) {
  std::vector<std::pair<OutputStream, std::string>> lines;
  Command command = Shell("echo one; sleep 0.05; echo two >&2; sleep 0.05; echo; printf three");
  command.on_line = [&](OutputStream stream, std::string_view line) { lines.emplace_back(stream, std::string(line)); };
  RunOk(command);
  const std::vector<std::pair<OutputStream, std::string>> expected = {
      {OutputStream::kStdout, "one"},
      {OutputStream::kStderr, "two"},
      {OutputStream::kStdout, ""},
      {OutputStream::kStdout, "three"}};  // the unterminated last line, at EOF
  EXPECT_EQ(lines, expected);
}

TEST(RealCommandRunner, KeepsOnlyTheTailAndChunksLongLines) {
  // 1 MiB without a newline on stdout, and 1 MB on stderr at the same time: reading both
  // pipes concurrently is what keeps this from deadlocking.
  Command command = Shell("head -c 1000000 /dev/zero >&2; head -c 1048576 /dev/zero | tr '\\0' a; printf END");
  command.capture_bytes = 1024;
  size_t longest = 0;
  size_t streamed = 0;
  command.on_line = [&](OutputStream stream, std::string_view line) {
    if (stream != OutputStream::kStdout) return;
    longest = std::max(longest, line.size());
    streamed += line.size();
  };
  const CommandResult result = RunOk(command);
  EXPECT_EQ(result.out.size(), 1024u);
  EXPECT_EQ(result.out, std::string(1021, 'a') + "END");
  EXPECT_EQ(result.err.size(), 1024u);
  EXPECT_LE(longest, 64u * 1024);
  EXPECT_EQ(streamed, 1048576u + 3);
}

TEST(RealCommandRunner, PassesEnvironmentAndForcesCLocale) {
  ::setenv("NODEBOOT_TEST_INHERITED", "inherited", 1);
  Command command = Shell("printf '%s|%s|%s' \"$NODEBOOT_TEST_INHERITED\" \"$NODE_NAME\" \"$LC_ALL\"");
  command.env = {{"NODE_NAME", "worker 1"}, {"LC_ALL", "de_DE.UTF-8"}};
  EXPECT_EQ(RunOk(command).out, "inherited|worker 1|C");
  ::unsetenv("NODEBOOT_TEST_INHERITED");
}

TEST(RealCommandRunner, RunsInTheWorkingDirectoryWithStdinFromDevNull) {
  const TempDir dir;
  Command command = Shell("pwd -P; wc -c");
  command.working_dir = dir.path().string();
  EXPECT_EQ(RunOk(command).out, std::filesystem::canonical(dir.path()).string() + "\n0\n");

  command.working_dir = (dir.path() / "missing").string();
  auto missing = MakeRealCommandRunner()->Run(command);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("working directory"), std::string::npos);

  // Exists but is no directory: the child's chdir fails, and nothing is run.
  command.working_dir = dir.Write("file", "").string();
  auto not_a_directory = MakeRealCommandRunner()->Run(command);
  ASSERT_FALSE(not_a_directory);
  EXPECT_EQ(not_a_directory.error().message, "start /bin/sh: Not a directory");
}

TEST(RealCommandRunner, LooksUpProgramsInPath) {
  const TempDir dir;
  dir.Write("bin/fake-kubeadm", "#!/bin/sh\necho \"fake $0 $*\"\n");
  std::filesystem::permissions(dir.path() / "bin/fake-kubeadm", std::filesystem::perms::owner_all);
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (dir.path() / "bin").string().c_str(), 1);
  auto result = MakeRealCommandRunner()->Run(Argv({"fake-kubeadm", "join"}));
  ::setenv("PATH", old_path.c_str(), 1);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->out, "fake " + (dir.path() / "bin/fake-kubeadm").string() + " join\n");
}

// An empty PATH entry would mean the working directory to a shell; nodeboot runs as root and
// does not look there.
TEST(RealCommandRunner, PathLookupSkipsEmptyEntriesAndMissingDirectories) {
  const TempDir dir;
  for (const char* name : {"here-only", "bin/fake-kubeadm"}) {
    dir.Write(name, "#!/bin/sh\necho ran\n");
    std::filesystem::permissions(dir.path() / name, std::filesystem::perms::owner_all);
  }
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  const auto old_cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  ::setenv("PATH", ("::" + (dir.path() / "missing").string() + ":" + (dir.path() / "bin").string() + ":").c_str(), 1);
  Command here_only = Argv({"here-only"});
  here_only.working_dir = dir.path().string();
  auto not_found = MakeRealCommandRunner()->Run(here_only);
  auto found = MakeRealCommandRunner()->Run(Argv({"fake-kubeadm"}));
  ::setenv("PATH", old_path.c_str(), 1);
  std::filesystem::current_path(old_cwd);
  ASSERT_FALSE(not_found);
  EXPECT_EQ(not_found.error().message, "start here-only: not found in PATH");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->out, "ran\n");
}

// HasProgram answers what Run would find: in nodeboot's PATH for a name, executable for a path.
TEST(RealCommandRunner, HasProgramAnswersAsRunWouldStart) {
  const auto runner = MakeRealCommandRunner();
  EXPECT_TRUE(runner->HasProgram("sh"));
  EXPECT_TRUE(runner->HasProgram("/bin/sh"));
  EXPECT_FALSE(runner->HasProgram("nodeboot-no-such-program"));
  EXPECT_FALSE(runner->HasProgram("/nonexistent/kubeadm"));
  testing::TempDir dir;
  dir.Write("data", "not a program\n");
  EXPECT_FALSE(runner->HasProgram((dir.path() / "data").string())) << "a file that is not executable";
  EXPECT_FALSE(runner->Run(Argv({"nodeboot-no-such-program"})));
}

TEST(RealCommandRunner, ProgramThatCannotStartIsAnErrorNamingIt) {
  const auto runner = MakeRealCommandRunner();
  const auto start = std::chrono::steady_clock::now();
  auto not_in_path = runner->Run(Argv({"nodeboot-no-such-program", "x"}));
  ASSERT_FALSE(not_in_path);
  EXPECT_EQ(not_in_path.error().message, "start nodeboot-no-such-program: not found in PATH");

  auto no_file = runner->Run(Argv({"/nonexistent/kubeadm"}));
  ASSERT_FALSE(no_file);
  EXPECT_EQ(no_file.error().message, "start /nonexistent/kubeadm: No such file or directory");

  const TempDir dir;
  const std::string not_executable = dir.Write("script.sh", "echo hi\n").string();
  auto denied = runner->Run(Argv({not_executable}));
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().message, "start " + not_executable + ": Permission denied");
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(1));

  // The child whose exec failed was reaped: no zombie is left behind.
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(RealCommandRunner, TimeoutKillsTheWholeProcessGroup) {
  const TempDir dir;
  const std::string pidfile = (dir.path() / "pid").string();
  Command command = Shell("sleep 30 & echo $! > " + pidfile + "; sleep 30");
  command.timeout = seconds(1);
  command.kill_grace = seconds(1);
  const CommandResult result = RunOk(command);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
  EXPECT_GE(result.duration, milliseconds(1000));
  EXPECT_LT(result.duration, milliseconds(1900));  // SIGTERM sufficed: no wait for the grace
  const pid_t grandchild = std::atoi(Slurp(pidfile).c_str());
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(BecomesDead(grandchild));
}

TEST(RealCommandRunner, ChildIgnoringSigtermIsKilledAfterTheGrace) {
  Command command = Shell("trap '' TERM; sleep 30");
  command.timeout = seconds(1);
  command.kill_grace = seconds(1);
  const CommandResult result = RunOk(command);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
  EXPECT_GE(result.duration, milliseconds(2000));
  EXPECT_LT(result.duration, milliseconds(3000));
}

TEST(RealCommandRunner, BackgroundDaemonHoldingThePipesDoesNotHangTheRun) {
  const CommandResult result = RunOk(Shell("sleep 30 & echo $!; echo started >&2"));
  EXPECT_TRUE(result.ok());
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.err, "started\n");
  EXPECT_LT(result.duration, milliseconds(3000));
  const pid_t daemon = std::atoi(result.out.c_str());
  ASSERT_GT(daemon, 0);
  EXPECT_FALSE(IsDead(daemon));  // a daemon started with & is left running
  ::kill(daemon, SIGKILL);
}

// The record of a started script exists before the script's first instruction: a nodeboot
// SIGKILLed the moment after the start still leaves it (issue 15's orphan check). The program
// reads the file first thing and finds its own pid, which is also its process group.
TEST(RealCommandRunner, PidFileIsWrittenByTheChildBeforeExec) {
  TempDir dir;
  const std::string pid_file = (dir.path() / "script.pid").string();
  Command command = Argv({"/bin/sh", "-c",
                          "read pid < \"$0\" && read -r _ _ _ _ group _ < /proc/$$/stat && [ \"$pid\" = \"$$\" ] && [ "
                          "\"$group\" = \"$$\" ]"
                          " && echo own-pid-and-group",
                          pid_file});
  command.pid_file = pid_file;
  const CommandResult result = RunOk(command);
  EXPECT_EQ(result.out, "own-pid-and-group\n") << result.err;
  EXPECT_FALSE(std::filesystem::exists(pid_file + ".tmp"));
  // Nothing to write to: the program runs all the same.
  command.pid_file = (dir.path() / "no-such-dir" / "script.pid").string();
  command.argv = {"/bin/sh", "-c", "echo ran"};
  EXPECT_EQ(RunOk(command).out, "ran\n");
}

TEST(RealCommandRunner, ChildInheritsOnlyItsStdio) {
  // Deliberately without FD_CLOEXEC, as a careless library in nodeboot might leave one.
  const int null_fd = ::open("/dev/null", O_RDONLY);
  const int leaked = ::fcntl(null_fd, F_DUPFD, 57);
  ::close(null_fd);
  ASSERT_GE(leaked, 57);
  // `test` is a shell builtin, so /proc/self is the shell itself.
  const std::string fd = std::to_string(leaked);
  const CommandResult result = RunOk(Shell("test -e /proc/self/fd/" + fd +
                                           " && echo leaked; "
                                           "test -e /proc/self/fd/2 && echo stdio"));
  ::close(leaked);
  EXPECT_EQ(result.out, "stdio\n");
}

// Kernels before 5.11 (Debian 11's 5.10) have no close_range; the runner then walks
// /proc/self/fd in the vforked child. A seccomp filter makes close_range fail with ENOSYS in
// a forked test process, which runs the case above there.
TEST(RealCommandRunner, ChildInheritsOnlyItsStdioWithoutCloseRange) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog program = {static_cast<unsigned short>(std::size(filter)), filter};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
      ::_exit(3);
    }
    if (::syscall(__NR_close_range, 1000, 1000, 0) == 0 || errno != ENOSYS) ::_exit(4);  // the filter holds
    const int null_fd = ::open("/dev/null", O_RDONLY);
    const int leaked = ::fcntl(null_fd, F_DUPFD, 57);
    auto result = MakeRealCommandRunner()->Run(Shell("test -e /proc/self/fd/" + std::to_string(leaked) +
                                                     " && echo leaked; test -e /proc/self/fd/2 && echo stdio"));
    ::_exit(!result ? 5 : result->out == "stdio\n" ? 0 : 6);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: no seccomp, 4: close_range not blocked, 5: run failed, 6: fd leaked";
}

TEST(FormatArgv, QuotesOnlyWhatTheShellWouldInterpret) {
  EXPECT_EQ(FormatArgv({"kubeadm", "join", "--config", "/etc/kubernetes/x.yaml"}),
            "kubeadm join --config /etc/kubernetes/x.yaml");
  EXPECT_EQ(FormatArgv({"lvcreate", "-l", "100%FREE", "-n", "dockersys", "vg@1,a+b=c:d"}),
            "lvcreate -l 100%FREE -n dockersys vg@1,a+b=c:d");
  EXPECT_EQ(FormatArgv({"echo", "a b", "", "it's", "$HOME"}), "echo 'a b' '' 'it'\\''s' '$HOME'");
  EXPECT_EQ(FormatArgv({}), "");
}

TEST(FormatArgv, PastedIntoAShellGivesBackTheWords) {
  const std::vector<std::string> words = {"a b", "", "it's", "$HOME", "*", "x\ny", "\\", "\"q\""};
  std::vector<std::string> argv = {"printf", "<%s>"};
  argv.insert(argv.end(), words.begin(), words.end());
  std::string expected;
  for (const std::string& word : words) expected += "<" + word + ">";
  EXPECT_EQ(RunOk(Shell(FormatArgv(argv))).out, expected);
}

TEST(CommandResult, FirstErrorLinePrefersStderr) {
  EXPECT_EQ((CommandResult{.out = "out\n", .err = "\n  \n  boom: no space \nmore\n"}).FirstErrorLine(),
            "boom: no space");
  EXPECT_EQ((CommandResult{.out = "\n first out \n", .err = " \n"}).FirstErrorLine(), "first out");
  EXPECT_EQ((CommandResult{.out = "only", .err = ""}).FirstErrorLine(), "only");
  EXPECT_EQ(CommandResult{}.FirstErrorLine(), "");
}

// The one description of a failed command every error message uses.
TEST(CommandResult, DescribeFailureSaysHowTheCommandFailed) {
  Command command;
  command.argv = {"lvm", "vgcreate", "vgpaas"};
  command.timeout = std::chrono::seconds(300);
  const auto result = [](int exit_code, std::string err, bool timed_out = false, int stopped_by = 0) {
    CommandResult r;
    r.exit_code = exit_code;
    r.err = std::move(err);
    r.timed_out = timed_out;
    r.stopped_by = stopped_by;
    return r;
  };
  EXPECT_EQ(DescribeFailure(command, result(5, "  Device /dev/vdb excluded by a filter.\n")),
            "exit 5: Device /dev/vdb excluded by a filter.");
  EXPECT_EQ(DescribeFailure(command, result(3, "")), "exit 3");
  EXPECT_EQ(DescribeFailure(command, result(137, "", true)), "timed out after 300 s; its process group was killed");
  EXPECT_EQ(DescribeFailure(command, result(143, "", false, 15)), "stopped: nodeboot got SIGTERM");
}

// A first line that introduces a list (kubeadm's preflight) carries the list's first lines.
TEST(CommandResult, FirstErrorLineKeepsTheListItIntroduces) {
  const std::string kubeadm =
      "error execution phase preflight: [preflight] Some fatal errors occurred:\n"
      "\t[ERROR FileAvailable--etc-kubernetes-bootstrap-kubelet.conf]: /etc/kubernetes/bootstrap-kubelet.conf already "
      "exists\n"
      "\t[ERROR FileAvailable--etc-kubernetes-pki-ca.crt]: /etc/kubernetes/pki/ca.crt already exists\n"
      "[preflight] If you know what you are doing, you can make a check non-fatal with "
      "`--ignore-preflight-errors=...`\n"
      "To see the stack trace of this error execute with --v=5 or higher\n";
  EXPECT_EQ(
      (CommandResult{.out = "", .err = kubeadm}).FirstErrorLine(),
      "error execution phase preflight: [preflight] Some fatal errors occurred: "
      "[ERROR FileAvailable--etc-kubernetes-bootstrap-kubelet.conf]: /etc/kubernetes/bootstrap-kubelet.conf "
      "already exists; [ERROR FileAvailable--etc-kubernetes-pki-ca.crt]: /etc/kubernetes/pki/ca.crt already exists");
  // At most three listed lines; a colon line with nothing indented after it stays as it is.
  EXPECT_EQ((CommandResult{.out = "", .err = "errors:\n a\n b\n c\n d\n"}).FirstErrorLine(), "errors: a; b; c");
  EXPECT_EQ((CommandResult{.out = "", .err = "usage:\nnot indented\n"}).FirstErrorLine(), "usage:");
  EXPECT_EQ((CommandResult{.out = "", .err = "plain line\n  indented\n"}).FirstErrorLine(), "plain line");
}

TEST(DryRunCommandRunner, PrintsWhatWouldChangeTheSystemAndRunsReads) {
  const TempDir dir;
  const auto real = MakeRealCommandRunner();
  std::vector<std::string> printed;
  const auto dry = MakeDryRunCommandRunner(*real, [&](const std::string& s) { printed.push_back(s); });

  const std::string file = (dir.path() / "created by touch").string();
  auto touch = dry->Run(Argv({"touch", file}));
  ASSERT_TRUE(touch);
  EXPECT_TRUE(touch->ok());
  EXPECT_EQ(touch->out, "");
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_EQ(printed, std::vector<std::string>{"would run: touch '" + file + "'"});

  Command echo = Argv({"echo", "hi"});
  echo.changes_system = false;
  auto read = dry->Run(echo);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->out, "hi\n");
  EXPECT_EQ(printed.size(), 1u);
}

}  // namespace
}  // namespace nodeboot
