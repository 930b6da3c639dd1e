// Files that must never be seen half-written (state.json, outbox reports, rendered configs):
// write a temporary file beside the target, fsync it, rename it over the target, fsync the
// directory. A crash leaves either the old file or the new one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "agent/base/result.h"

namespace nodeboot {

// Creates missing parent directories with `dir_mode`.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                           std::filesystem::perms mode = std::filesystem::perms(0644),
                           std::filesystem::perms dir_mode = std::filesystem::perms(0755));

// The whole file, or an error naming it and why (errno's text, a directory, over `max_bytes`).
Result<std::string> ReadFile(const std::filesystem::path& path, size_t max_bytes = 64 << 20);

// mkdir -p with `mode` on the directories it creates.
Status CreateDirectories(const std::filesystem::path& path, std::filesystem::perms mode);

}  // namespace nodeboot
