// The report from outside (SPEC §7): the built binary with a --root temp dir, reporting to a
// real HTTP(S) server on 127.0.0.1 (task_server.py) whose answers each test switches.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "agent/base/base64.h"
#include "agent/base/http_client.h"
#include "agent/base/lock.h"
#include "tests/report/task_server.h"
#include "tests/support/phase_record.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace nodeboot {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ProcessResult;
using testing::RunNodeboot;
using testing::Slurp;
using testing::TaskServer;

constexpr const char* kToken = "tok-CANARY-5f2e9d7c41b8a3";

// A proxy from the environment must not carry requests to 127.0.0.1.
const std::map<std::string, std::string> kEnv = {{"no_proxy", "127.0.0.1"}, {"NO_PROXY", "127.0.0.1"}};

unsigned Mode(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 0777 : 0;
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<TaskServer>(scratch_.path() / "server"); }

  // The config: a pre-install script (plain text, encoded here), the task section, extras.
  void WriteConfig(const std::string& script, int delivery_seconds = 20, const std::string& extra_task = "",
                   const std::string& extra = "") {
    std::string config = "node: {name: worker-1, instanceId: i-0abc}\n";
    config += fmt::format("task:\n  id: task-1\n  url: {}\n  token: {}\n  deliverySeconds: {}\n  timeoutSeconds: 5\n",
                          url_.empty() ? server_->Url() : url_, kToken, delivery_seconds);
    config += extra_task + extra;
    config += "nodeTemplate:\n  extendParam:\n    alpha.cce/preInstall: " + EncodeBase64(script) + "\n";
    root_.Write("etc/nodeboot/config.yaml", config);
  }

  ProcessResult Nodeboot(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--root", root_.path().string()});
    return RunNodeboot(args, kEnv);
  }
  ProcessResult Run(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Nodeboot(args);
  }

  json State() { return json::parse(Slurp(root_.path() / "var/lib/nodeboot/state.json")); }
  fs::path Outbox() const { return root_.path() / "var/lib/nodeboot/outbox"; }
  std::vector<std::string> OutboxFiles() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(Outbox(), ec), end; !ec && it != end; it.increment(ec)) {
      names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  testing::TempDir root_;
  testing::TempDir scratch_;
  std::unique_ptr<TaskServer> server_;
  std::string url_;
};

