#include "agent/run/seal.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "agent/base/lock.h"
#include "agent/join/join_config.h"
#include "agent/run/state.h"

namespace nodeboot::run {
namespace {

namespace fs = std::filesystem;
using Kind = SealTarget::Kind;
using Action = SealEntry::Action;

// A file descriptor closed at scope exit.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

Fd OpenDirectoryAt(int dir, const char* name) {
  return Fd(::openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// The directory `node_path` names, opened by walking down from the root one component at a
// time without following a link. nullopt with `why` empty: it does not exist (nothing to do);
// with `why` set: something on the way is a link or not a directory.
std::optional<Fd> WalkToDirectory(const Paths& paths, const fs::path& node_path, std::string& why) {
  Fd dir(::open(paths.root().c_str(),
                O_RDONLY | O_DIRECTORY | O_CLOEXEC));  // --root itself may be a link
  if (!dir.ok()) {
    why = fmt::format("{}: {}", paths.root().string(), std::strerror(errno));
    return std::nullopt;
  }
  fs::path walked = "/";
  for (const auto& component : node_path.relative_path()) {
    walked /= component;
    Fd next = OpenDirectoryAt(dir.get(), component.c_str());
    if (!next.ok()) {
      const int err = errno;
      if (err == ENOENT) return std::nullopt;
      struct stat st;
      // O_DIRECTORY answers ENOTDIR for a link, O_NOFOLLOW ELOOP: lstat tells which it is.
      const bool link = ::fstatat(dir.get(), component.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      if (link || err == ELOOP) {
        why = fmt::format("{} is a symbolic link: not followed", paths.Host(walked.string()).string());
      } else if (err == ENOTDIR) {
        why = fmt::format("{} is not a directory", paths.Host(walked.string()).string());
      } else {
        why = fmt::format("{}: {}", paths.Host(walked.string()).string(), std::strerror(err));
      }
      return std::nullopt;
    }
    dir = std::move(next);
  }
  return dir;
}

// Removes (or counts, with dry_run) the tree `name` in `parent`, never following a link and
// never entering another filesystem (a mount point under it is left, and the tree with it).
// Returns the number of entries it held, or an error saying what stopped it.
Result<int> RemoveTree(int parent, const std::string& name, dev_t device, const fs::path& where, bool dry_run) {
  Fd dir = OpenDirectoryAt(parent, name.c_str());
  if (!dir.ok()) return Error::Internal(fmt::format("open {}: {}", where.string(), std::strerror(errno)));
  struct stat st;
  if (::fstat(dir.get(), &st) != 0)
    return Error::Internal(fmt::format("stat {}: {}", where.string(), std::strerror(errno)));
  if (st.st_dev != device) return Error::Internal(fmt::format("{} is a mount point: not removed", where.string()));
  std::vector<std::pair<std::string, bool>> children;  // name, is a directory
  {
    DIR* stream = ::fdopendir(::dup(dir.get()));
    if (stream == nullptr) return Error::Internal(fmt::format("read {}: {}", where.string(), std::strerror(errno)));
    while (const dirent* entry = ::readdir(stream)) {
      const std::string child = entry->d_name;
      if (child == "." || child == "..") continue;
      struct stat child_st;
      if (::fstatat(dir.get(), child.c_str(), &child_st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // gone meanwhile
      children.emplace_back(child, S_ISDIR(child_st.st_mode));
    }
    ::closedir(stream);
  }
  int count = 0;
  for (const auto& [child, is_dir] : children) {
    if (is_dir) {
      NB_TRY_ASSIGN(const int inside, RemoveTree(dir.get(), child, device, where / child, dry_run));
      count += inside;
    } else if (!dry_run && ::unlinkat(dir.get(), child.c_str(), 0) != 0 && errno != ENOENT) {
      return Error::Internal(fmt::format("remove {}: {}", (where / child).string(), std::strerror(errno)));
    }
    ++count;
  }
  if (!dry_run && ::unlinkat(parent, name.c_str(), AT_REMOVEDIR) != 0) {
    return Error::Internal(fmt::format("remove {}: {}", where.string(), std::strerror(errno)));
  }
  return count;
}

// One entry `name` of the directory `parent` (at `where` on this machine), expected to be of
// `kind`.
std::optional<SealEntry> SealOne(int parent, const std::string& name, Kind kind, const fs::path& where, bool dry_run) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return SealEntry{where.string(), Action::kFailed, fmt::format("stat: {}", std::strerror(errno))};
  }
  SealEntry entry{where.string(), Action::kRemoved, ""};
  if (S_ISLNK(st.st_mode)) {
    // Removed as a link, wherever it points: nodeboot writes files with rename(2), never links.
    char target[4096] = {};
    const ssize_t n = ::readlinkat(parent, name.c_str(), target, sizeof target - 1);
    entry.detail =
        fmt::format("symbolic link to {}, not followed", n > 0 ? std::string(target, static_cast<size_t>(n)) : "?");
  } else if (kind == Kind::kDirectory) {
    if (!S_ISDIR(st.st_mode)) {
      return SealEntry{where.string(), Action::kLeftAlone, "not a directory, where nodeboot keeps a directory"};
    }
    auto removed = RemoveTree(parent, name, st.st_dev, where, dry_run);
    if (!removed) return SealEntry{where.string(), Action::kFailed, removed.error().message};
    return SealEntry{where.string(), Action::kRemoved,
                     fmt::format("directory, {} {}", *removed, *removed == 1 ? "entry" : "entries")};
  } else if (S_ISDIR(st.st_mode)) {
    return SealEntry{where.string(), Action::kLeftAlone, "a directory, where nodeboot writes a file"};
  } else {
    entry.detail = S_ISREG(st.st_mode) ? "file" : "special file";
  }
  if (!dry_run && ::unlinkat(parent, name.c_str(), 0) != 0 && errno != ENOENT) {
    return SealEntry{where.string(), Action::kFailed, fmt::format("remove: {}", std::strerror(errno))};
  }
  return entry;
}

// Support bundles `nodeboot collect` left in the directory, and its unfinished temporary files.
bool IsBundleName(std::string_view name) {
  return (name.starts_with("support-") || name.starts_with(".support-")) &&
         name.find(".tar.gz") != std::string_view::npos;
}

void SealTargetInto(const Paths& paths, const SealTarget& target, bool dry_run, std::vector<SealEntry>& entries) {
  const fs::path node_path(target.path);
  const fs::path directory = target.kind == Kind::kBundles ? node_path : node_path.parent_path();
  std::string why;
  auto dir = WalkToDirectory(paths, directory, why);
  if (!dir) {
    if (!why.empty()) entries.push_back({paths.Host(target.path).string(), Action::kLeftAlone, why});
    return;
  }
  if (target.kind != Kind::kBundles) {
    if (auto entry =
            SealOne(dir->get(), node_path.filename().string(), target.kind, paths.Host(target.path), dry_run)) {
      entries.push_back(std::move(*entry));
    }
    return;
  }
  std::vector<std::string> names;
  if (DIR* stream = ::fdopendir(::dup(dir->get()))) {
    while (const dirent* entry = ::readdir(stream)) {
      if (IsBundleName(entry->d_name)) names.emplace_back(entry->d_name);
    }
    ::closedir(stream);
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    if (auto entry = SealOne(dir->get(), name, Kind::kFile, paths.Host(target.path) / name, dry_run)) {
      entries.push_back(std::move(*entry));
    }
  }
}

}  // namespace

const std::vector<SealTarget>& SealTargets() {
  static const std::vector<SealTarget> targets = {
      {Paths::kStateFile, Kind::kFile, "which phases and scripts ran on this instance"},
      {Paths::kStorageIntentFile, Kind::kFile, "the storage step in progress"},
      {Paths::kScriptsDir, Kind::kDirectory, "the decoded install scripts"},
      {Paths::kOutboxDir, Kind::kDirectory, "reports waiting for this node's task"},
      {Paths::kStateDir, Kind::kBundles, "support bundles (nodeboot collect)"},
      {"/var/log/nodeboot", Kind::kDirectory, "this node's log"},
      {Paths::kDefaultConfig, Kind::kFile, "the task token, the bootstrap token and the scripts"},
      {Paths::kTextfile, Kind::kFile, "the last run as Prometheus metrics"},
      {join::kKubeadmConfigPath, Kind::kFile, "the kubeadm JoinConfiguration (bootstrap token)"},
      {join::kBootstrapKubeconfigPath, Kind::kFile, "the kubelet's bootstrap kubeconfig (bootstrap token)"},
      {join::kKubeletConfigPath, Kind::kFile, "this node's KubeletConfiguration"},
      {join::kKubeletDropInPath, Kind::kFile, "the kubelet drop-in with this node's labels"},
      {join::kKubeadmPatchesDir, Kind::kDirectory, "kubeadm patches for this node's kubelet"},
  };
  return targets;
}

JoinEvidence FindJoinEvidence(const Paths& paths) {
  JoinEvidence evidence;
  std::error_code ec;
  evidence.kubelet_kubeconfig = fs::exists(fs::symlink_status(paths.Host(join::kKubeletKubeconfigPath), ec));
  // Only a regular file can be a state file nodeboot wrote (it writes with rename(2)): a link
  // is not followed, a directory is no evidence either way (both are reported when removed).
  if (!fs::is_regular_file(fs::symlink_status(paths.Host(Paths::kStateFile), ec))) return evidence;
  auto state = ReadState(paths);
  if (!state) {
    evidence.state_problem = state.error().message;
    return evidence;
  }
  if (!*state) return evidence;
  const State& s = **state;
  evidence.state_join_succeeded = s.Succeeded("join");
  if (s.last_run) {
    for (const auto& phase : s.last_run->phases) {
      if (phase.name == "join" && phase.status == PhaseStatus::kSucceeded) evidence.state_join_succeeded = true;
    }
  }
  return evidence;
}

std::string RefusalReason(const JoinEvidence& evidence, bool force) {
  if (force) return "";
  std::string why;
  if (evidence.state_join_succeeded) {
    why = "state.json records that this node joined its cluster";
  } else if (evidence.kubelet_kubeconfig) {
    why = fmt::format("{} exists: this node joined a cluster", join::kKubeletKubeconfigPath);
  } else if (!evidence.state_problem.empty()) {
    why = fmt::format("state.json cannot be read, so nodeboot cannot tell whether this node joined ({})",
                      evidence.state_problem);
  } else {
    return "";
  }
  return fmt::format(
      "{}. An image made from it would clone that node. Nothing was changed. To seal it anyway, "
      "run "
      "`nodeboot clean --force` (it still keeps the kubelet's {} and {}/pki; remove the node with "
      "`kubeadm reset` first if the image must not carry them)",
      why, join::kKubeletKubeconfigPath, join::kDefaultKubeletRootDir);
}

SealResult Seal(const Paths& paths, const SealOptions& options) {
  SealResult result;
  // The lock first: a run that finishes its join while we look would otherwise slip through.
  std::optional<RunLock> lock;
  const fs::path lock_path = paths.Host(Paths::kLockFile);
  if (options.dry_run) {
    if (RunLock::IsHeld(lock_path)) {
      result.exit_code = exit_code::kLocked;
      result.refusal = fmt::format("another nodeboot run holds {}", lock_path.string());
      return result;
    }
  } else {
    auto acquired = RunLock::Acquire(lock_path);
    if (!acquired) {
      result.exit_code = acquired.error().exit_code;
      result.refusal = acquired.error().message;
      return result;
    }
    lock.emplace(std::move(*acquired));
  }
  if (std::string refusal = RefusalReason(FindJoinEvidence(paths), options.force); !refusal.empty()) {
    result.exit_code = exit_code::kInvalidConfig;
    result.refusal = std::move(refusal);
    return result;
  }
  for (const auto& target : SealTargets()) SealTargetInto(paths, target, options.dry_run, result.entries);
  // The kubelet's identity is the kubelet's: kubeadm reset removes it, nodeboot never does.
  for (const std::string_view kept : {join::kKubeletKubeconfigPath, std::string_view("/var/lib/kubelet/pki")}) {
    std::error_code ec;
    const fs::path where = paths.Host(kept);
    if (fs::exists(fs::symlink_status(where, ec))) {
      result.entries.push_back(
          {where.string(), Action::kKept, "the kubelet's identity, not nodeboot's: kept (kubeadm reset removes it)"});
    }
  }
  for (const auto& entry : result.entries) {
    if (entry.action == Action::kLeftAlone || entry.action == Action::kFailed) result.exit_code = exit_code::kInternal;
  }
  return result;
}

}  // namespace nodeboot::run
