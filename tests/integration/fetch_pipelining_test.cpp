// A consumer that is behind sends its next fetch as soon as the meta of a fetch response has
// arrived, ahead of that response's data, from the offsets the meta names. A relay between the
// consumer and the broker passes the meta of the first fetch response with data and holds its
// data back until the consumer's next fetch has gone by.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "client/admin.h"
#include "integration/broker_fixture.h"
#include "sluice/v1/sluice.pb.h"

using namespace sluice;

namespace {

bool read_exact(int fd, std::byte* out, size_t n) {
  while (n > 0) {
    const ssize_t got = ::recv(fd, out, n, 0);
    if (got <= 0) return false;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool write_all(int fd, const std::byte* in, size_t n) {
  while (n > 0) {
    const ssize_t put = ::send(fd, in, n, MSG_NOSIGNAL);
    if (put <= 0) return false;
    in += put;
    n -= static_cast<size_t>(put);
  }
  return true;
}

uint32_t big_endian_u32(const std::byte* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

// One frame off `fd`: its 8-byte header and meta (`head`), and the length of the data after them.
bool read_head(int fd, std::vector<std::byte>& head, size_t& data_bytes) {
  head.resize(8);
  if (!read_exact(fd, head.data(), 8)) return false;
  const uint32_t frame = big_endian_u32(head.data());
  const uint32_t meta = big_endian_u32(head.data() + 4);
  if (frame < 4 || meta > frame - 4) return false;
  head.resize(8 + meta);
  data_bytes = frame - 4 - meta;
  return read_exact(fd, head.data() + 8, meta);
}

bool copy_bytes(int from, int to, size_t n) {
  std::vector<std::byte> buf(64 * 1024);
  while (n > 0) {
    const size_t step = std::min(n, buf.size());
    if (!read_exact(from, buf.data(), step) || !write_all(to, buf.data(), step)) return false;
    n -= step;
  }
  return true;
}

// Relays one client connection to the broker at `broker_port`, frame by frame.
class holding_relay {
 public:
  explicit holding_relay(uint16_t broker_port) : broker_port_(broker_port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listener_, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accepter_ = std::thread([this] { accept_one(); });
  }
  ~holding_relay() {
    ::shutdown(listener_, SHUT_RDWR);
    accepter_.join();
    for (int fd : {client_, broker_})
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    for (auto* t : {&upstream_, &downstream_})
      if (t->joinable()) t->join();
    for (int fd : {listener_, client_, broker_})
      if (fd >= 0) ::close(fd);
  }

  [[nodiscard]] uint16_t port() const { return port_; }

  struct findings {
    bool held = false;         // a fetch response with data was held back
    int64_t next_offset = -1;  // what its meta said the next fetch starts at
    bool next_fetch_while_held = false;
    int64_t next_fetch_offset = -1;  // where that next fetch started
  };
  findings result() {
    std::lock_guard lock(mu_);
    return found_;
  }
  std::vector<int64_t> fetch_offsets() {
    std::lock_guard lock(mu_);
    return fetch_offsets_;
  }

 private:
  void accept_one() {
    client_ = ::accept(listener_, nullptr, nullptr);
    if (client_ < 0) return;
    broker_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(broker_port_);
    if (::connect(broker_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return;
    upstream_ = std::thread([this] { relay_requests(); });
    downstream_ = std::thread([this] { relay_responses(); });
  }

  void relay_requests() {
    std::vector<std::byte> head;
    size_t data_bytes = 0;
    while (read_head(client_, head, data_bytes)) {
      v1::RequestMeta meta;
      meta.ParseFromArray(head.data() + 8, static_cast<int>(head.size() - 8));
      if (meta.has_fetch()) {
        std::lock_guard lock(mu_);
        fetch_offsets_.push_back(meta.fetch().topics(0).partitions(0).fetch_offset());
        seen_.notify_all();
      }
      if (!write_all(broker_, head.data(), head.size()) ||
          !copy_bytes(client_, broker_, data_bytes)) {
        break;
      }
    }
    ::shutdown(broker_, SHUT_RDWR);
  }

  void relay_responses() {
    std::vector<std::byte> head;
    size_t data_bytes = 0;
    while (read_head(broker_, head, data_bytes)) {
      v1::ResponseMeta meta;
      meta.ParseFromArray(head.data() + 8, static_cast<int>(head.size() - 8));
      std::optional<size_t> hold_at;  // fetches seen before this meta went on
      if (meta.has_fetch() && data_bytes > 0) hold_at = start_holding(meta);
      if (!write_all(client_, head.data(), head.size())) break;
      if (hold_at) wait_for_fetch_after(*hold_at);
      if (!copy_bytes(broker_, client_, data_bytes)) break;
    }
    ::shutdown(client_, SHUT_RDWR);
  }

  // Marks the first fetch response with data as held; nullopt for any later one.
  std::optional<size_t> start_holding(const v1::ResponseMeta& meta) {
    std::lock_guard lock(mu_);
    if (found_.held) return std::nullopt;
    found_.held = true;
    found_.next_offset = meta.fetch().topics(0).partitions(0).next_offset();
    return fetch_offsets_.size();
  }

  // Keeps the held data back until the client sends another fetch (or 10 s pass).
  void wait_for_fetch_after(size_t seen) {
    std::unique_lock lock(mu_);
    found_.next_fetch_while_held = seen_.wait_for(lock, std::chrono::seconds(10),
                                                  [&] { return fetch_offsets_.size() > seen; });
    if (found_.next_fetch_while_held) found_.next_fetch_offset = fetch_offsets_[seen];
  }

  uint16_t broker_port_;
  uint16_t port_ = 0;
  int listener_ = -1;
  int client_ = -1;
  int broker_ = -1;
  std::thread accepter_, upstream_, downstream_;
  std::mutex mu_;
  std::condition_variable seen_;
  std::vector<int64_t> fetch_offsets_;
  findings found_;
};

}  // namespace

TEST_CASE("a consumer behind the log sends its next fetch before the last one's data arrives",
          "[integration][consumer]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("ahead", 1));
  {
    auto pc = f.producer_config();
    pc.batch_size = 16 * 1024;
    client::producer producer(pc);
    for (int i = 0; i < 1000; ++i)
      REQUIRE(producer.send({.topic = "ahead", .partition = 0, .value = std::string(1000, 'x')},
                            [](const auto&) {}));
    producer.flush();
    REQUIRE(producer.failed() == 0);
  }

  holding_relay relay(f.broker->port());
  auto cc = f.consumer_config();
  cc.broker = "127.0.0.1:" + std::to_string(relay.port());
  cc.max_partition_fetch_bytes = 32 * 1024;  // many fetches, each leaving records behind
  client::consumer consumer(cc);
  REQUIRE(consumer.assign({{"ahead", 0}}));
  std::vector<int64_t> offsets;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (offsets.size() < 1000 && std::chrono::steady_clock::now() < deadline) {
    auto records = consumer.poll(std::chrono::milliseconds(200));
    REQUIRE(records);
    for (const auto& r : records.value())
      offsets.push_back(r.offset);
  }

  const auto found = relay.result();
  REQUIRE(found.held);
  CHECK(found.next_offset > 0);
  CHECK(found.next_fetch_while_held);
  CHECK(found.next_fetch_offset == found.next_offset);
  // No fetch ahead was wasted: while records remained, no offset was fetched twice.
  const auto fetched = relay.fetch_offsets();
  for (size_t i = 1; i < fetched.size(); ++i) {
    INFO("fetch " << i << " from " << fetched[i] << ", the one before from " << fetched[i - 1]);
    CHECK((fetched[i] > fetched[i - 1] || fetched[i] == 1000));
  }
  // Fetched ahead or not, every record arrives once, in order.
  REQUIRE(offsets.size() == 1000);
  for (size_t i = 0; i < offsets.size(); ++i)
    REQUIRE(offsets[i] == static_cast<int64_t>(i));
}
