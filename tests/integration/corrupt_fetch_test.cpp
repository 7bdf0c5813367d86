// A batch whose bytes changed on the broker's disk after it was appended: the consumer hands out
// the records before it, reports the bad CRC on every poll until the application seeks past it,
// and never hands out a record from it or behind it before that.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "client/admin.h"
#include "integration/broker_fixture.h"

using namespace sluice;

namespace {

// Sends three records to `topic`-0 as one batch.
void send_batch(client::producer& producer, const std::string& topic, int first) {
  for (int i = first; i < first + 3; ++i) {
    REQUIRE(producer.send({.topic = topic, .partition = 0, .value = "v" + std::to_string(i)},
                          [](const auto&) {}));
  }
  producer.flush();
  REQUIRE(producer.failed() == 0);
}

}  // namespace

TEST_CASE("a corrupt batch on disk stops the consumer until it seeks past it",
          "[integration][consumer]") {
  test::broker_fixture f;
  REQUIRE(client::admin(f.client()).create_topic("c", 1));
  const auto segment = f.dir / "data" / "c-0" / "00000000000000000000.log";
  client::producer producer(f.producer_config());
  send_batch(producer, "c", 0);
  send_batch(producer, "c", 3);
  const auto second_batch_end = std::filesystem::file_size(segment);
  send_batch(producer, "c", 6);
  {
    // The second batch's last byte, a record's value: the broker serves it as it is.
    std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(static_cast<std::streamoff>(second_batch_end - 1));
    char c = 0;
    file.get(c);
    file.seekp(static_cast<std::streamoff>(second_batch_end - 1));
    file.put(static_cast<char>(c ^ 0x5a));
  }

  client::consumer consumer(f.consumer_config());
  const client::topic_partition tp{"c", 0};
  REQUIRE(consumer.assign({tp}));
  std::vector<int64_t> offsets;
  int errors = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (errors < 3 && std::chrono::steady_clock::now() < deadline) {
    auto records = consumer.poll(std::chrono::milliseconds(200));
    if (!records) {
      CHECK_THAT(records.error().message, Catch::Contains("c-0") && Catch::Contains("CRC"));
      ++errors;
      continue;
    }
    for (const auto& r : records.value())
      offsets.push_back(r.offset);
  }
  CHECK(errors == 3);  // fetched again and reported again, not skipped
  CHECK(offsets == std::vector<int64_t>{0, 1, 2});
  CHECK(consumer.position(tp) == 3);

  REQUIRE(consumer.seek(tp, 6));
  while (offsets.size() < 6 && std::chrono::steady_clock::now() < deadline) {
    auto records = consumer.poll(std::chrono::milliseconds(200));
    REQUIRE(records);
    for (const auto& r : records.value())
      offsets.push_back(r.offset);
  }
  CHECK(offsets == std::vector<int64_t>{0, 1, 2, 6, 7, 8});
}