TEST_F(ReportTest, SuccessReportMatchesTheSchemaAndIsDeliveredOnce) {
  WriteConfig("echo preparing\n");
  const auto result = Run();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  const json& request = requests[0];
  EXPECT_EQ(request["method"], "POST");
  EXPECT_EQ(request["path"], "/v1/tasks/task-1/result");
  EXPECT_EQ(request["headers"]["content-type"], "application/json");
  EXPECT_EQ(request["headers"]["x-auth-token"], kToken);
  const json body = json::parse(request["body"].get<std::string>());
  EXPECT_EQ(request["headers"]["idempotency-key"], body["runId"]);
  EXPECT_EQ(body["taskId"], "task-1");
  EXPECT_EQ(body["node"]["name"], "worker-1");
  EXPECT_EQ(body["node"]["instanceId"], "i-0abc");
  EXPECT_TRUE(body["node"]["bootId"].is_string());
  EXPECT_EQ(body["status"], "succeeded");
  EXPECT_TRUE(body["phase"].is_null());
  EXPECT_EQ(body["exitCode"], 0);
  EXPECT_EQ(body["agentVersion"], NODEBOOT_VERSION);
  EXPECT_FALSE(body.contains("error"));
  EXPECT_FALSE(body.contains("logExcerpt"));
  ASSERT_EQ(body["phases"].size(), 5u);  // preInstall, storage, gpu, join, postInstall
  EXPECT_EQ(testing::PhaseIn(body, "preInstall")["status"], "succeeded");
  EXPECT_TRUE(std::regex_match(testing::PhaseIn(body, "preInstall")["startedAt"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_TRUE(testing::PhaseIn(body, "preInstall")["durationMs"].is_number_integer());
  for (const auto& phase : body["phases"]) {
    EXPECT_EQ(phase.size(), 4u) << phase;  // name, status, startedAt, durationMs
  }
  EXPECT_EQ(State()["lastRun"]["report"]["status"], "delivered");
  EXPECT_THAT(OutboxFiles(), ElementsAre());
}

TEST_F(ReportTest, FailureReportCarriesTheClassifiedCauseAndTheExcerpt) {
  root_.Write("var/log/messages",
              "Nov 22 10:00:00 host systemd[1]: Starting unrelated.service\n"
              "Nov 22 10:00:01 host cloud-init[812]: Cloud-init v. 22.4.2 running 'modules:config'\n"
              "Nov 22 10:00:02 host kernel: eth0: link up\n"
              "Nov 22 10:00:03 host cloud-init[812]: starting nodeboot.service\n");
  // The event comes from a tool the script runs: words of the script itself are masked in its
  // output (it could be echoing a secret of its own).
  const fs::path tool = root_.Write("opt/fake-ecs-tool",
                                    "#!/bin/sh\necho 'fetching the node key pair'\nsleep 0.1\n"
                                    "echo '...call fsp to query keypair fail, error code : Ecs.0314, reason is : the "
                                    "keypair x does not match the user_id y...' >&2\nexit 3\n");
  fs::permissions(tool, fs::perms(0755));
  WriteConfig(tool.string() + "\n");
  const auto result = Run();
  ASSERT_EQ(result.exit_code, 10) << result.err;
  const auto requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  const json body = json::parse(requests[0]["body"].get<std::string>());
  EXPECT_EQ(body["status"], "failed");
  EXPECT_EQ(body["phase"], "preInstall");
  EXPECT_EQ(body["exitCode"], 10);
  const json& error = body["error"];
  EXPECT_EQ(error["code"], "NB-PREINSTALL-FAILED");
  EXPECT_THAT(error["message"].get<std::string>(), HasSubstr("exited with 3"));
  EXPECT_THAT(error["cause"].get<std::string>(), HasSubstr("key pair"));
  EXPECT_THAT(error["solution"].get<std::string>(), HasSubstr("create a key pair"));
  EXPECT_EQ(error["event"]["code"], "CLOUD-KEYPAIR-UNAVAILABLE");
  EXPECT_THAT(error["event"]["line"].get<std::string>(), HasSubstr("Ecs.0314"));
  // The step's own output first, then the relevant system log lines, newest last.
  const auto excerpt = body["logExcerpt"].get<std::vector<std::string>>();
  ASSERT_GE(excerpt.size(), 4u);
  EXPECT_EQ(excerpt[0], "fetching the node key pair");
  EXPECT_THAT(excerpt[1], HasSubstr("Ecs.0314"));
  EXPECT_THAT(excerpt[excerpt.size() - 2], HasSubstr("Cloud-init v. 22.4.2"));
  EXPECT_THAT(excerpt.back(), HasSubstr("starting nodeboot.service"));
  EXPECT_THAT(body["logExcerpt"].dump(), AllOf(Not(HasSubstr("unrelated.service")), Not(HasSubstr("link up"))));
  EXPECT_EQ(State()["lastRun"]["report"]["status"], "delivered");
}

TEST_F(ReportTest, TwoServiceUnavailableAnswersThenDeliveredOnceWithOneIdempotencyKey) {
  server_->Plan(R"([{"status":503},{"status":503},{"status":200}])");
  WriteConfig("true\n");
  const auto start = std::chrono::steady_clock::now();
  const auto result = Run();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto requests = server_->Requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const auto& request : requests) {
    EXPECT_EQ(request["headers"]["idempotency-key"], requests[0]["headers"]["idempotency-key"]);
    EXPECT_EQ(request["body"], requests[0]["body"]);
  }
  EXPECT_LT(seconds, 3.0 + 2.0);  // full jitter: at most 1 s + 2 s of backoff
  const json state = State();
  EXPECT_EQ(state["lastRun"]["report"]["status"], "delivered");
  EXPECT_THAT(state["lastRun"]["report"]["detail"].get<std::string>(), HasSubstr("3 attempts"));
  EXPECT_THAT(OutboxFiles(), ElementsAre());
}

TEST_F(ReportTest, TooManyRequestsWithRetryAfterWaitsAsTold) {
  server_->Plan(R"([{"status":429,"headers":{"Retry-After":"1"}},{"status":200}])");
  WriteConfig("true\n");
  ASSERT_EQ(Run().exit_code, 0);
  const auto requests = server_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  const double gap = requests[1]["time"].get<double>() - requests[0]["time"].get<double>();
  EXPECT_GE(gap, 0.95);
  EXPECT_LT(gap, 3.0);
  EXPECT_EQ(State()["lastRun"]["report"]["status"], "delivered");
}

TEST_F(ReportTest, BadRequestIsNotRetriedAndKeptAsideWithItsReason) {
  server_->Plan(R"([{"status":400,"body":"{\"error\":\"missing field nodeName\"}"}])");
  WriteConfig("true\n");
  ASSERT_EQ(Run().exit_code, 0);  // a failed delivery does not change the exit code
  ASSERT_EQ(server_->Requests().size(), 1u);
  const json state = State();
  const std::string run_id = state["lastRun"]["runId"];
  EXPECT_EQ(state["lastRun"]["report"]["status"], "failed");
  EXPECT_THAT(OutboxFiles(), ElementsAre(run_id + ".rejected.json", run_id + ".rejected.txt"));
  EXPECT_THAT(Slurp(Outbox() / (run_id + ".rejected.txt")), AllOf(HasSubstr("HTTP 400"), HasSubstr("missing field")));
  EXPECT_EQ(Mode(Outbox() / (run_id + ".rejected.json")), 0600u);
  // Not retried by a flush either: nothing is pending.
  const auto flush = Nodeboot({"report", "--flush"});
  EXPECT_EQ(flush.exit_code, 0) << flush.err;
  EXPECT_THAT(flush.err, HasSubstr(run_id + " was refused"));
  EXPECT_EQ(server_->Requests().size(), 1u);
}

TEST_F(ReportTest, ServerDownKeepsTheReportInTheOutboxUntilAFlushDeliversIt) {
  const int port = server_->port();
  const std::string url = server_->Url();
  server_->Stop();
  url_ = url;
  WriteConfig("true\n", /*delivery_seconds=*/1);
  const auto run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const json state = State();
  const std::string run_id = state["lastRun"]["runId"];
  EXPECT_EQ(state["lastRun"]["report"]["status"], "pending");
  ASSERT_THAT(OutboxFiles(), ElementsAre(run_id + ".json"));
  const fs::path file = Outbox() / (run_id + ".json");
  EXPECT_EQ(Mode(Outbox()), 0700u);
  EXPECT_EQ(Mode(file), 0600u);
  const std::string stored = Slurp(file);
  EXPECT_EQ(json::parse(stored)["runId"], run_id);

  // Still down: the flush says so and keeps it.
  const auto down = Nodeboot({"report", "--flush"});
  EXPECT_EQ(down.exit_code, 1) << down.err;
  EXPECT_THAT(OutboxFiles(), ElementsAre(run_id + ".json"));

  // Up again (same port): delivered, the outbox is empty, and `status` knows.
  TaskServer again(scratch_.path() / "server2", "", "", port);
  const auto up = Nodeboot({"report", "--flush"});
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_THAT(up.out, HasSubstr("delivered 1"));
  const auto requests = again.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0]["body"], stored);
  EXPECT_EQ(requests[0]["headers"]["idempotency-key"], run_id);
  EXPECT_THAT(OutboxFiles(), ElementsAre());
  EXPECT_EQ(State()["lastRun"]["report"]["status"], "delivered");
  EXPECT_EQ(Nodeboot({"report", "--flush"}).exit_code, 0);  // empty outbox
}

