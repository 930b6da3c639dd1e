#include "agent/run/support_bundle.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>

#include "agent/base/atomic_file.h"
#include "agent/base/base64.h"
#include "agent/base/redact.h"
#include "agent/base/time_format.h"
#include "agent/config/load.h"

namespace nodeboot::run {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// The log can be large (weekly rotation); its end is what a ticket needs.
constexpr std::uintmax_t kLogTailBytes = 8 << 20;
constexpr size_t kMinBase64Run = 80;

bool IsBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=' || c == '-' || c == '_';
}

std::string MaskLongBase64Runs(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t end = i;
    while (end < text.size() && IsBase64Char(text[end])) ++end;
    if (end == i) {
      out += text[i++];
      continue;
    }
    if (end - i >= kMinBase64Run) {
      out += "***";
    } else {
      out.append(text.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

// The last `max_bytes` of a regular file (not through a link), with a note when cut.
Result<std::string> ReadTail(const fs::path& path, std::uintmax_t max_bytes, std::string& note) {
  std::error_code ec;
  const auto status = fs::symlink_status(path, ec);
  if (!fs::exists(status)) return Error::Internal("absent");
  if (!fs::is_regular_file(status)) return Error::Internal("not a regular file (a link or a directory): not read");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return Error::Internal(ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Internal(fmt::format("cannot open: {}", std::strerror(errno)));
  if (size > max_bytes) {
    in.seekg(static_cast<std::streamoff>(size - max_bytes));
    note = fmt::format(" (its last {} MiB of {} bytes)", max_bytes >> 20, size);
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (size > max_bytes) {
    if (auto first_newline = text.find('\n'); first_newline != std::string::npos) text.erase(0, first_newline + 1);
  }
  return text;
}

// Runs `argv` (read-only); its stdout, or why not.
Result<std::string> Capture(CommandRunner& runner, std::vector<std::string> argv, seconds timeout,
                            bool any_exit_code = false) {
  Command command;
  command.argv = std::move(argv);
  command.timeout = timeout;
  command.kill_grace = seconds(2);
  command.capture_bytes = 16 << 20;
  command.changes_system = false;
  auto result = runner.Run(command);
  if (!result) return std::move(result).error();
  if (result->timed_out) return Error::Internal(fmt::format("did not finish within {} s", timeout.count()));
  if (!any_exit_code && !result->ok()) {
    return Error::Internal(fmt::format("exit {}: {}", result->exit_code, result->FirstErrorLine()));
  }
  if (result->out.empty()) return Error::Internal(fmt::format("printed nothing: {}", result->FirstErrorLine()));
  return std::move(result->out);
}

Status FsyncPath(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Error::Internal(fmt::format("open {}: {}", path.string(), std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error::Internal(fmt::format("fsync {}: {}", path.string(), std::strerror(err)));
  return Ok();
}

// A private directory removed at scope exit.
class StagingDir {
 public:
  static Result<StagingDir> Create(const fs::path& parent) {
    NB_TRY(CreateDirectories(parent, fs::perms(0755)));
    std::string pattern = (parent / "support-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {  // 0700
      return Error::Internal(
          fmt::format("create a staging directory in {}: {}", parent.string(), std::strerror(errno)));
    }
    return StagingDir(pattern);
  }
  StagingDir(StagingDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  StagingDir& operator=(StagingDir&&) = delete;
  ~StagingDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  explicit StagingDir(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

}  // namespace

std::string BundleFileName(std::string_view hostname, std::chrono::system_clock::time_point now) {
  std::string host;
  for (const char c : hostname) {
    host += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  }
  if (host.empty()) host = "unknown";
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return fmt::format("support-{}-{}.tar.gz", host, stamp);
}

std::string RedactConfigText(std::string_view text, const std::vector<std::string>& secrets,
                             const std::vector<std::string>& scripts) {
  std::vector<std::string> all = secrets;
  for (const auto& script : scripts) all.push_back(EncodeBase64(script));
  return MaskLongBase64Runs(ThoroughRedactor(all).Redact(text));
}

std::string ManifestText(const std::vector<BundleMember>& members, const std::vector<SkippedMember>& skipped,
                         std::string_view hostname, std::chrono::system_clock::time_point now, std::string_view root) {
  std::string text = fmt::format(
      "nodeboot support bundle\n"
      "created {} on host {} by nodeboot {}, root {}\n"
      "Every member passed through nodeboot's redactor: the secrets the config names (task token,\n"
      "bootstrap token, install scripts, URL credentials) and their base64 forms read \"***\".\n\n"
      "included:\n",
      FormatUtc(now), hostname, NODEBOOT_VERSION, root);
  for (const auto& member : members) text += fmt::format("  {:<22} {}\n", member.name, member.source);
  text += "  MANIFEST               this file\n";
  text += "skipped:\n";
  if (skipped.empty()) text += "  (nothing)\n";
  for (const auto& member : skipped) text += fmt::format("  {:<22} {}\n", member.name, member.why);
  return text;
}

Result<SupportBundle> WriteSupportBundle(const Paths& paths, const SupportBundleOptions& options,
                                         CommandRunner& runner) {
  const std::string root = paths.root().string();
  std::vector<BundleMember> members;
  std::vector<SkippedMember> skipped;

  // The secrets first: every member is redacted with them.
  const fs::path config_file = config::ConfigFile(paths, "");
  const auto loaded = config::LoadConfig(paths, config_file);
  std::vector<std::string> secrets;
  std::vector<std::string> scripts;
  if (loaded.ok()) {
    secrets = loaded.config.SecretValues();
    for (const auto* script :
         {&loaded.config.node_template.pre_install_script, &loaded.config.node_template.post_install_script}) {
      if (*script && !(*script)->empty()) scripts.push_back((*script)->Reveal());
    }
  }
  const ThoroughRedactor redactor(secrets);
  const auto add = [&](std::string name, std::string source, const std::string& content) {
    members.push_back({std::move(name), std::move(source), redactor.Redact(content)});
  };

  std::string note;
  if (auto log = ReadTail(paths.Host(Paths::kLogFile), kLogTailBytes, note)) {
    add("nodeboot.log", paths.Host(Paths::kLogFile).string() + note, *log);
  } else {
    skipped.push_back(
        {"nodeboot.log", fmt::format("{}: {}", paths.Host(Paths::kLogFile).string(), log.error().message)});
  }
  if (auto state = ReadTail(paths.Host(Paths::kStateFile), 64 << 20, note)) {
    add("state.json", paths.Host(Paths::kStateFile).string(), *state);
  } else {
    skipped.push_back(
        {"state.json", fmt::format("{}: {}", paths.Host(Paths::kStateFile).string(), state.error().message)});
  }

  // nodeboot's own reading commands, as the operator would run them.
  const auto self = [&](std::string name, std::vector<std::string> args, seconds timeout, bool any_exit_code) {
    std::vector<std::string> argv{options.self_binary};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string source = "nodeboot " + FormatArgv(args);
    if (auto out = Capture(runner, argv, timeout, any_exit_code)) {
      add(std::move(name), source, *out);
    } else {
      skipped.push_back({std::move(name), redactor.Redact(fmt::format("{}: {}", source, out.error().message))});
    }
  };
  self("status.json", {"status", "--root", root, "--output", "json"}, seconds(30), true);
  self("logs.json", {"logs", "--root", root, "--output", "json"}, seconds(60), true);
  if (loaded.ok()) {
    // Cheap when lvm answers; a hung lvm (the reason for some tickets) costs one minute, not the
    // bundle.
    self("plan.json", {"plan", "--root", root, "--output", "json"}, seconds(60), false);
  } else {
    skipped.push_back({"plan.json", "the config does not load, so there is no storage spec to plan"});
  }
  if (paths.root() != fs::path("/")) {
    skipped.push_back({"systemctl-status.txt", "--root is not /: systemd knows the units of this machine only"});
  } else if (auto out = Capture(runner,
                                {"systemctl", "status", "--no-pager", "--full", "--lines=50", "nodeboot.service",
                                 "nodeboot-report.timer"},
                                seconds(30), true)) {
    add("systemctl-status.txt", "systemctl status nodeboot.service nodeboot-report.timer", *out);
  } else {
    skipped.push_back({"systemctl-status.txt", fmt::format("systemctl: {}", out.error().message)});
  }

  // The config last, masked structurally as well (RedactConfigText); never when its secrets are
  // unknown.
  std::error_code ec;
  if (!fs::exists(config_file, ec)) {
    skipped.push_back({"config.yaml", fmt::format("{} does not exist", config_file.string())});
  } else if (!loaded.ok()) {
    skipped.push_back({"config.yaml", fmt::format("{} does not load ({} error(s); `nodeboot validate` lists them): "
                                                  "its secrets are unknown, so it is left out",
                                                  config_file.string(), loaded.errors.size())});
  } else if (auto text = ReadFile(config_file, 16 << 20)) {
    members.push_back({"config.yaml", config_file.string() + " (secrets replaced by ***)",
                       RedactConfigText(*text, secrets, scripts)});
  } else {
    skipped.push_back({"config.yaml", text.error().message});
  }

  // Stage, pack, rename into place.
  const std::string file_name = BundleFileName(options.hostname, options.now);
  const std::string top = file_name.substr(0, file_name.size() - std::string_view(".tar.gz").size());
  NB_TRY_ASSIGN(StagingDir staging, StagingDir::Create(paths.Host("/run/nodeboot")));
  const fs::path dir = staging.path() / top;
  NB_TRY(CreateDirectories(dir, fs::perms(0700)));
  for (const auto& member : members) {
    NB_TRY(WriteFileAtomically(dir / member.name, member.content, fs::perms(0600), fs::perms(0700)));
  }
  NB_TRY(WriteFileAtomically(dir / "MANIFEST", ManifestText(members, skipped, options.hostname, options.now, root),
                             fs::perms(0600), fs::perms(0700)));

  fs::path output =
      options.output_file.empty() ? paths.Host(Paths::kStateDir) / file_name : fs::path(options.output_file);
  if (options.output_file.empty()) NB_TRY(CreateDirectories(output.parent_path(), fs::perms(0700)));
  // The temporary file is made 0600 before tar writes into it (tar keeps an existing file's mode).
  std::string temp = (output.parent_path() / ("." + output.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return Error::Internal(fmt::format("create {}: {}", temp, std::strerror(errno)));
  ::close(fd);
  const auto fail = [&](std::string message) -> Error {
    std::error_code ec;
    fs::remove(temp, ec);
    return Error::Internal(std::move(message));
  };
  Command tar;
  tar.argv = {"tar",       "--create",        "--gzip",      "--force-local",         "--file", temp, "--owner=0",
              "--group=0", "--numeric-owner", "--directory", staging.path().string(), top};
  tar.timeout = std::chrono::minutes(5);
  auto packed = runner.Run(tar);
  if (!packed) return fail(packed.error().message);
  if (!packed->ok()) return fail(fmt::format("tar {}: exit {}: {}", temp, packed->exit_code, packed->FirstErrorLine()));
  if (::chmod(temp.c_str(), 0600) != 0) return fail(fmt::format("chmod {}: {}", temp, std::strerror(errno)));
  if (auto synced = FsyncPath(temp, O_RDONLY); !synced) return fail(synced.error().message);
  if (::rename(temp.c_str(), output.c_str()) != 0) {
    return fail(fmt::format("rename {} to {}: {}", temp, output.string(), std::strerror(errno)));
  }
  NB_TRY(FsyncPath(output.parent_path().empty() ? fs::path(".") : output.parent_path(), O_RDONLY | O_DIRECTORY));
  return SupportBundle{output, members.size() + 1, std::move(skipped)};
}

}  // namespace nodeboot::run
