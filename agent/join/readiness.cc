#include "agent/join/readiness.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <thread>

#include "agent/join/cluster_settings.h"

namespace nodeboot::join {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

const json* At(const json& root, std::initializer_list<const char*> path) {
  const json* current = &root;
  for (const char* key : path) {
    if (!current->is_object()) return nullptr;
    const auto it = current->find(key);
    if (it == current->end()) return nullptr;
    current = &*it;
  }
  return current;
}

std::string StringAt(const json* value) { return value && value->is_string() ? value->get<std::string>() : ""; }

std::string TaintText(const config::Taint& taint) {
  return taint.value.empty() ? fmt::format("{}:{}", taint.key, taint.effect)
                             : fmt::format("{}={}:{}", taint.key, taint.value, taint.effect);
}

// What an error answer says: a Kubernetes Status object's message, else the start of the body.
std::string AnswerText(const HttpResponse& response) {
  const json parsed = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  std::string text = parsed.is_discarded() ? "" : StringAt(At(parsed, {"message"}));
  if (text.empty()) text = response.body.substr(0, 200);
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text.empty() ? fmt::format("HTTP {}", response.status) : fmt::format("HTTP {}: {}", response.status, text);
}

// Retry-After as delta-seconds (kube-apiserver's form); an HTTP-date is ignored, the backoff
// applies instead.
std::optional<milliseconds> ParseRetryAfter(const HttpResponse& response) {
  const auto it = response.headers.find("retry-after");
  if (it == response.headers.end()) return std::nullopt;
  const std::string& value = it->second;
  long seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error != std::errc() || end != value.data() + value.size() || seconds < 0) return std::nullopt;
  return milliseconds(std::min(seconds, 86400L) * 1000);
}

std::string Seconds(milliseconds duration) { return fmt::format("{} s", duration.count() / 1000.0); }

}  // namespace

std::vector<std::string> MissingSettings(const json& node, const NodeExpectations& expected) {
  std::vector<std::string> missing;
  const json* labels = At(node, {"metadata", "labels"});
  for (const auto& [key, value] : expected.labels) {
    const json* actual = labels ? At(*labels, {key.c_str()}) : nullptr;
    if (!actual) {
      missing.push_back(fmt::format("label {}={} (absent)", key, value));
    } else if (StringAt(actual) != value) {
      missing.push_back(fmt::format("label {}={} (is \"{}\")", key, value, StringAt(actual)));
    }
  }
  const json* taints = At(node, {"spec", "taints"});
  for (const auto& taint : expected.taints) {
    bool found = false;
    if (taints && taints->is_array()) {
      for (const auto& item : *taints) {
        found = found || (StringAt(At(item, {"key"})) == taint.key && StringAt(At(item, {"value"})) == taint.value &&
                          StringAt(At(item, {"effect"})) == taint.effect);
      }
    }
    if (!found) missing.push_back("taint " + TaintText(taint));
  }
  if (expected.max_pods) {
    const json* pods = At(node, {"status", "capacity", "pods"});
    // A podsPerCore the kubelet was given (the cluster's, with kubeadm) lowers what it allows
    // on a node with few cores: what it will really allow is what is asked for.
    int cores = 0;
    const std::string cpu = StringAt(At(node, {"status", "capacity", "cpu"}));
    std::from_chars(cpu.data(), cpu.data() + cpu.size(), cores);
    const int allowed = PodCapacity(*expected.max_pods, expected.pods_per_core, cores);
    const std::string want = std::to_string(allowed);
    if (!pods) {
      missing.push_back(fmt::format("status.capacity.pods {} (absent)", want));
    } else if (StringAt(pods) != want) {
      missing.push_back(fmt::format("status.capacity.pods {} (is {})", want,
                                    pods->is_string() ? pods->get<std::string>() : pods->dump()));
      if (allowed != *expected.max_pods) {
        missing.back() +=
            fmt::format(" (maxPods {}, podsPerCore {} on {} cores)", *expected.max_pods, expected.pods_per_core, cores);
      }
    }
  }
  return missing;
}

