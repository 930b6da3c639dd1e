#include "agent/report/flush.h"

#include <fmt/format.h>

#include <algorithm>

#include "agent/base/logging.h"

namespace nodeboot::report {

FlushResult FlushOutbox(const Outbox& outbox, HttpClient& client, const DeliveryTarget& target,
                        const DeliveryPolicy& policy, const DeliveryClock& clock, std::string_view first_run_id) {
  FlushResult result;
  auto pending = outbox.Pending();
  if (!pending) {
    result.problems.push_back(pending.error().message);
    return result;
  }
  std::vector<OutboxItem>& items = *pending;
  std::stable_partition(items.begin(), items.end(),
                        [first_run_id](const OutboxItem& item) { return item.run_id == first_run_id; });

  const auto deadline = clock.now() + policy.budget;
  DeliveryPolicy left = policy;  // the attempts are counted per flush
  for (size_t i = 0; i < items.size(); ++i) {
    const OutboxItem& item = items[i];
    if (left.max_attempts <= 0) {
      result.pending = static_cast<int>(items.size() - i);
      return result;
    }
    const DeliveryResult delivery = Deliver(client, target, item.body, item.run_id, left, clock, deadline);
    left.max_attempts -= delivery.attempts;
    result.by_run[item.run_id] = delivery;
    switch (delivery.outcome) {
      case DeliveryOutcome::kDelivered:
        ++result.delivered;
        log::Info("report {}: delivered after {} attempt{}", item.run_id, delivery.attempts,
                  delivery.attempts == 1 ? "" : "s");
        if (auto removed = outbox.Remove(item.run_id); !removed) {
          result.problems.push_back(removed.error().message);
        }
        break;
      case DeliveryOutcome::kRejected:
        ++result.rejected;
        log::Error("report {}: refused by the task service, set aside in {}: {}", item.run_id, outbox.dir().string(),
                   delivery.detail);
        if (auto rejected = outbox.Reject(item.run_id, delivery.detail); !rejected) {
          result.problems.push_back(rejected.error().message);
        }
        break;
      case DeliveryOutcome::kPending:
        result.pending = static_cast<int>(items.size() - i);
        log::Warn("report {}: not delivered ({}); {} report{} wait in {}", item.run_id, delivery.detail, result.pending,
                  result.pending == 1 ? "" : "s", outbox.dir().string());
        return result;
    }
  }
  return result;
}

DeliveryTarget TargetFromConfig(const config::TaskSection& task, const Paths& paths) {
  return {task.url, task.token, task.ca_file.empty() ? "" : paths.Host(task.ca_file).string(),
          std::chrono::seconds(task.timeout_seconds)};
}

DeliveryPolicy PolicyFromConfig(const config::TaskSection& task) {
  DeliveryPolicy policy;
  policy.budget = std::chrono::seconds(task.delivery_seconds);
  return policy;
}

}  // namespace nodeboot::report