// README "Report": `report --flush` exits 2 when reports wait but the config cannot send them
// (no task.url, or invalid) and 3 while a run holds the lock; each time the report stays.
TEST_F(ReportTest, FlushExitsTwoWithoutAUsableConfigAndThreeUnderTheLockAndKeepsTheReport) {
  url_ = "http://127.0.0.1:9/unreachable";
  WriteConfig("true\n", /*delivery_seconds=*/0);
  ASSERT_EQ(Run().exit_code, 0);
  const std::string run_id = State()["lastRun"]["runId"];
  ASSERT_THAT(OutboxFiles(), ElementsAre(run_id + ".json"));
  const std::string config = Slurp(root_.path() / "etc/nodeboot/config.yaml");

  root_.Write("etc/nodeboot/config.yaml", "node: {name: worker-1, instanceId: i-0abc}\n");  // no task
  const auto no_task = Nodeboot({"report", "--flush"});
  EXPECT_EQ(no_task.exit_code, 2) << no_task.err;
  EXPECT_THAT(OutboxFiles(), ElementsAre(run_id + ".json"));

  root_.Write("etc/nodeboot/config.yaml", "task: {id: t, url: 42}\n");  // invalid
  const auto invalid = Nodeboot({"report", "--flush"});
  EXPECT_EQ(invalid.exit_code, 2) << invalid.err;
  EXPECT_THAT(OutboxFiles(), ElementsAre(run_id + ".json"));

  root_.Write("etc/nodeboot/config.yaml", config);
  {
    auto held = RunLock::Acquire(root_.path() / "run/nodeboot.lock");  // as a run in progress holds it
    ASSERT_TRUE(held) << held.error().message;
    const auto locked = Nodeboot({"report", "--flush"});
    EXPECT_EQ(locked.exit_code, 3) << locked.err;
    EXPECT_THAT(OutboxFiles(), ElementsAre(run_id + ".json"));
  }
  EXPECT_EQ(Nodeboot({"report", "--flush"}).exit_code, 1);  // free again: tried, still unreachable
  EXPECT_THAT(OutboxFiles(), ElementsAre(run_id + ".json"));
}

