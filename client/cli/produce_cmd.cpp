#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>

#include "client/cli/commands.h"
#include "client/producer.h"

namespace sluice::cli {

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
  while (std::getline(std::cin, line)) {
    client::producer_record r;
    r.topic = a.topic;
    r.partition = a.partition;
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
