// fetch_probe: reads a filled topic from the start with the least client there can be, to
// separate the broker's fetch path from the client library's cost (bench/RESULTS.md). One
// blocking socket, one partition per fetch in turn, --in-flight fetches outstanding; checks every
// batch's CRC on the same thread and decodes no records. Prints MB/s of batch bytes and the
// process's CPU seconds.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "proto/batch_reader.h"
#include "proto/frame.h"
#include "sluice/v1/sluice.pb.h"

using namespace sluice;

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fetch_probe: %s\n", what.c_str());
  std::exit(1);
}

void read_exactly(int fd, std::byte* p, size_t n) {
  while (n > 0) {
    const ssize_t got = ::recv(fd, p, n, 0);
    if (got <= 0) fail(got == 0 ? "the broker closed the connection" : "recv failed");
    p += got;
    n -= static_cast<size_t>(got);
  }
}

int connect_to(const std::string& broker) {
  const auto colon = broker.rfind(':');
  if (colon == std::string::npos) fail("--broker must be HOST:PORT");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(broker.substr(colon + 1))));
  if (::inet_pton(AF_INET, broker.substr(0, colon).c_str(), &addr.sin_addr) != 1)
    fail("--broker needs an IPv4 address");
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("connect failed");
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  std::string broker = "127.0.0.1:9092";
  std::string topic;
  int partitions = 1;
  uint64_t want_bytes = 0;
  int in_flight = 2;
  uint32_t max_bytes = 1u << 20;
  CLI::App app{"fetch_probe: the broker's fetch path without the client library"};
  app.add_option("--broker", broker, "HOST:PORT");
  app.add_option("--topic", topic)->required();
  app.add_option("--partitions", partitions, "partitions 0..P-1, fetched in turn (1)")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--bytes", want_bytes, "stop after this many batch bytes")->required();
  auto* in_flight_option =
      app.add_option("--in-flight", in_flight,
                     "fetches outstanding, at most --partitions (2, or 1 partition: 1)")
          ->check(CLI::Range(1, 1 << 20));
  app.add_option("--max-bytes", max_bytes, "bytes per fetch (1 MiB, the consumer's default)");
  CLI11_PARSE(app, argc, argv);
  // A partition's next fetch starts where its last response ended, so it has one at a time.
  if (in_flight_option->count() == 0) in_flight = std::min(in_flight, partitions);
  if (in_flight > partitions) fail("--in-flight must not exceed --partitions");

  const int fd = connect_to(broker);
  std::vector<int64_t> next(static_cast<size_t>(partitions), 0);  // each partition's next offset
  uint64_t correlation = 0;
  int turn = 0;
  auto send_fetch = [&] {
    const int p = turn++ % partitions;
    v1::RequestMeta meta;
    auto* header = meta.mutable_header();
    header->set_api_key(v1::FETCH);
    header->set_api_version(1);
    header->set_correlation_id(++correlation);
    header->set_client_id("fetch_probe");
    auto* fetch = meta.mutable_fetch();
    fetch->set_min_bytes(1);
    fetch->set_max_bytes(max_bytes);
    auto* t = fetch->add_topics();
    t->set_name(topic);
    auto* part = t->add_partitions();
    part->set_partition(p);
    part->set_fetch_offset(next[static_cast<size_t>(p)]);
    part->set_max_bytes(max_bytes);
    const auto head = proto::encode_frame_head(meta, 0);
    if (::send(fd, head.data(), head.size(), 0) != static_cast<ssize_t>(head.size()))
      fail("send failed");
  };

  std::vector<std::byte> frame;
  uint64_t got = 0, responses = 0, batches = 0;
  int empty_in_a_row = 0;  // a round of empty responses: every partition read to its end
  const double cpu_before = cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < in_flight; ++i)
    send_fetch();
  while (got < want_bytes) {
    std::array<std::byte, proto::frame_header_bytes> header;
    read_exactly(fd, header.data(), header.size());
    auto length =
        proto::parse_frame_length(std::span(header).first<proto::frame_length_bytes>(), 64u << 20);
    if (!length) fail(length.error().message);
    frame.resize(length.value());
    std::copy(header.begin() + proto::frame_length_bytes, header.end(), frame.begin());
    constexpr size_t meta_length_bytes = proto::frame_header_bytes - proto::frame_length_bytes;
    if (length.value() < meta_length_bytes) fail("frame shorter than its header");
    read_exactly(fd, frame.data() + meta_length_bytes, length.value() - meta_length_bytes);
    auto parts = proto::split_frame(frame);
    if (!parts) fail(parts.error().message);
    v1::ResponseMeta meta;
    if (!meta.ParseFromArray(parts.value().meta.data(),
                             static_cast<int>(parts.value().meta.size())))
      fail("unreadable response meta");
    if (meta.header().error().code() != v1::NONE) fail(meta.header().error().message());
    for (const auto& t : meta.fetch().topics()) {
      for (const auto& p : t.partitions()) {
        if (p.error().code() != v1::NONE) fail(p.error().message());
        if (p.partition() < 0 || p.partition() >= partitions)
          fail("response for an unasked partition");
        auto& at = next[static_cast<size_t>(p.partition())];
        at = std::max(at, p.next_offset());
      }
    }
    proto::batch_iterator it(parts.value().data, {.verify_crc = true});
    while (true) {
      auto batch = it.next();
      if (!batch) fail(batch.error().message);
      if (!batch.value()) break;
      ++batches;
    }
    got += parts.value().data.size();
    ++responses;
    empty_in_a_row = parts.value().data.empty() ? empty_in_a_row + 1 : 0;
    if (empty_in_a_row >= partitions + in_flight) break;
    send_fetch();
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf(
      "{\"mb_per_s\": %.0f, \"bytes\": %llu, \"responses\": %llu, \"batches\": %llu, "
      "\"seconds\": %.3f, \"cpu_s\": %.3f}\n",
      static_cast<double>(got) / seconds / 1e6, static_cast<unsigned long long>(got),
      static_cast<unsigned long long>(responses), static_cast<unsigned long long>(batches), seconds,
      cpu_seconds() - cpu_before);
  ::close(fd);
}
