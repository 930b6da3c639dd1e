// Delivery and flushing with a fake HttpClient and a fake clock: every wait is recorded,
// none is slept.
#include "agent/report/delivery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/report/flush.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/temp_dir.h"

namespace nodeboot::report {
namespace {

using nodeboot::testing::FakeClock;
using nodeboot::testing::FakeHttpClient;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

HttpResponse Status(int status, std::map<std::string, std::string> headers = {}, std::string body = "") {
  return {status, std::move(headers), std::move(body)};
}
Error Refused() { return Error::Internal("POST http://127.0.0.1:9/x: Connection refused"); }

// The delivery clock over the shared fake clock: every wait recorded, none slept.
DeliveryClock Clock(FakeClock& clock) { return {clock.Now(), clock.Wall(), clock.Sleep(), clock.Random(), {}}; }

class DeliveryTest : public ::testing::Test {
 protected:
  DeliveryResult Send(milliseconds budget = seconds(300)) {
    DeliveryPolicy policy;
    policy.budget = budget;
    return Deliver(client_, target_, "{\"runId\":\"run-1\"}", "run-1", policy, Clock(clock_), clock_.now + budget);
  }
  FakeHttpClient client_;
  FakeClock clock_;
  DeliveryTarget target_{"https://tasks.example.com/v1/tasks/t/result", Secret("tok3n-value"), "/etc/ca.pem",
                         seconds(10)};
};

TEST_F(DeliveryTest, TwoServiceUnavailableThenDeliveredWithOneIdempotencyKey) {
  client_.Answer({Status(503), Status(503), Status(201)});
  const auto result = Send();
  EXPECT_EQ(result.outcome, DeliveryOutcome::kDelivered);
  EXPECT_EQ(result.attempts, 3);
  EXPECT_THAT(clock_.sleeps, ElementsAre(milliseconds(1000), milliseconds(2000)));  // full jitter at its top
  ASSERT_EQ(client_.requests.size(), 3u);
  for (const auto& request : client_.requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.url, target_.url);
    EXPECT_EQ(request.tls.ca_file, "/etc/ca.pem");
    EXPECT_EQ(request.body, "{\"runId\":\"run-1\"}");
    EXPECT_THAT(request.headers, ::testing::Contains(std::pair<std::string, std::string>("Idempotency-Key", "run-1")));
    EXPECT_THAT(request.headers,
                ::testing::Contains(std::pair<std::string, std::string>("Content-Type", "application/json")));
    ASSERT_EQ(request.secret_headers.size(), 1u);
    EXPECT_EQ(request.secret_headers[0].first, "X-Auth-Token");
    EXPECT_EQ(request.secret_headers[0].second.Reveal(), "tok3n-value");
  }
}

TEST_F(DeliveryTest, JitterIsUniformBetweenTheBaseAndTheExponentialCeiling) {
  clock_.random = 0.25;
  client_.Answer({Status(500), Status(502), Status(504), Status(200)});
  EXPECT_EQ(Send().outcome, DeliveryOutcome::kDelivered);
  EXPECT_THAT(clock_.sleeps, ElementsAre(milliseconds(1000), milliseconds(1250), milliseconds(1750)));
}

// Issue 15.9: `Retry-After: 0` (or a past date) gave 2,277 POSTs in 3 s.
TEST_F(DeliveryTest, RetryAfterZeroOrInThePastWaitsAtLeastTheBaseAndAttemptsAreCapped) {
  client_.Answer({Status(429, {{"retry-after", "0"}}), Status(503, {{"retry-after", "Wed, 21 Oct 2015 07:00:00 GMT"}}),
                  Status(200)});
  EXPECT_EQ(Send().outcome, DeliveryOutcome::kDelivered);
  EXPECT_THAT(clock_.sleeps, ElementsAre(seconds(1), seconds(1)));

  FakeHttpClient client;
  client.Answer({Status(429, {{"retry-after", "0"}})});
  clock_.sleeps.clear();
  const auto result = Deliver(client, target_, "{}", "run-2", {}, Clock(clock_), clock_.now + seconds(300));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPending);
  EXPECT_EQ(result.attempts, 20);
  EXPECT_THAT(result.detail, HasSubstr("gave up after 20 attempts"));
  for (const auto& sleep : clock_.sleeps) EXPECT_GE(sleep, seconds(1));
}

