#include "proto/errc.h"

#include <string>

namespace sluice::proto {
namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sluice.codec"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::truncated: return "input truncated";
      case errc::bad_length: return "bad length";
      case errc::bad_varint: return "bad varint";
      case errc::crc_mismatch: return "CRC mismatch";
      case errc::unsupported_magic: return "unsupported magic";
      case errc::unknown_codec: return "unknown compression codec";
      case errc::too_large: return "too large";
      case errc::decompression_failed: return "decompression failed";
      case errc::compression_failed: return "compression failed";
    }
    return "unknown codec error " + std::to_string(value);
  }
};

}  // namespace

const std::error_category& codec_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace sluice::proto
