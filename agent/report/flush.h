// Flushing the outbox: every waiting report delivered within one budget. Used by the report
// step of `run` (its own report first, then older ones left by runs that could not deliver)
// and by `nodeboot report --flush`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "agent/base/http_client.h"
#include "agent/base/paths.h"
#include "agent/config/node_config.h"
#include "agent/report/delivery.h"
#include "agent/report/outbox.h"

namespace nodeboot::report {

struct FlushResult {
  int delivered = 0;
  int rejected = 0;                              // set aside with their reason
  int pending = 0;                               // still waiting in the outbox
  std::map<std::string, DeliveryResult> by_run;  // every report that was attempted
  std::vector<std::string> problems;             // outbox reads and writes that failed
};

// Delivers the outbox's reports: `first_run_id`'s first (when given and waiting), then the
// others oldest first, all within `policy.budget` from now. A delivered report is removed, a
// rejected one set aside. A report left pending (no answer, a 5xx past the budget) ends the
// flush: the rest would wait on the same unavailable service, and the next flush tries again.
FlushResult FlushOutbox(const Outbox& outbox, HttpClient& client, const DeliveryTarget& target,
                        const DeliveryPolicy& policy, const DeliveryClock& clock, std::string_view first_run_id = {});

// task.url / token / caFile (a host file: under the root) / timeoutSeconds.
DeliveryTarget TargetFromConfig(const config::TaskSection& task, const Paths& paths);
// deliverySeconds as the budget; base 1 s, cap 60 s.
DeliveryPolicy PolicyFromConfig(const config::TaskSection& task);

}  // namespace nodeboot::report
