// The adapter for libsystemd (systemd_library.h says why it is loaded with dlopen).
#include "agent/base/systemd_library.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include <mutex>

namespace nodeboot {
namespace {

// The declared types, checked against libsystemd's own headers at compile time.
static_assert(std::is_same_v<decltype(SystemdLibrary::notify), decltype(&sd_notify)>);
static_assert(std::is_same_v<decltype(SystemdLibrary::notify_barrier), decltype(&sd_notify_barrier)>);
static_assert(std::is_same_v<decltype(SystemdLibrary::journal_sendv), decltype(&sd_journal_sendv)>);

struct Loaded {
  SystemdLibrary library;
  std::string error;  // empty when `library` is usable
};

Loaded Load() {
  Loaded loaded;
  // Never closed: the functions are used until exit.
  void* handle = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* reason = dlerror();
    loaded.error = fmt::format("cannot load libsystemd: {}", reason ? reason : "dlopen failed");
    return loaded;
  }
  SystemdLibrary& l = loaded.library;
  l.notify = reinterpret_cast<decltype(l.notify)>(dlsym(handle, "sd_notify"));
  l.notify_barrier = reinterpret_cast<decltype(l.notify_barrier)>(dlsym(handle, "sd_notify_barrier"));
  l.journal_sendv = reinterpret_cast<decltype(l.journal_sendv)>(dlsym(handle, "sd_journal_sendv"));
  if (l.notify == nullptr || l.journal_sendv == nullptr) {
    loaded.error = "libsystemd.so.0 has no sd_notify or sd_journal_sendv";
  }
  return loaded;
}

}  // namespace

const SystemdLibrary* LoadSystemdLibrary(std::string& error) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = Load(); });
  if (!loaded.error.empty()) {
    error = loaded.error;
    return nullptr;
  }
  return &loaded.library;
}

}  // namespace nodeboot
