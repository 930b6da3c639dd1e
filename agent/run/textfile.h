// The last run as Prometheus metrics (issue 18.5): node_exporter's textfile collector reads
// /var/lib/node_exporter/textfile_collector/*.prom on every scrape, so a fleet sees bootstrap
// health (result, exit code, per-phase seconds, report state) without a task service.
// The file carries names, statuses and numbers only - never a message, an output line or any
// config value - so it holds no secret and is world-readable (0644).
#pragma once

#include <string>
#include <string_view>

#include "agent/base/paths.h"
#include "agent/base/result.h"
#include "agent/run/state.h"

namespace nodeboot::run {

// The text exposition format (version 0.0.4): each metric family with # HELP and # TYPE, label
// values escaped (backslash, double quote, newline) and made valid UTF-8, '\n' after every
// line. Pure: the same record gives the same text (the timestamp is the run's finishedAt).
std::string RenderTextfile(const RunRecord& run, std::string_view node_name, std::string_view instance_id);

// A label value as the format wants it between its double quotes.
std::string EscapeLabelValue(std::string_view value);

// Writes `content` to Paths::kTextfile atomically (a temporary name that does not end in
// .prom, then a rename: the collector never reads half a file), 0644, creating the
// directories (0755) when missing - node_exporter may be installed after nodeboot ran.
Status WriteTextfile(const Paths& paths, std::string_view content);

}  // namespace nodeboot::run
