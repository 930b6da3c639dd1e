// `nodeboot clean`: seal a golden image. Removes nodeboot's per-node files - state, outbox,
// logs, the config (it holds the tokens and the scripts), the Prometheus textfile, support
// bundles and the join files nodeboot writes - so that the image can be cloned. It never
// touches disks, LVM or /etc/fstab, and never the kubelet's own identity
// (/etc/kubernetes/kubelet.conf, /var/lib/kubelet/pki).
//
// Safety:
//   - A node that joined (state.json says the join phase succeeded, or kubelet.conf exists)
//     is refused (exit 2, nothing changed) unless `force`: sealing it would leave an image
//     whose clones all claim that node's identity. A state.json nodeboot cannot read is
//     refused the same way: it cannot prove the node did not join.
//   - A run holding /run/nodeboot.lock is refused with exit 3.
//   - No symbolic link is followed: every path is walked from the root with O_NOFOLLOW, a link
//     at a target is removed as a link, a link on the way to one (a parent directory) leaves
//     that target alone, and a tree is removed without leaving its filesystem.
//   - A directory where a file is expected (or the reverse) is reported and left alone.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/base/paths.h"

namespace nodeboot::run {

// One of nodeboot's per-node files.
struct SealTarget {
  enum class Kind { kFile, kDirectory, kBundles };  // kBundles: support-*.tar.gz in the directory
  std::string_view path;                            // on the node (no root)
  Kind kind = Kind::kFile;
  std::string_view what;  // why it is per-node (the README and the man page say the same)
};
// All of them, in the order they are removed.
const std::vector<SealTarget>& SealTargets();

// What the refusal of a joined node rests on.
struct JoinEvidence {
  bool state_join_succeeded = false;  // state.json: the join phase succeeded on some instance
  bool kubelet_kubeconfig = false;    // /etc/kubernetes/kubelet.conf exists
  std::string state_problem;          // state.json exists but cannot be read: why
};
JoinEvidence FindJoinEvidence(const Paths& paths);
// Empty when the node may be cleaned; else why not, naming --force. Pure.
std::string RefusalReason(const JoinEvidence& evidence, bool force);

struct SealEntry {
  enum class Action {
    kRemoved,    // removed (with --dry-run: would be)
    kLeftAlone,  // of an unexpected type or behind a link: not touched; `detail` says why
    kFailed,     // removal failed: `detail` says why
    kKept,       // the kubelet's, never removed: `detail` says why
  };
  std::string path;  // on this machine (the root prefixed)
  Action action = Action::kRemoved;
  std::string detail;  // "file", "symbolic link", "directory, 3 entries", or why
};

struct SealOptions {
  bool force = false;
  bool dry_run = false;
};

struct SealResult {
  int exit_code = 0;    // SPEC §2: 0, 1 (something left alone or failed), 2 (refused), 3 (locked)
  std::string refusal;  // set with exit 2 and 3
  std::vector<SealEntry> entries;
};

// Removes (or with dry_run lists) the targets under `paths`. Takes the run lock while it works
// (dry_run only checks it: it creates nothing).
SealResult Seal(const Paths& paths, const SealOptions& options);

}  // namespace nodeboot::run
