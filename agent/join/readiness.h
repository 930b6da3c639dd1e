// The wait for the Node to be Ready (SPEC §6), and the check that it carries what the node
// asked for. The API server is asked with GET /api/v1/nodes/NAME and the credentials of
// /etc/kubernetes/kubelet.conf: the kubelet's own identity, which the Node authorizer lets
// read its own Node, so nodeboot needs no credential of its own.
//
// Outcomes, in the exit codes of SPEC §2:
//   - Ready=True and every label, taint and status.capacity.pods present: Ok.
//   - Ready=True but something missing: exit 30 (NB-JOIN-FAILED) naming each missing item.
//     Labels and taints are applied when the kubelet registers the Node, so they will not
//     appear later by themselves.
//   - The budget spent and the API server never answered (no kubelet.conf, connection refused,
//     TLS failure): exit 30 with the last error - the join did not get the node into the
//     cluster.
//   - The budget spent with answers but no Ready=True (404, 5xx, 429, Ready=False): exit 31
//     (NB-JOIN-TIMEOUT) with the last status or API error.
// Polls back off exponentially (base, doubled, capped); a 429's Retry-After (delta-seconds,
// which is what kube-apiserver sends) replaces the backoff delay when longer. No poll sleeps
// past the deadline; the last poll happens at it.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/base/http_client.h"
#include "agent/base/result.h"
#include "agent/config/node_config.h"
#include "agent/join/kubeconfig.h"

namespace nodeboot::join {

// What the Node must carry.
struct NodeExpectations {
  std::string node_name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<config::Taint> taints;
  std::optional<int> max_pods;
  // The kubelet's podsPerCore (0: none): status.capacity.pods is then at most podsPerCore
  // times status.capacity.cpu (PodCapacity).
  int pods_per_core = 0;
};

// One look at the Node.
struct NodeObservation {
  enum class Kind {
    kNoAnswer,   // no credentials yet, or no HTTP response (refused, TLS, timeout)
    kAnswered,   // an HTTP response that does not show the Node Ready (404, 5xx, Ready=False)
    kThrottled,  // 429
    kReady,      // 200 with Ready=True; `missing` lists what is not on it
  };
  Kind kind = Kind::kNoAnswer;
  std::string detail;  // "HTTP 404: nodes \"worker-1\" not found", "Ready=False: KubeletNotReady: ..."
  std::optional<std::chrono::milliseconds> retry_after;  // kThrottled, when the server said
  std::vector<std::string> missing;                      // kReady

  bool ready_as_asked() const { return kind == Kind::kReady && missing.empty(); }
};

// Pure: what one answer of GET /api/v1/nodes/NAME says.
NodeObservation ObserveNode(const HttpResponse& response, const NodeExpectations& expected);

// Pure: the requested labels, taints and pods capacity that `node` lacks, each as a phrase
// ("label team=data (absent)", "taint dedicated=gpu:NoSchedule", "status.capacity.pods 64 (is
// 110)").
std::vector<std::string> MissingSettings(const nlohmann::json& node, const NodeExpectations& expected);

// One GET of the Node with `credentials` (or the error that kept them from being read).
NodeObservation LookAtNode(HttpClient& http, const Result<ApiCredentials>& credentials,
                           const NodeExpectations& expected, std::chrono::milliseconds timeout);

struct ReadinessPolicy {
  std::chrono::milliseconds budget{std::chrono::seconds(600)};
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{std::chrono::seconds(5)};
  std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
  // Optional: true once nodeboot is being stopped; the wait then ends after the poll under way
  // (a join error; the engine records the phase as interrupted).
  std::function<bool()> stopped;
};

struct ReadinessClock {
  std::function<std::chrono::steady_clock::time_point()> now;
  std::function<void(std::chrono::milliseconds)> sleep;
};
ReadinessClock RealReadinessClock();

// Called before every poll: kubelet.conf appears asynchronously (TLS bootstrap) and is
// rewritten by certificate rotation, so it is read afresh each time.
using CredentialsSource = std::function<Result<ApiCredentials>()>;

// Polls until the Node is Ready as asked, or the budget is spent (see the outcomes above).
// `progress` gets a line each time what the poll sees changes (for the log and the report).
Status WaitForReady(HttpClient& http, const CredentialsSource& credentials, const NodeExpectations& expected,
                    const ReadinessPolicy& policy, const ReadinessClock& clock,
                    const std::function<void(const std::string&)>& progress);

// The error for a Node that is Ready but lacks requested settings (exit 30).
Error MissingSettingsError(const NodeExpectations& expected, const std::vector<std::string>& missing);

}  // namespace nodeboot::join
