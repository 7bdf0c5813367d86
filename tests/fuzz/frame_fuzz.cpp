// libFuzzer target: one request frame as the broker reads it off a socket — length prefix,
// meta length, protobuf meta, and the data slices the meta names.
#include <google/protobuf/stubs/logging.h>
#include <cstddef>
#include <cstdint>
#include <span>

#include "proto/frame.h"
#include "sluice/v1/sluice.pb.h"

using namespace sluice;

// Protobuf logs every string field that is not UTF-8; the fuzzer sends a great many.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> in(reinterpret_cast<const std::byte*>(data), size);
  if (in.size() < proto::frame_length_bytes) return 0;
  auto length = proto::parse_frame_length(in.first<proto::frame_length_bytes>(), 1 << 20);
  if (!length) return 0;
  const auto body = in.subspan(proto::frame_length_bytes);
  if (body.size() < length.value()) return 0;
  auto parts = proto::split_frame(body.first(length.value()));
  if (!parts) return 0;
  v1::RequestMeta meta;
  if (!meta.ParseFromArray(parts.value().meta.data(), static_cast<int>(parts.value().meta.size())))
    return 0;
  if (meta.has_produce()) {
    for (const auto& t : meta.produce().topics()) {
      for (const auto& p : t.partitions())
        (void)proto::data_slice(parts.value().data, p.data_offset(), p.data_length());
    }
  }
  return 0;
}