TEST_F(DeliveryTest, AStopEndsTheRetriesAtOnce) {
  client_.Answer({Refused()});
  DeliveryClock clock = Clock(clock_);
  clock.stopped = [] { return true; };
  const auto result = Deliver(client_, target_, "{}", "run-1", {}, clock, clock_.now + seconds(300));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPending);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_THAT(result.detail, HasSubstr("being stopped"));
}

TEST_F(DeliveryTest, RetryAfterIsHonouredOn429AndOn503) {
  client_.Answer({Status(429, {{"retry-after", "7"}}), Status(503, {{"retry-after", "Wed, 21 Oct 2015 07:28:20 GMT"}}),
                  Status(200)});
  EXPECT_EQ(Send().outcome, DeliveryOutcome::kDelivered);
  EXPECT_THAT(clock_.sleeps, ElementsAre(seconds(7), seconds(13)));  // 07:28:07 -> 07:28:20
}

TEST_F(DeliveryTest, RetryAfterOnOtherStatusesIsIgnored) {
  client_.Answer({Status(500, {{"retry-after", "30"}}), Status(200)});
  EXPECT_EQ(Send().outcome, DeliveryOutcome::kDelivered);
  EXPECT_THAT(clock_.sleeps, ElementsAre(seconds(1)));
}

TEST_F(DeliveryTest, OtherClientErrorsAreRejectedWithoutRetry) {
  for (int status : {400, 401, 403, 404, 409, 413, 422}) {
    FakeHttpClient client;
    client.Answer({Status(status, {}, "{\"error\":\"missing field\"}")});
    const auto result = Deliver(client, target_, "{}", "run-1", {}, Clock(clock_), clock_.now + seconds(300));
    EXPECT_EQ(result.outcome, DeliveryOutcome::kRejected) << status;
    EXPECT_EQ(result.attempts, 1) << status;
    EXPECT_THAT(result.detail, HasSubstr(fmt::format("HTTP {}: {{\"error\":\"missing field\"}}", status)));
  }
  EXPECT_TRUE(clock_.sleeps.empty());
}

TEST_F(DeliveryTest, RequestTimeoutIsRetried) {
  client_.Answer({Status(408), Status(200)});
  EXPECT_EQ(Send().outcome, DeliveryOutcome::kDelivered);
}

TEST_F(DeliveryTest, UnreachableServiceIsRetriedUntilTheBudgetIsSpent) {
  client_.Answer({Refused()});
  const auto result = Send(seconds(10));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPending);
  EXPECT_THAT(clock_.sleeps, ElementsAre(seconds(1), seconds(2), seconds(4)));  // 7 s; 8 more would pass 10
  EXPECT_EQ(result.attempts, 4);
  EXPECT_EQ(result.last_status, 0);
  EXPECT_THAT(result.detail, HasSubstr("Connection refused"));
  EXPECT_THAT(result.detail, HasSubstr("delivery budget of 10 s spent after 4 attempts"));
}

TEST_F(DeliveryTest, RetryAfterPastTheBudgetLeavesItForTheOutbox) {
  client_.Answer({Status(503, {{"retry-after", "3600"}})});
  const auto result = Send(seconds(300));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPending);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_TRUE(clock_.sleeps.empty());
}

TEST_F(DeliveryTest, ZeroBudgetIsOneAttemptWithTheFullTimeout) {
  client_.Answer({Refused()});
  EXPECT_EQ(Send(seconds(0)).attempts, 1);
  EXPECT_EQ(client_.requests[0].timeout, seconds(10));
}

TEST_F(DeliveryTest, RetriesDoNotOutliveTheBudget) {
  client_.Answer({Status(503, {{"retry-after", "3"}}), Status(200)});
  Send(seconds(5));
  ASSERT_EQ(client_.requests.size(), 2u);
  EXPECT_EQ(client_.requests[1].timeout, seconds(2));
}

TEST_F(DeliveryTest, RedirectsAreNeitherFollowedNorRetried) {
  client_.Answer({Status(302, {{"location", "http://elsewhere/"}})});
  const auto result = Send();
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPending);
  EXPECT_EQ(result.attempts, 1);
}

