#include "proto/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "proto/byte_order.h"
#include "proto/errc.h"

namespace sluice::proto {
namespace {

// xerial snappy-java stream header: magic, version 1, compatible version 1.
constexpr std::array<uint8_t, 8> xerial_magic = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t xerial_header_size = 16;
constexpr size_t xerial_block_size = 32 * 1024;

const char* as_chars(const std::byte* p) {
  return reinterpret_cast<const char*>(p);
}
char* as_chars(std::byte* p) {
  return reinterpret_cast<char*>(p);
}

error too_large(codec c, size_t limit) {
  return make_error(errc::too_large, std::string(codec_name(c)) +
                                         " records decompress to more than the limit of " +
                                         std::to_string(limit) + " bytes");
}

error corrupt(codec c, std::string_view detail) {
  return make_error(errc::decompression_failed,
                    std::string(codec_name(c)) + " data is corrupt: " + std::string(detail));
}

// Grows `out` for a streaming decoder: doubles capacity up to `limit`. Returns false when `out`
// is already at the limit.
bool grow(byte_buffer& out, size_t used, size_t limit) {
  if (used >= limit) return false;
  size_t next = std::min(limit, std::max<size_t>(used * 2, 4096));
  out.resize(next);
  return true;
}

result<void> gzip_compress(std::span<const std::byte> in, byte_buffer& out) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    return make_error(errc::compression_failed, "gzip: deflateInit2 failed");
  }
  size_t start = out.size();
  out.resize(start + deflateBound(&zs, in.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data() + start);
  zs.avail_out = static_cast<uInt>(out.size() - start);
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return make_error(errc::compression_failed, "gzip: deflate failed");
  out.resize(start + produced);
  return success();
}

result<byte_buffer> gzip_decompress(std::span<const std::byte> in, size_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return corrupt(codec::gzip, "inflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&inflateEnd)> guard(&zs, &inflateEnd);
  byte_buffer out;
  size_t used = 0;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  while (true) {
    if (used == out.size() && !grow(out, used, limit)) return too_large(codec::gzip, limit);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + used);
    zs.avail_out = static_cast<uInt>(out.size() - used);
    int rc = inflate(&zs, Z_NO_FLUSH);
    used = out.size() - zs.avail_out;
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      if (inflateReset(&zs) != Z_OK) return corrupt(codec::gzip, "inflateReset failed");
      continue;  // another gzip member follows
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) return corrupt(codec::gzip, "stream ends early");
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return corrupt(codec::gzip, zs.msg != nullptr ? zs.msg : "inflate failed");
    }
  }
  out.resize(used);
  return out;
}

result<void> snappy_compress(std::span<const std::byte> in, byte_buffer& out) {
  size_t start = out.size();
  out.resize(start + xerial_header_size);
  std::memcpy(out.data() + start, xerial_magic.data(), xerial_magic.size());
  store_be<int32_t>(out.data() + start + 8, 1);
  store_be<int32_t>(out.data() + start + 12, 1);
  for (size_t pos = 0; pos < in.size(); pos += xerial_block_size) {
    size_t n = std::min(xerial_block_size, in.size() - pos);
    size_t block_at = out.size();
    out.resize(block_at + 4 + snappy::MaxCompressedLength(n));
    size_t written = 0;
    snappy::RawCompress(as_chars(in.data() + pos), n, as_chars(out.data() + block_at + 4),
                        &written);
    store_be<int32_t>(out.data() + block_at, static_cast<int32_t>(written));
    out.resize(block_at + 4 + written);
  }
  return success();
}

// Appends one raw snappy block to `out`, keeping the total within `limit`.
result<void> snappy_raw_block(std::span<const std::byte> in, byte_buffer& out, size_t limit) {
  size_t n = 0;
  if (!snappy::GetUncompressedLength(as_chars(in.data()), in.size(), &n)) {
    return corrupt(codec::snappy, "bad block length");
  }
  if (n > limit || out.size() > limit - n) return too_large(codec::snappy, limit);
  size_t at = out.size();
  out.resize(at + n);
  if (!snappy::RawUncompress(as_chars(in.data()), in.size(), as_chars(out.data() + at))) {
    return corrupt(codec::snappy, "bad block");
  }
  return success();
}

result<byte_buffer> snappy_decompress(std::span<const std::byte> in, size_t limit) {
  byte_buffer out;
  bool xerial = in.size() >= xerial_header_size &&
                std::memcmp(in.data(), xerial_magic.data(), xerial_magic.size()) == 0;
  if (!xerial) {
    SLUICE_TRY(snappy_raw_block(in, out, limit));
    return out;
  }
  size_t pos = xerial_header_size;
  while (pos < in.size()) {
    if (in.size() - pos < 4) return corrupt(codec::snappy, "xerial block length cut short");
    auto len = load_be<int32_t>(in.data() + pos);
    pos += 4;
    if (len < 0 || static_cast<size_t>(len) > in.size() - pos) {
      return corrupt(codec::snappy, "xerial block runs past the end");
    }
    SLUICE_TRY(snappy_raw_block(in.subspan(pos, static_cast<size_t>(len)), out, limit));
    pos += static_cast<size_t>(len);
  }
  return out;
}