TEST_F(ReportTest, DryRunSendsNothing) {
  WriteConfig("true\n");
  const auto result = Run({"--dry-run"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(server_->Requests().size(), 0u);
  EXPECT_FALSE(fs::exists(Outbox()));
}

TEST_F(ReportTest, TlsIsVerifiedAgainstTaskCaFile) {
  const fs::path dir = scratch_.path() / "tls";
  fs::create_directories(dir);
  const auto made =
      testing::RunProcess({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                           "-nodes", "-keyout", (dir / "key.pem").string(), "-out", (dir / "cert.pem").string(),
                           "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  TaskServer tls(scratch_.path() / "tls-server", (dir / "cert.pem").string(), (dir / "key.pem").string());
  url_ = tls.Url();
  ASSERT_THAT(url_, ::testing::StartsWith("https://"));

  // Without the CA: the system trust store does not know it, and nothing is sent.
  WriteConfig("true\n", /*delivery_seconds=*/0);
  ASSERT_EQ(Run().exit_code, 0);
  EXPECT_EQ(State()["lastRun"]["report"]["status"], "pending");
  EXPECT_THAT(State()["lastRun"]["report"]["detail"].get<std::string>(), HasSubstr("certificate"));
  EXPECT_EQ(tls.Requests().size(), 0u);

  // With task.caFile (a host file, under the root): delivered, the older report too.
  root_.Write("etc/nodeboot/task-ca.pem", Slurp(dir / "cert.pem"));
  WriteConfig("true\n", 5, "  caFile: /etc/nodeboot/task-ca.pem\n");
  ASSERT_EQ(Run({"--rerun-scripts"}).exit_code, 0);
  EXPECT_EQ(State()["lastRun"]["report"]["status"], "delivered");
  EXPECT_EQ(tls.Requests().size(), 2u);
  EXPECT_THAT(OutboxFiles(), ElementsAre());
}

// The forms in which a secret must not appear: itself, and base64 at each alignment (the
// inner part, which does not depend on the neighbouring bytes).
std::vector<std::string> Forms(const std::string& secret) {
  std::vector<std::string> forms{secret};
  for (const std::string prefix : {"", "x", "xy"}) {
    const std::string encoded = EncodeBase64(prefix + secret);
    forms.push_back(encoded.substr(4, encoded.size() - 8));
  }
  return forms;
}

TEST_F(ReportTest, CanarySecretsAppearInNoReportOutboxFileOrLog) {
  const std::string bootstrap_token = "canary.q7w3e5r8t1y4u6i9";
  const std::string script_canary = "SCRIPT-CANARY-a81f3c0d9e7b";
  const std::string config = (root_.path() / "etc/nodeboot/config.yaml").string();
  const std::string messages = (root_.path() / "var/log/messages").string();
  root_.Write("var/log/messages", "Nov 22 10:00:00 host cloud-init[1]: start\n");
  server_->Plan(R"([{"status":503}])");  // never delivered: the report stays in the outbox
  const std::string cluster = fmt::format(
      "cluster:\n  join: kubeadm\n  apiServer: 10.0.0.10:6443\n  caCertHash: sha256:{}\n  "
      "bootstrapToken: {}\n",
      std::string(64, 'a'), bootstrap_token);
  // A script that leaks everything it can: itself, the config, both base64-encoded, the task
  // token split in two, and all of it into the system log as cloud-init lines.
  WriteConfig("# " + script_canary + "\n" + "cat \"$0\"\nbase64 -w0 \"$0\"; echo\ncat " + config + "\nbase64 -w0 " +
                  config + "; echo\n" + "tok=$(sed -n 's/^  token: //p' " + config + ")\n" +
                  "echo \"split: ${tok:0:10} ${tok:10}\"\n" + "echo \"host cloud-init[1]: $(base64 -w0 " + config +
                  ") and ${tok:0:7} \\\"${tok:7}\\\"\" >> " + messages + "\n" +
                  "echo \"host cloud-init[1]: $(tr '\\n' ' ' < " + config + ")\" >> " + messages + "\n" +
                  "echo \"host cloud-init[1]: $(base64 -w0 \"$0\")\" >> " + messages + "\n" + "exit 7\n",
              /*delivery_seconds=*/1, "", cluster);
  const auto result = Run({"--skip", "join"});
  ASSERT_EQ(result.exit_code, 10) << result.err;
  ASSERT_GE(server_->Requests().size(), 1u);
  ASSERT_EQ(OutboxFiles().size(), 1u);
  ASSERT_THAT(Slurp(messages), HasSubstr("5f2e9d7c41b8a3"));  // the leak is really there

  std::map<std::string, std::string> reports;  // what leaves the node
  for (const auto& request : server_->Requests()) {
    reports["request body"] += request["body"].get<std::string>();
  }
  reports["outbox file"] = Slurp(Outbox() / OutboxFiles()[0]);
  const auto logs = Nodeboot({"logs"});
  reports["nodeboot logs"] = logs.out;
  std::map<std::string, std::string> local = reports;  // what stays on the node
  local["state.json"] = Slurp(root_.path() / "var/lib/nodeboot/state.json");
  local["nodeboot.log"] = Slurp(root_.path() / "var/log/nodeboot/nodeboot.log");
  local["run stderr"] = result.err;
  local["run stdout"] = result.out;
  ASSERT_THAT(reports["request body"], HasSubstr("cloud-init"));  // the excerpt is there, masked

  for (const auto& secret : {std::string(kToken), bootstrap_token, script_canary}) {
    for (const auto& form : Forms(secret)) {
      for (const auto& [where, text] : local) {
        EXPECT_THAT(text, Not(HasSubstr(form))) << secret << " in " << where;
      }
    }
  }
  // Reports also mask a secret split across a line's tokens.
  for (const auto& [where, text] : reports) {
    EXPECT_THAT(text, Not(HasSubstr("5f2e9d7c41b8a3"))) << "the split task token in " << where;
  }
}

TEST_F(ReportTest, LogsReadsOnlyTheTailOfALargeMessagesFile) {
  // 256 MiB of unrelated lines (one 1 MiB block written over and over), then the bootstrap.
  const fs::path messages = root_.path() / "var/log/messages";
  fs::create_directories(messages.parent_path());
  std::string block;
  for (int i = 0; block.size() < (1 << 20) - 200; ++i) {
    block += fmt::format("Nov 22 09:00:00 host kernel: [{:>6}.000000] audit: unrelated filler line\n", i);
  }
  block.resize(1 << 20, '\n');
  {
    std::ofstream out(messages, std::ios::binary);
    for (int i = 0; i < 256; ++i) {
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
    for (int i = 0; i < 300; ++i) {
      out << fmt::format("Nov 22 10:00:{:02} host cloud-init[812]: step {}\n", i % 60, i);
      out << "Nov 22 10:00:00 host systemd[1]: something else\n";
    }
  }
  const auto result = Nodeboot({"logs"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines;
  std::istringstream out(result.out);
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 200u);
  EXPECT_EQ(lines.front(), "Nov 22 10:00:40 host cloud-init[812]: step 100");
  EXPECT_EQ(lines.back(), "Nov 22 10:00:59 host cloud-init[812]: step 299");
  std::smatch read;
  ASSERT_TRUE(std::regex_search(result.err, read, std::regex(R"(read (\d+) of (\d+) bytes)"))) << result.err;
  EXPECT_LE(std::stoull(read[1]), 1ull << 20) << "bytes read";
  EXPECT_GE(std::stoull(read[2]), 256ull << 20) << "file size";
  EXPECT_EQ(Nodeboot({"logs", "--lines", "3"}).out,
            "Nov 22 10:00:57 host cloud-init[812]: step 297\nNov 22 10:00:58 host cloud-init[812]: "
            "step 298\n"
            "Nov 22 10:00:59 host cloud-init[812]: step 299\n");
}

// Issue 15.7 and 15.8: a link `<uuid>.json -> /etc/shadow` in the outbox was sent with the
// node's token, and one file over the size limit blocked every later report.
TEST_F(ReportTest, OutboxFilesThatAreLinksOrOversizedAreSetAsideAndTheRestIsDelivered) {
  root_.Write("etc/shadow-copy", "root:SHADOW-CANARY-77:19000:0:99999:7:::\n");
  fs::create_directories(Outbox());
  const std::string link = "11111111-2222-4333-8444-555555555555";
  const std::string big = "22222222-2222-4333-8444-555555555555";
  fs::create_symlink(root_.path() / "etc/shadow-copy", Outbox() / (link + ".json"));
  root_.Write(("var/lib/nodeboot/outbox/" + big + ".json"), std::string((16 << 20) + 1, ' '));
  WriteConfig("true\n");
  const auto run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(State()["lastRun"]["report"]["status"], "delivered");
  const auto requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);  // this run's report, and nothing else
  for (const auto& request : requests) {
    EXPECT_THAT(request["body"].get<std::string>(), Not(HasSubstr("SHADOW-CANARY")));
  }
  EXPECT_THAT(OutboxFiles(), ElementsAre(link + ".json.unsafe", big + ".json.unsafe"));
  EXPECT_TRUE(fs::is_symlink(Outbox() / (link + ".json.unsafe")));
  EXPECT_THAT(run.err, HasSubstr("a symbolic link; set aside"));
  EXPECT_THAT(run.err, HasSubstr("over the 16777216 byte limit"));
  EXPECT_EQ(Slurp(root_.path() / "etc/shadow-copy"), "root:SHADOW-CANARY-77:19000:0:99999:7:::\n");
}

// Issue 15.8: reports waiting for ever kept the report timer starting a flush every 5 minutes.
TEST_F(ReportTest, AReportWaitingOverAWeekIsSetAsideLoggedAndCountedInStatus) {
  WriteConfig("true\n");
  ASSERT_EQ(Run().exit_code, 0);
  const std::string old = "33333333-2222-4333-8444-555555555555";
  root_.Write("var/lib/nodeboot/outbox/" + old + ".json", "{\"runId\":\"" + old + "\"}");
  fs::last_write_time(Outbox() / (old + ".json"), fs::file_time_type::clock::now() - std::chrono::hours(24 * 8));
  const auto flush = Nodeboot({"report", "--flush"});
  EXPECT_EQ(flush.exit_code, 0) << flush.err;
  EXPECT_THAT(flush.err, HasSubstr("waited over 7 days undelivered"));
  EXPECT_EQ(server_->Requests().size(), 1u);  // the run's own report only
  EXPECT_THAT(OutboxFiles(), ElementsAre(old + ".expired.json"));
  EXPECT_THAT(Nodeboot({"status"}).out, HasSubstr("0 refused, 1 expired, 0 unsafe report file(s) set aside"));
  EXPECT_EQ(json::parse(Nodeboot({"status", "--output", "json"}).out)["outboxAside"]["expired"], 1);
  // What the report timer's condition matches: a waiting report, not one set aside.
  const std::string unit = Slurp(fs::path(NODEBOOT_SOURCE_DIR) / "packaging/systemd/nodeboot-report.service");
  EXPECT_THAT(unit, HasSubstr(std::string("ConditionPathExistsGlob=/var/lib/nodeboot/outbox/") + std::string(8, '?') +
                              "-" + std::string(4, '?') + "-" + std::string(4, '?') + "-" + std::string(4, '?') + "-" +
                              std::string(12, '?') + ".json"));
  EXPECT_THAT(unit, Not(HasSubstr("ConditionDirectoryNotEmpty")));
}

// Issue 15.10: a token in task.url's query was printed by `status` and kept in state; one in its
// userinfo was echoed by `validate`'s error.
TEST_F(ReportTest, CredentialsInTheTaskUrlAreMaskedEverywhere) {
  url_ = server_->Url() + "?access_token=QUERY-CANARY-31337&region=eu";
  WriteConfig("echo \"$0\" >/dev/null\n");
  const auto run = Run();
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(server_->Requests().size(), 1u);
  std::string everything = run.out + run.err;
  everything += Nodeboot({"status"}).out + Nodeboot({"status", "--output", "json"}).out;
  everything += Slurp(root_.path() / "var/lib/nodeboot/state.json");
  everything += Slurp(root_.path() / "var/log/nodeboot/nodeboot.log");
  EXPECT_THAT(everything, HasSubstr("access_token=***"));
  EXPECT_THAT(everything, Not(HasSubstr("QUERY-CANARY")));

  url_ = "https://reporter:USERINFO-CANARY-4242@tasks.example.com/v1/tasks/t/result";
  WriteConfig("true\n");
  const auto validate = RunNodeboot({"validate", "--config", (root_.path() / "etc/nodeboot/config.yaml").string()});
  EXPECT_EQ(validate.exit_code, 2);
  EXPECT_THAT(validate.out, HasSubstr("task.url"));
  EXPECT_THAT(validate.out + validate.err, Not(HasSubstr("USERINFO-CANARY")));
}

TEST(ExplainTest, PrintsCauseAndSolutionForCodesAndLogLines) {
  const auto code = RunNodeboot({"explain", "NB-STORAGE-UNSAFE-DISK"});
  EXPECT_EQ(code.exit_code, 0);
  EXPECT_THAT(code.out, AllOf(HasSubstr("exit code 21"), HasSubstr("Cause: "), HasSubstr("Solution: ")));
  const auto line = RunNodeboot({"explain",
                                 "...call fsp to query keypair fail, error code : Ecs.0314, reason "
                                 "is : the keypair *** ..."});
  EXPECT_EQ(line.exit_code, 0);
  EXPECT_THAT(line.out, AllOf(HasSubstr("CLOUD-KEYPAIR-UNAVAILABLE"), HasSubstr("Matched: ")));
  const auto unknown = RunNodeboot({"explain", "all is well"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("neither a known error code nor a line"));
  EXPECT_EQ(RunNodeboot({"explain"}).exit_code, 2);
}

// The libcurl client itself, against the same server.
TEST(CurlHttpClientTest, LowerCasesHeadersAndNamesTheUrlWhenNoResponseCame) {
  ::setenv("no_proxy", "127.0.0.1", 1);
  testing::TempDir dir;
  TaskServer server(dir.path() / "server");
  server.Plan(R"([{"status":202,"headers":{"X-Request-ID":"r-1"},"body":"accepted"}])");
  auto client = MakeCurlHttpClient();
  HttpRequest request;
  request.method = "POST";
  request.url = server.Url();
  request.body = "{}";
  request.secret_headers = {{"X-Auth-Token", Secret("s3cret-header-value")}};
  auto response = client->Send(request);
  ASSERT_TRUE(response) << response.error().message;
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->headers["x-request-id"], "r-1");
  EXPECT_EQ(response->body, "accepted");
  EXPECT_EQ(server.Requests()[0]["headers"]["x-auth-token"], "s3cret-header-value");
  server.Stop();
  auto refused = client->Send(request);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("POST " + server.Url()));
  EXPECT_THAT(refused.error().message, Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace nodeboot