NodeObservation ObserveNode(const HttpResponse& response, const NodeExpectations& expected) {
  NodeObservation seen;
  seen.kind = NodeObservation::Kind::kAnswered;
  if (response.status == 429) {
    seen.kind = NodeObservation::Kind::kThrottled;
    seen.detail = AnswerText(response);
    seen.retry_after = ParseRetryAfter(response);
    return seen;
  }
  if (response.status != 200) {
    seen.detail = AnswerText(response);
    return seen;
  }
  const json node = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (node.is_discarded() || !node.is_object()) {
    seen.detail = "HTTP 200 but the body is not a JSON object";
    return seen;
  }
  const json* conditions = At(node, {"status", "conditions"});
  const json* ready = nullptr;
  if (conditions && conditions->is_array()) {
    for (const auto& condition : *conditions) {
      if (StringAt(At(condition, {"type"})) == "Ready") ready = &condition;
    }
  }
  if (!ready) {
    seen.detail = "registered, no Ready condition yet";
    return seen;
  }
  const std::string status = StringAt(At(*ready, {"status"}));
  if (status != "True") {
    seen.detail = fmt::format("Ready={}", status.empty() ? "?" : status);
    for (const char* field : {"reason", "message"}) {
      if (const auto text = StringAt(At(*ready, {field})); !text.empty()) seen.detail += ": " + text;
    }
    return seen;
  }
  seen.kind = NodeObservation::Kind::kReady;
  seen.missing = MissingSettings(node, expected);
  seen.detail = seen.missing.empty() ? "Ready=True with the requested labels, taints and maxPods"
                                     : fmt::format("Ready=True, missing {}", fmt::join(seen.missing, ", "));
  return seen;
}

NodeObservation LookAtNode(HttpClient& http, const Result<ApiCredentials>& credentials,
                           const NodeExpectations& expected, milliseconds timeout) {
  if (!credentials) return {NodeObservation::Kind::kNoAnswer, credentials.error().message, {}, {}};
  HttpRequest request = credentials->Get("/api/v1/nodes/" + expected.node_name);
  request.timeout = timeout;
  auto response = http.Send(request);
  if (!response) return {NodeObservation::Kind::kNoAnswer, response.error().message, {}, {}};
  return ObserveNode(*response, expected);
}

ReadinessClock RealReadinessClock() {
  return {[] { return std::chrono::steady_clock::now(); },
          [](milliseconds delay) { std::this_thread::sleep_for(delay); }};
}

Error MissingSettingsError(const NodeExpectations& expected, const std::vector<std::string>& missing) {
  return errors::JoinFailed(fmt::format("Node {} is Ready but lacks what nodeboot asked for: {}", expected.node_name,
                                        fmt::join(missing, ", ")));
}

Status WaitForReady(HttpClient& http, const CredentialsSource& credentials, const NodeExpectations& expected,
                    const ReadinessPolicy& policy, const ReadinessClock& clock,
                    const std::function<void(const std::string&)>& progress) {
  const auto deadline = clock.now() + policy.budget;
  std::string last_answer;  // the last thing the API server said
  std::string last_seen;    // the last observation of any kind
  bool last_was_answer = false;
  milliseconds delay = policy.base_delay;
  while (true) {
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - clock.now());
    const milliseconds timeout = std::clamp(remaining, milliseconds(1000), policy.request_timeout);
    const NodeObservation seen = LookAtNode(http, credentials(), expected, timeout);
    if (seen.detail != last_seen) progress(fmt::format("Node {}: {}", expected.node_name, seen.detail));
    last_seen = seen.detail;
    if (seen.kind == NodeObservation::Kind::kReady) {
      if (seen.missing.empty()) return Ok();
      return MissingSettingsError(expected, seen.missing);
    }
    last_was_answer = seen.kind != NodeObservation::Kind::kNoAnswer;
    if (last_was_answer) last_answer = seen.detail;

    const auto now = clock.now();
    if (now >= deadline) break;
    if (policy.stopped && policy.stopped()) {
      return errors::JoinFailed(
          fmt::format("stopped while waiting for Node {} to be Ready (last seen: {})", expected.node_name, last_seen));
    }
    milliseconds wait = delay;
    delay = std::min(delay * 2, policy.max_delay);
    if (seen.retry_after && *seen.retry_after > wait) wait = *seen.retry_after;
    wait = std::min(wait, std::chrono::duration_cast<milliseconds>(deadline - now));
    // In slices when a stop can come, so that it ends the wait within a fraction of a second.
    for (milliseconds slice = policy.stopped ? milliseconds(200) : wait; wait > milliseconds(0); wait -= slice) {
      clock.sleep(std::min(wait, slice));
      if (policy.stopped && policy.stopped()) break;
    }
  }

  if (last_answer.empty()) {
    return errors::JoinFailed(fmt::format("the API server never answered for Node {} within {}: {}", expected.node_name,
                                          Seconds(policy.budget), last_seen));
  }
  std::string message = fmt::format("Node {} not Ready after {}: last answer: {}", expected.node_name,
                                    Seconds(policy.budget), last_answer);
  if (!last_was_answer) message += fmt::format("; since then: {}", last_seen);
  return errors::JoinTimeout(std::move(message));
}

}  // namespace nodeboot::join