result<void> lz4_compress(std::span<const std::byte> in, byte_buffer& out) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  size_t start = out.size();
  out.resize(start + LZ4F_compressFrameBound(in.size(), &prefs));
  size_t n =
      LZ4F_compressFrame(out.data() + start, out.size() - start, in.data(), in.size(), &prefs);
  if (LZ4F_isError(n)) {
    return make_error(errc::compression_failed, std::string("lz4: ") + LZ4F_getErrorName(n));
  }
  out.resize(start + n);
  return success();
}

result<byte_buffer> lz4_decompress(std::span<const std::byte> in, size_t limit) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
    return corrupt(codec::lz4, "cannot create context");
  }
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> guard(
      ctx, &LZ4F_freeDecompressionContext);
  byte_buffer out;
  size_t used = 0;
  size_t pos = 0;
  size_t hint = 1;  // 0 once a frame is complete
  while (true) {
    if (used == out.size() && !grow(out, used, limit)) return too_large(codec::lz4, limit);
    size_t dst = out.size() - used;
    size_t src = in.size() - pos;
    hint = LZ4F_decompress(ctx, out.data() + used, &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint)) return corrupt(codec::lz4, LZ4F_getErrorName(hint));
    used += dst;
    pos += src;
    // Done once the input is consumed and the decoder is not waiting for output space.
    if (pos == in.size() && (hint == 0 || used < out.size())) break;
    if (dst == 0 && src == 0) return corrupt(codec::lz4, "decoder made no progress");
  }
  if (hint != 0) return corrupt(codec::lz4, "frame ends early");
  out.resize(used);
  return out;
}

result<void> zstd_compress(std::span<const std::byte> in, byte_buffer& out) {
  size_t start = out.size();
  out.resize(start + ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress(out.data() + start, out.size() - start, in.data(), in.size(), 3);
  if (ZSTD_isError(n)) {
    return make_error(errc::compression_failed, std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  out.resize(start + n);
  return success();
}

result<byte_buffer> zstd_decompress(std::span<const std::byte> in, size_t limit) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  if (!ctx) return corrupt(codec::zstd, "cannot create context");
  byte_buffer out;
  size_t used = 0;
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  size_t hint = 1;  // 0 once a frame is complete
  while (true) {
    if (used == out.size() && !grow(out, used, limit)) return too_large(codec::zstd, limit);
    ZSTD_outBuffer output{out.data(), out.size(), used};
    size_t in_before = input.pos;
    hint = ZSTD_decompressStream(ctx.get(), &output, &input);
    if (ZSTD_isError(hint)) return corrupt(codec::zstd, ZSTD_getErrorName(hint));
    bool progressed = output.pos != used || input.pos != in_before;
    used = output.pos;
    // Done once the input is consumed and the decoder is not waiting for output space.
    if (input.pos == input.size && (hint == 0 || used < out.size())) break;
    if (!progressed) return corrupt(codec::zstd, "decoder made no progress");
  }
  if (hint != 0) return corrupt(codec::zstd, "frame ends early");
  out.resize(used);
  return out;
}

}  // namespace

std::string_view codec_name(codec c) noexcept {
  switch (c) {
    case codec::none: return "none";
    case codec::gzip: return "gzip";
    case codec::snappy: return "snappy";
    case codec::lz4: return "lz4";
    case codec::zstd: return "zstd";
  }
  return "unknown";
}

std::optional<codec> parse_codec(std::string_view name) noexcept {
  for (uint8_t id = 0; id <= max_codec_id; ++id) {
    if (codec_name(static_cast<codec>(id)) == name) return static_cast<codec>(id);
  }
  return std::nullopt;
}

result<void> compress(codec c, std::span<const std::byte> input, byte_buffer& out) {
  switch (c) {
    case codec::gzip: return gzip_compress(input, out);
    case codec::snappy: return snappy_compress(input, out);
    case codec::lz4: return lz4_compress(input, out);
    case codec::zstd: return zstd_compress(input, out);
    case codec::none: break;
  }
  return make_error(errc::unknown_codec,
                    "compress called with codec " + std::to_string(static_cast<int>(c)));
}

result<byte_buffer> decompress(codec c, std::span<const std::byte> input, size_t max_output) {
  switch (c) {
    case codec::gzip: return gzip_decompress(input, max_output);
    case codec::snappy: return snappy_decompress(input, max_output);
    case codec::lz4: return lz4_decompress(input, max_output);
    case codec::zstd: return zstd_decompress(input, max_output);
    case codec::none: break;
  }
  return make_error(errc::unknown_codec,
                    "decompress called with codec " + std::to_string(static_cast<int>(c)));
}

}  // namespace sluice::proto
