// SystemdLibrary: the few libsystemd functions nodeboot calls, loaded on first use.
// systemd_library.cc is the only file that includes libsystemd's headers or loads the library.
//
// libsystemd is loaded with dlopen instead of being linked: linked, libsystemd.so.0 brings
// libgcrypt, liblzma, libzstd, liblz4 and libcap into every command's start-up (README
// "Start-up"), while only a run on this host (`run` without --root) has anything to tell
// systemd or its journal. The package depends on libsystemd0 by name (packaging/CMakeLists.txt),
// since dpkg-shlibdeps cannot see a dlopen.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <string>

namespace nodeboot {

struct SystemdLibrary {
  // sd_notify(3) and sd_notify_barrier(3); barrier is null before systemd 246.
  int (*notify)(int unset_environment, const char* state) = nullptr;
  int (*notify_barrier)(int unset_environment, uint64_t timeout_usec) = nullptr;
  // sd_journal_sendv(3): one journal entry from "FIELD=value" iovecs.
  int (*journal_sendv)(const struct iovec* fields, int count) = nullptr;
};

// The library, loaded once per process (later calls return the same one), or null with
// `error` saying why it cannot be used.
const SystemdLibrary* LoadSystemdLibrary(std::string& error);

}  // namespace nodeboot
