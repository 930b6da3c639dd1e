#include "agent/base/base64.h"

#include <fmt/format.h>

#include <array>

namespace nodeboot {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> MakeDecodeTable() {
  std::array<int, 256> table{};
  for (int& entry : table) entry = -1;
  for (size_t i = 0; i < kAlphabet.size(); ++i) table[static_cast<unsigned char>(kAlphabet[i])] = int(i);
  return table;
}
constexpr std::array<int, 256> kDecode = MakeDecodeTable();

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

Result<std::string> DecodeBase64(std::string_view encoded) {
  const std::string_view text = TrimWhitespace(encoded);
  // Wrapped output of `base64` (76 columns) is the commonest mistake; name it first.
  for (size_t i = 0; i < text.size(); ++i) {
    if (IsSpace(text[i]))
      return errors::ConfigInvalid(fmt::format("invalid base64: whitespace at offset {} (encode with base64 -w0)", i));
  }
  if (text.size() % 4 != 0) {
    return errors::ConfigInvalid(
        fmt::format("invalid base64: length {} is not a multiple of 4 (padding missing or "
                    "text truncated)",
                    text.size()));
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t group = 0; group < text.size(); group += 4) {
    const bool last = group + 4 == text.size();
    int values[4];
    int padding = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text[group + i];
      if (c == '=') {
        // Padding only in the last group, only in its last two places, and only trailing.
        if (!last || i < 2)
          return errors::ConfigInvalid(fmt::format("invalid base64: misplaced '=' at offset {}", group + i));
        ++padding;
        values[i] = 0;
        continue;
      }
      if (padding > 0)
        return errors::ConfigInvalid(fmt::format("invalid base64: data after '=' at offset {}", group + i));
      values[i] = kDecode[static_cast<unsigned char>(c)];
      if (values[i] < 0) {
        return errors::ConfigInvalid(
            fmt::format("invalid base64: character 0x{:02x} at offset {} is not in the alphabet",
                        static_cast<unsigned char>(c), group + i));
      }
    }
    const unsigned triple = (values[0] << 18) | (values[1] << 12) | (values[2] << 6) | values[3];
    // Canonical encodings only: the bits that padding drops must be zero.
    if ((padding == 1 && (triple & 0xff) != 0) || (padding == 2 && (triple & 0xffff) != 0)) {
      return errors::ConfigInvalid(
          fmt::format("invalid base64: non-zero padding bits in the last group at offset {}", group));
    }
    out.push_back(static_cast<char>((triple >> 16) & 0xff));
    if (padding < 2) out.push_back(static_cast<char>((triple >> 8) & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(triple & 0xff));
  }
  return out;
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    unsigned triple = static_cast<unsigned char>(bytes[i]) << 16;
    if (n > 1) triple |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    if (n > 2) triple |= static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(triple >> 18) & 63]);
    out.push_back(kAlphabet[(triple >> 12) & 63]);
    out.push_back(n > 1 ? kAlphabet[(triple >> 6) & 63] : '=');
    out.push_back(n > 2 ? kAlphabet[triple & 63] : '=');
  }
  return out;
}

}  // namespace nodeboot