TEST(BackoffDelay, ExponentialWithACap) {
  const DeliveryPolicy policy;
  EXPECT_EQ(BackoffDelay(0, policy, 1.0), seconds(1));
  EXPECT_EQ(BackoffDelay(3, policy, 1.0), seconds(8));
  EXPECT_EQ(BackoffDelay(6, policy, 1.0), seconds(60));
  EXPECT_EQ(BackoffDelay(1000, policy, 1.0), seconds(60));
  EXPECT_EQ(BackoffDelay(5, policy, 0.0), seconds(1));  // never below the base
  EXPECT_EQ(BackoffDelay(5, policy, 0.5), milliseconds(16500));
}

TEST(ParseRetryAfter, SecondsAndTheThreeHttpDateForms) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), seconds(0));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now), seconds(10));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:50:37 GMT", now), seconds(60));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:40 1994", now), seconds(3));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now), seconds(0));  // in the past
  EXPECT_EQ(ParseRetryAfter("99999999999999", now), std::chrono::hours(24 * 365));
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("-1", now));
  EXPECT_FALSE(ParseRetryAfter("", now));
}

class FlushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"run-a", "run-b", "run-c"}) {
      ASSERT_TRUE(outbox_.Put(id, std::string("{\"id\":\"") + id + "\"}"));
    }
    auto now = std::filesystem::file_time_type::clock::now();
    std::filesystem::last_write_time(outbox_.dir() / "run-a.json", now - std::chrono::hours(3));
    std::filesystem::last_write_time(outbox_.dir() / "run-b.json", now - std::chrono::hours(2));
  }
  std::vector<std::string> Sent() const {
    std::vector<std::string> keys;
    for (const auto& request : client_.requests) keys.push_back(request.headers[1].second);
    return keys;
  }
  testing::TempDir dir_;
  Outbox outbox_{dir_.path() / "outbox"};
  FakeHttpClient client_;
  FakeClock clock_;
  DeliveryTarget target_{"http://127.0.0.1:9/x", Secret("t0ken-value"), "", seconds(10)};
};

TEST_F(FlushTest, ThisRunFirstThenOldestFirstRefusedOnesSetAside) {
  client_.Answer({Status(200), Status(400), Status(200)});
  const auto result = FlushOutbox(outbox_, client_, target_, {}, Clock(clock_), "run-c");
  EXPECT_THAT(Sent(), ElementsAre("run-c", "run-a", "run-b"));
  EXPECT_EQ(result.delivered, 2);
  EXPECT_EQ(result.rejected, 1);
  EXPECT_EQ(result.pending, 0);
  EXPECT_TRUE(outbox_.Pending()->empty());
  EXPECT_THAT(outbox_.Rejected(), ElementsAre("run-a"));
}

TEST_F(FlushTest, AnUnreachableServiceEndsTheFlushAndKeepsEverything) {
  client_.Answer({Refused()});
  DeliveryPolicy policy;
  policy.budget = seconds(2);
  const auto result = FlushOutbox(outbox_, client_, target_, policy, Clock(clock_));
  EXPECT_EQ(result.delivered, 0);
  EXPECT_EQ(result.pending, 3);
  EXPECT_EQ(result.by_run.size(), 1u);  // the others were not tried against a dead service
  EXPECT_EQ(outbox_.Pending()->size(), 3u);
}

TEST(TargetFromConfig, CaFileIsAHostFileUnderTheRoot) {
  config::TaskSection task;
  task.url = "https://t/x";
  task.ca_file = "/etc/nodeboot/task-ca.pem";
  task.timeout_seconds = 7;
  task.delivery_seconds = 42;
  const auto target = TargetFromConfig(task, Paths("/tmp/root"));
  EXPECT_EQ(target.ca_file, "/tmp/root/etc/nodeboot/task-ca.pem");
  EXPECT_EQ(target.request_timeout, seconds(7));
  EXPECT_EQ(PolicyFromConfig(task).budget, seconds(42));
  EXPECT_EQ(PolicyFromConfig(task).base, seconds(1));
  EXPECT_EQ(PolicyFromConfig(task).cap, seconds(60));
  EXPECT_EQ(TargetFromConfig(config::TaskSection{}, Paths("/r")).ca_file, "");
}

}  // namespace
}  // namespace nodeboot::report
