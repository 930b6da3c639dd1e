#include "agent/report/delivery.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <random>
#include <thread>

#include "agent/base/logging.h"
#include "agent/base/text.h"

namespace nodeboot::report {
namespace {

using std::chrono::milliseconds;

// The start of a response body, printable and on one line: what a refusal says about itself.
std::string BodySnippet(const std::string& body) {
  std::string snippet;
  for (char c : body.substr(0, 200)) {
    snippet.push_back(std::isprint(static_cast<unsigned char>(c)) ? c : ' ');
  }
  snippet = std::string(TrimWhitespace(snippet));
  if (body.size() > 200) snippet += "...";
  return snippet;
}

bool Retryable(int status) { return status == 408 || status == 429 || (status >= 500 && status <= 599); }

}  // namespace

DeliveryClock RealDeliveryClock() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return {[] { return std::chrono::steady_clock::now(); },
          [] { return std::chrono::system_clock::now(); },
          [](milliseconds delay) { std::this_thread::sleep_for(delay); },
          [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); },
          {}};
}

milliseconds BackoffDelay(int retry, const DeliveryPolicy& policy, double random01) {
  const int exponent = std::clamp(retry, 0, 30);  // 2^30 s is far past any cap
  const int64_t base = policy.base.count();
  const auto ceiling = std::max<int64_t>(base, std::min<int64_t>(policy.cap.count(), base << exponent));
  return milliseconds(base +
                      static_cast<int64_t>(static_cast<double>(ceiling - base) * std::clamp(random01, 0.0, 1.0)));
}

std::optional<milliseconds> ParseRetryAfter(const std::string& raw, std::chrono::system_clock::time_point now) {
  const std::string value(TrimWhitespace(raw));
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (value.size() > 9) return milliseconds(std::chrono::hours(24 * 365));  // "forever" without overflow
    return milliseconds(std::stoll(value) * 1000);
  }
  for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
    std::tm tm{};
    const char* end = ::strptime(value.c_str(), format, &tm);
    if (end == nullptr || *end != '\0') continue;
    const auto when = std::chrono::system_clock::from_time_t(::timegm(&tm));
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(when - now));
  }
  return std::nullopt;
}

DeliveryResult Deliver(HttpClient& client, const DeliveryTarget& target, const std::string& body,
                       const std::string& idempotency_key, const DeliveryPolicy& policy, const DeliveryClock& clock,
                       std::chrono::steady_clock::time_point deadline) {
  HttpRequest request;
  request.method = "POST";
  request.url = target.url;
  request.headers = {{"Content-Type", "application/json"},
                     {"Idempotency-Key", idempotency_key},
                     {"User-Agent", fmt::format("nodeboot/{}", NODEBOOT_VERSION)}};
  request.secret_headers = {{"X-Auth-Token", target.token}};
  request.body = body;
  request.tls.ca_file = target.ca_file;

  DeliveryResult result;
  for (int retry = 0;; ++retry) {
    // The first attempt gets the whole per-request timeout (deliverySeconds is a budget for
    // retries); a retry may not outlive the budget by more than a second.
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - clock.now());
    request.timeout =
        retry == 0 ? target.request_timeout : std::min(target.request_timeout, std::max(remaining, milliseconds(1000)));
    ++result.attempts;
    auto response = client.Send(request);
    std::optional<milliseconds> told;
    if (!response) {
      result.last_status = 0;
      result.detail = response.error().message;
    } else {
      const int status = response->status;
      result.last_status = status;
      if (status >= 200 && status <= 299) {
        result.outcome = DeliveryOutcome::kDelivered;
        result.detail = fmt::format("HTTP {}", status);
        return result;
      }
      const std::string snippet = BodySnippet(response->body);
      result.detail = fmt::format("POST {}: HTTP {}{}{}", target.url, status, snippet.empty() ? "" : ": ", snippet);
      if (status >= 400 && status <= 499 && !Retryable(status)) {
        result.outcome = DeliveryOutcome::kRejected;
        return result;
      }
      if (!Retryable(status)) {
        result.outcome = DeliveryOutcome::kPending;
        return result;
      }
      if (status == 429 || status == 503) {
        if (auto it = response->headers.find("retry-after"); it != response->headers.end()) {
          told = ParseRetryAfter(it->second, clock.wall_now());
        }
      }
    }
    const milliseconds delay = told ? std::max(*told, policy.base) : BackoffDelay(retry, policy, clock.random01());
    if (result.attempts >= policy.max_attempts) {
      result.outcome = DeliveryOutcome::kPending;
      result.detail += fmt::format("; gave up after {} attempts (the most one flush makes)", result.attempts);
      return result;
    }
    if (clock.stopped && clock.stopped()) {
      result.outcome = DeliveryOutcome::kPending;
      result.detail += "; nodeboot is being stopped";
      return result;
    }
    if (clock.now() + delay >= deadline) {
      result.outcome = DeliveryOutcome::kPending;
      result.detail += fmt::format("; delivery budget of {} s spent after {} attempt{}", policy.budget.count() / 1000,
                                   result.attempts, result.attempts == 1 ? "" : "s");
      return result;
    }
    log::Info("report {}: attempt {} failed ({}); retrying in {} ms{}", idempotency_key, result.attempts, result.detail,
              delay.count(), told ? " as Retry-After says" : "");
    if (!clock.stopped) {
      clock.sleep(delay);
      continue;
    }
    // In slices, so a stop signal ends the wait within a fraction of a second.
    for (auto left = delay; left > milliseconds(0) && !clock.stopped(); left -= milliseconds(200)) {
      clock.sleep(std::min(left, milliseconds(200)));
    }
  }
}

}  // namespace nodeboot::report
