#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "client/cli/commands.h"
#include "client/cli/time_arg.h"
#include "client/errors.h"
#include "client/producer.h"

namespace sluice::cli {
namespace {

// Parses the event time that starts `line` up to `separator` and removes both from it.
result<int64_t> split_timestamp(std::string& line, const std::string& separator) {
  const size_t at = line.find(separator);
  if (at == std::string::npos) {
    return make_error(client::errc::invalid_argument,
                      "no timestamp separator '" + separator + "' in the line");
  }
  SLUICE_TRY(ts, parse_time(line.substr(0, at)));
  line.erase(0, at + separator.size());
  return ts;
}

}  // namespace

int produce(const client::client_config& c, const produce_args& a) {
  client::producer_config pc;
  static_cast<client::client_config&>(pc) = c;
  auto acks = client::parse_acks(a.acks);
  if (!acks) return fail("produce", "--acks is 0, 1 or all, not '" + a.acks + "'");
  pc.acks = *acks;
  auto codec = proto::parse_codec(a.compression);
  if (!codec) {
    return fail("produce",
                "--compression is none, gzip, snappy, lz4 or zstd, not '" + a.compression + "'");
  }
  pc.compression = *codec;

  client::producer producer(pc);
  std::atomic<uint64_t> failed{0};
  std::mutex m;
  std::string first_error;
  uint64_t sent = 0;
  std::string line;
  uint64_t line_number = 0;
  while (std::getline(std::cin, line)) {
    ++line_number;
    client::producer_record r;
    r.topic = a.topic;
    r.partition = a.partition;
    if (a.timestamp_separator) {
      auto stamped = split_timestamp(line, *a.timestamp_separator);
      if (!stamped) {
        producer.close();
        return fail("produce", "line " + std::to_string(line_number) + ": " +
                                   stamped.error().message + " (" + std::to_string(sent) +
                                   " records were queued before it)");
      }
      r.timestamp = stamped.value();
    }
    size_t at = a.key_separator ? line.find(*a.key_separator) : std::string::npos;
    if (at != std::string::npos) {
      r.key = line.substr(0, at);
      r.value = line.substr(at + a.key_separator->size());
    } else {
      r.value = std::move(line);
    }
    auto queued = producer.send(std::move(r), [&](const result<client::record_metadata>& res) {
      if (res) return;
      ++failed;
      std::lock_guard lock(m);
      if (first_error.empty()) first_error = res.error().message;
    });
    if (!queued) {
      producer.close();
      return fail("produce", queued.error().message + " (" + std::to_string(sent) +
                                 " records were queued before it)");
    }
    ++sent;
  }
  producer.close();
  if (failed > 0) {
    return fail("produce", std::to_string(failed.load()) + " of " + std::to_string(sent) +
                               " records were not acknowledged; first error: " + first_error);
  }
  return 0;
}

}  // namespace sluice::cli
