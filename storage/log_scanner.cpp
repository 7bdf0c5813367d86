#include "storage/log_scanner.h"

#include <algorithm>

#include "proto/errc.h"

namespace sluice::storage {

log_scanner::log_scanner(file& log, uint64_t start, uint64_t end, size_t buffer_bytes,
                         proto::reader_limits limits)
    : log_(log), pos_(start), end_(end), buffer_bytes_(buffer_bytes), limits_(limits) {}

std::span<const std::byte> log_scanner::buffered() const {
  uint64_t skip = pos_ - buffer_pos_;
  return std::span<const std::byte>(buffer_).subspan(skip, buffer_len_ - skip);
}

result<bool> log_scanner::fill(size_t n) {
  if (pos_ >= buffer_pos_ && pos_ + n <= buffer_pos_ + buffer_len_) return true;
  if (end_ - pos_ < n) return false;
  size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(n, buffer_bytes_), end_ - pos_));
  if (buffer_.size() < want) buffer_.resize(want);
  SLUICE_TRY(got, log_.read_at(std::span<std::byte>(buffer_).first(want), pos_));
  buffer_pos_ = pos_;
  buffer_len_ = got;
  return got >= n;
}

result<std::optional<batch_location>> log_scanner::next_header() {
  if (pos_ >= end_) return std::optional<batch_location>{};
  SLUICE_TRY(complete, fill(proto::batch_layout::header_size));
  if (!complete) {
    return make_error(proto::errc::truncated,
                      "batch header at byte " + std::to_string(pos_) + " is cut short");
  }
  auto header = proto::parse_batch_header(buffered());
  if (!header) {
    error e = header.error();
    e.message = "batch at byte " + std::to_string(pos_) + ": " + e.message;
    return e;
  }
  if (header.value().total_size() > limits_.max_batch_bytes) {
    return make_error(proto::errc::too_large, "batch at byte " + std::to_string(pos_) + " claims " +
                                                  std::to_string(header.value().total_size()) +
                                                  " bytes");
  }
  if (header.value().total_size() > end_ - pos_) {
    return make_error(proto::errc::truncated,
                      "batch at byte " + std::to_string(pos_) + " runs past the end of the log");
  }
  batch_location loc{pos_, header.value()};
  pos_ += header.value().total_size();
  return std::optional<batch_location>{loc};
}

result<std::optional<proto::batch_view>> log_scanner::next_batch() {
  uint64_t start = pos_;
  SLUICE_TRY(loc, next_header());
  if (!loc) return std::optional<proto::batch_view>{};
  pos_ = start;
  SLUICE_TRY(complete, fill(loc->header.total_size()));
  if (!complete) {
    return make_error(proto::errc::truncated,
                      "batch at byte " + std::to_string(pos_) + " runs past the end of the log");
  }
  proto::batch_iterator it(buffered().first(loc->header.total_size()), limits_);
  auto batch = it.next();
  if (!batch) {
    error e = batch.error();
    e.message = "at file byte " + std::to_string(pos_) + ": " + e.message;
    return e;
  }
  pos_ += loc->header.total_size();
  return batch.value();
}

}  // namespace sluice::storage
