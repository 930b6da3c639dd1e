// Delivery of one report to the task service (SPEC §7): POST with Content-Type
// application/json, X-Auth-Token, and Idempotency-Key = the run id (the same on every attempt,
// so the service can drop duplicates of an at-least-once delivery).
//
// Retries: exponential backoff with full jitter (a uniform delay in [base, min(cap, base * 2^n)]
// before retry n+1; base 1 s, cap 60 s), or what Retry-After says (seconds or an HTTP-date) on
// a 429 or 503, but never less than the base: `Retry-After: 0` (or a date in the past) from a
// busy service must not turn a fleet's retries into a flood. At most `max_attempts` requests
// per Deliver (and per flush: FlushOutbox shares them). Retried: no response at all (connection refused, TLS, timeout),
// 408, 429 and 5xx. Not retried: other 4xx (refused for good: the report is rejected) and
// anything else unexpected (1xx, 3xx: kept for later). Every attempt, and every wait, fits in
// `budget`; what does not is left for the outbox. Time, sleep and randomness are injected.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "agent/base/http_client.h"
#include "agent/base/secret.h"

namespace nodeboot::report {

struct DeliveryTarget {
  std::string url;
  Secret token;
  std::string ca_file;  // empty: the system trust store
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
};

struct DeliveryPolicy {
  std::chrono::milliseconds base{std::chrono::seconds(1)};
  std::chrono::milliseconds cap{std::chrono::seconds(60)};
  std::chrono::milliseconds budget{std::chrono::seconds(300)};  // task.deliverySeconds
  // The default backoff spends 300 s in about 15 attempts; this only stops a service whose
  // answers would make the waits short from being asked more often than that.
  int max_attempts = 20;
};

// The world as delivery sees it; tests pass a fake that records sleeps and returns at once.
struct DeliveryClock {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<std::chrono::system_clock::time_point()> wall_now;  // for Retry-After dates
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<double()> random01;  // uniform in [0, 1)
  // Optional: true once nodeboot is being stopped; no retry starts then, and waits end early.
  std::function<bool()> stopped;
};

DeliveryClock RealDeliveryClock();

enum class DeliveryOutcome {
  kDelivered,  // a 2xx
  kPending,    // not delivered within the budget, or an answer that may change: try again later
  kRejected,   // a 4xx other than 408/429: the service will never accept this body
};

struct DeliveryResult {
  DeliveryOutcome outcome = DeliveryOutcome::kPending;
  int attempts = 0;
  int last_status = 0;  // 0: no response
  std::string detail;   // the last problem, for logs and state ("HTTP 503 from URL", curl's reason)
};

// Delivers `body` to `target`. `deadline` is when the budget ends (now + policy.budget for
// one report; a flush of several shares one deadline).
DeliveryResult Deliver(HttpClient& client, const DeliveryTarget& target, const std::string& body,
                       const std::string& idempotency_key, const DeliveryPolicy& policy, const DeliveryClock& clock,
                       std::chrono::steady_clock::time_point deadline);

// Retry-After as a delay from `now`: delta-seconds or an HTTP-date (IMF-fixdate, RFC 850 or
// asctime). nullopt when the value is neither; a date in the past is a zero delay (Deliver
// raises every wait to the policy's base).
std::optional<std::chrono::milliseconds> ParseRetryAfter(const std::string& value,
                                                         std::chrono::system_clock::time_point now);

// The delay before retry number `retry` (0 for the first retry) without Retry-After.
std::chrono::milliseconds BackoffDelay(int retry, const DeliveryPolicy& policy, double random01);

}  // namespace nodeboot::report
