// Strict standard base64 (RFC 4648 §4, padded). Surrounding whitespace is ignored; anything
// else outside the alphabet, missing or misplaced padding, or non-zero pad bits is an error,
// so a truncated or mangled script is caught at validation instead of running half a script.
#pragma once

#include <string>
#include <string_view>

#include "agent/base/result.h"
#include "agent/base/text.h"  // TrimWhitespace, which callers of the decoder use too

namespace nodeboot {

// The decoded bytes, or an error whose message says what is wrong and at which offset.
Result<std::string> DecodeBase64(std::string_view encoded);
std::string EncodeBase64(std::string_view bytes);

}  // namespace nodeboot
