// The wait for Ready (agent/join/readiness.h) with a scripted HttpClient and a fake clock.
#include "agent/join/readiness.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"
#include "tests/support/fake_http_client.h"

namespace nodeboot::join {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

NodeExpectations Expected() { return {"worker-1", {{"team", "data"}}, {{"dedicated", "gpu", "NoSchedule"}}, 64}; }

json Node(const std::string& ready) {
  return {
      {"metadata", {{"name", "worker-1"}, {"labels", {{"team", "data"}}}}},
      {"spec", {{"taints", {{{"key", "dedicated"}, {"value", "gpu"}, {"effect", "NoSchedule"}}}}}},
      {"status",
       {{"capacity", {{"pods", "64"}}},
        {"conditions", {{{"type", "Ready"}, {"status", ready}, {"reason", "KubeletNotReady"}, {"message", "cni"}}}}}}};
}

HttpResponse Answer(int status, const json& body, std::map<std::string, std::string> headers = {}) {
  return {status, std::move(headers), body.dump()};
}

class ReadinessTest : public ::testing::Test {
 protected:
  Status Wait(milliseconds budget) {
    ReadinessPolicy policy;
    policy.budget = budget;
    policy.stopped = stopped_;
    const ReadinessClock clock{clock_.Now(), clock_.Sleep()};
    CredentialsSource credentials = [this]() -> Result<ApiCredentials> {
      if (credentials_missing_for_-- > 0) return errors::JoinFailed("kubelet.conf does not exist yet");
      ApiCredentials c;
      c.server = "https://api:6443";
      return c;
    };
    return WaitForReady(http_, credentials, Expected(), policy, clock,
                        [this](const std::string& line) { progress_.push_back(line); });
  }

  nodeboot::testing::FakeHttpClient http_;
  nodeboot::testing::FakeClock clock_;
  std::vector<std::string> progress_;
  int credentials_missing_for_ = 0;
  std::function<bool()> stopped_;
};

// Issue 15.3: a stop signal must not wait out the readiness budget (600 s by default).
TEST_F(ReadinessTest, AStopEndsTheWaitWithinASleepSlice) {
  http_.Answer({Answer(200, Node("False"))});
  int polls_until_stop = 2;
  stopped_ = [&] { return http_.requests.size() >= static_cast<size_t>(polls_until_stop); };
  const Status status = Wait(std::chrono::seconds(600));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().exit_code, 30);
  EXPECT_THAT(status.error().message, ::testing::HasSubstr("stopped while waiting for Node worker-1"));
  EXPECT_EQ(http_.requests.size(), 2u);
  for (const int64_t sleep : clock_.SleptMs()) EXPECT_LE(sleep, 200);
}

TEST_F(ReadinessTest, ReadyAfterAFewPollsWithExponentialBackoff) {
  http_.Answer({Answer(404, {{"message", "nodes \"worker-1\" not found"}}), Answer(200, Node("False")),
                Answer(200, Node("False")), Answer(200, Node("True"))});
  ASSERT_TRUE(Wait(std::chrono::seconds(60)));
  EXPECT_THAT(clock_.SleptMs(), ElementsAre(500, 1000, 2000));
  EXPECT_EQ(http_.requests[0].url, "https://api:6443/api/v1/nodes/worker-1");
  EXPECT_THAT(progress_, ElementsAre("Node worker-1: HTTP 404: nodes \"worker-1\" not found",
                                     "Node worker-1: Ready=False: KubeletNotReady: cni",
                                     "Node worker-1: Ready=True with the requested labels, taints and maxPods"));
}

TEST_F(ReadinessTest, BackoffIsCappedAndTheLastPollIsAtTheDeadline) {
  http_.Answer({Answer(200, Node("False"))});
  const Status status = Wait(std::chrono::seconds(20));
  ASSERT_FALSE(status);
  EXPECT_THAT(clock_.SleptMs(), ElementsAre(500, 1000, 2000, 4000, 5000, 5000, 2500));
  EXPECT_EQ(http_.requests.size(), 8u);
  EXPECT_EQ(status.error().exit_code, 31);
  EXPECT_EQ(status.error().code, "NB-JOIN-TIMEOUT");
  EXPECT_EQ(status.error().message,
            "Node worker-1 not Ready after 20 s: last answer: Ready=False: KubeletNotReady: cni");
}

