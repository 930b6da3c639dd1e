// DecodeBase64 / EncodeBase64 (agent/base/base64.h) on arbitrary bytes.
//   - The input as base64 text: the decoder accepts only canonical text, so whatever it
//     accepts re-encodes to exactly the input without its surrounding whitespace; what it
//     refuses it refuses with a config error that says why.
//   - The input as data: encode -> decode gives the bytes back, and the encoding has the
//     padded length.
#include "agent/base/base64.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nodeboot;
  const std::string_view input = fuzz::AsText(data, size);

  auto decoded = DecodeBase64(input);
  if (decoded) {
    FUZZ_CHECK(EncodeBase64(*decoded) == TrimWhitespace(input));
  } else {
    FUZZ_CHECK(decoded.error().exit_code == exit_code::kInvalidConfig);
    FUZZ_CHECK(decoded.error().message.starts_with("invalid base64: "));
  }

  const std::string encoded = EncodeBase64(input);
  FUZZ_CHECK(encoded.size() == (size + 2) / 3 * 4);
  auto round_trip = DecodeBase64(encoded);
  FUZZ_CHECK(round_trip && *round_trip == input);
  return 0;
}
