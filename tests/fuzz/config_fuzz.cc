// config::ParseConfig (agent/config/load.h) on arbitrary text: the YAML/JSON adapter, the
// field readers, the node template, the storage spec and the legacy override together.
//   - Never throws (an escaping exception aborts, a crash to libFuzzer); every error has a
//     message and a non-negative line.
//   - A config it accepts keeps the promises the later phases rely on: scripts decoded,
//     non-empty and NUL-free; maxPods in range; every storage group's spaces whole
//     percentages that add up to at most 100, a user space with an absolute mount path, and
//     every selector name of a group defined.
//   - No error message repeats a secret (task token, bootstrap token, decoded script). Only
//     values holding a byte that no fixed message text has (a control character or a
//     non-ASCII byte) are checked, so a value that happens to spell part of a message
//     ("must match") is not mistaken for a leak.
// Side-effect free: task.tokenFile is looked up under a root that does not exist.
#include <algorithm>
#include <set>

#include "agent/config/load.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using namespace nodeboot;

bool Distinctive(std::string_view value) {
  return value.size() >= 8 && std::any_of(value.begin(), value.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte >= 0x7f;
         });
}

void CheckStorage(const storage::Spec& spec) {
  std::set<std::string> selectors;
  for (const auto& selector : spec.selectors) selectors.insert(selector.name);
  for (const auto& group : spec.groups) {
    int sum = 0;
    for (const auto& space : group.spaces) {
      FUZZ_CHECK(space.percent >= 1 && space.percent <= 100);
      sum += space.percent;
      if (space.kind == storage::SpaceKind::kUser) FUZZ_CHECK(space.path.starts_with('/'));
    }
    FUZZ_CHECK(sum <= 100);
    for (const auto& name : group.selector_names) FUZZ_CHECK(selectors.contains(name));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Paths kNoHost("/nonexistent/nodeboot-fuzz-root");
  const std::string_view text = fuzz::AsText(data, size);
  const config::LoadResult result = config::ParseConfig(text, kNoHost);
  const config::NodeConfig& config = result.config;

  for (const auto& error : result.errors) {
    FUZZ_CHECK(!error.message.empty());
    FUZZ_CHECK(error.line >= 0);
  }
  // The two tokens are kept even when malformed; their own errors must not show them.
  const std::pair<const char*, const Secret*> tokens[] = {{"task.token", &config.task.token},
                                                          {"cluster.bootstrapToken", &config.cluster.bootstrap_token}};
  for (const auto& [path, token] : tokens) {
    if (!Distinctive(token->Reveal())) continue;
    for (const auto& error : result.errors) {
      if (error.path == path) FUZZ_CHECK(error.message.find(token->Reveal()) == std::string::npos);
    }
  }
  // A decoded script is never in the input as such, so no error anywhere may show it.
  for (const auto* script : {&config.node_template.pre_install_script, &config.node_template.post_install_script}) {
    if (!*script || !Distinctive((*script)->Reveal()) || text.find((*script)->Reveal()) != std::string_view::npos)
      continue;
    for (const auto& error : result.errors) FUZZ_CHECK(error.message.find((*script)->Reveal()) == std::string::npos);
  }
  if (!result.ok()) return 0;

  for (const auto* script : {&config.node_template.pre_install_script, &config.node_template.post_install_script}) {
    if (*script) FUZZ_CHECK(!(*script)->empty() && (*script)->Reveal().find('\0') == std::string::npos);
  }
  if (config.node_template.max_pods)
    FUZZ_CHECK(*config.node_template.max_pods >= 1 && *config.node_template.max_pods <= 65535);
  if (config.node_template.storage) CheckStorage(*config.node_template.storage);
  (void)config.SecretValues();
  return 0;
}