TEST_F(ReadinessTest, ThrottlingHonoursRetryAfter) {
  http_.Answer({Answer(429, {{"message", "too many requests"}}, {{"retry-after", "3"}}),
                Answer(429, {{"message", "too many requests"}}, {{"retry-after", "soon"}}), Answer(200, Node("True"))});
  ASSERT_TRUE(Wait(std::chrono::seconds(60)));
  EXPECT_THAT(clock_.SleptMs(), ElementsAre(3000, 1000));  // Retry-After, then the backoff (no usable header)
}

TEST_F(ReadinessTest, NeverAnsweredIsAFailedJoinWithTheLastError) {
  http_.Answer({Error::Internal("GET https://api:6443/api/v1/nodes/worker-1: Connection refused")});
  const Status status = Wait(std::chrono::seconds(3));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().exit_code, 30);
  EXPECT_EQ(status.error().message,
            "the API server never answered for Node worker-1 within 3 s: GET "
            "https://api:6443/api/v1/nodes/worker-1: "
            "Connection refused");
  EXPECT_EQ(progress_.size(), 1u);  // the same problem is reported once
}

TEST_F(ReadinessTest, AnswersThenSilenceTimesOutWithBoth) {
  http_.Answer({Answer(503, {{"message", "etcdserver: leader changed"}}),
                Error::Internal("GET https://api:6443/api/v1/nodes/worker-1: timeout")});
  const Status status = Wait(std::chrono::seconds(3));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().exit_code, 31);
  EXPECT_EQ(status.error().message,
            "Node worker-1 not Ready after 3 s: last answer: HTTP 503: etcdserver: leader changed; "
            "since then: "
            "GET https://api:6443/api/v1/nodes/worker-1: timeout");
}

TEST_F(ReadinessTest, WaitsForKubeletConfToAppear) {
  credentials_missing_for_ = 2;
  http_.Answer({Answer(200, Node("True"))});
  ASSERT_TRUE(Wait(std::chrono::seconds(10)));
  EXPECT_EQ(http_.requests.size(), 1u);
  EXPECT_THAT(progress_[0], HasSubstr("kubelet.conf does not exist yet"));
}

TEST_F(ReadinessTest, ReadyWithoutTheSettingsFailsAtOnceNamingThem) {
  json node = Node("True");
  node["metadata"]["labels"]["team"] = "web";
  node["spec"]["taints"] = json::array();
  node["status"]["capacity"].erase("pods");
  http_.Answer({Answer(200, node)});
  const Status status = Wait(std::chrono::seconds(60));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().exit_code, 30);
  EXPECT_EQ(status.error().message,
            "Node worker-1 is Ready but lacks what nodeboot asked for: label team=data (is "
            "\"web\"), taint "
            "dedicated=gpu:NoSchedule, status.capacity.pods 64 (absent)");
  EXPECT_TRUE(clock_.SleptMs().empty());
}

TEST(MissingSettingsTest, ChecksEachRequestedItem) {
  NodeExpectations expected{"n", {{"a", "1"}, {"b", ""}}, {{"k", "", "NoExecute"}}, std::nullopt};
  json node = {{"metadata", {{"labels", {{"a", "1"}, {"b", ""}}}}},
               {"spec", {{"taints", {{{"key", "k"}, {"effect", "NoExecute"}}}}}}};
  EXPECT_TRUE(MissingSettings(node, expected).empty());
  node["spec"]["taints"][0]["effect"] = "NoSchedule";
  node["metadata"].erase("labels");
  EXPECT_THAT(MissingSettings(node, expected),
              ElementsAre("label a=1 (absent)", "label b= (absent)", "taint k:NoExecute"));
}

TEST(ObserveNodeTest, OddAnswers) {
  const NodeExpectations expected = Expected();
  EXPECT_EQ(ObserveNode({200, {}, "<html>"}, expected).detail, "HTTP 200 but the body is not a JSON object");
  EXPECT_EQ(ObserveNode({200, {}, "{}"}, expected).detail, "registered, no Ready condition yet");
  EXPECT_EQ(ObserveNode({500, {}, "boom\nline"}, expected).detail, "HTTP 500: boom line");
  EXPECT_EQ(ObserveNode({502, {}, ""}, expected).detail, "HTTP 502");
  const auto throttled = ObserveNode({429, {{"retry-after", "2"}}, "{}"}, expected);
  EXPECT_EQ(throttled.kind, NodeObservation::Kind::kThrottled);
  EXPECT_EQ(throttled.retry_after, milliseconds(2000));
}

}  // namespace
}  // namespace nodeboot::join
