#include "storage/log_manager.h"

#include <catch2/catch.hpp>

#include "storage/errc.h"
#include "storage/fault_injection.h"
#include "support/log_helpers.h"
#include "support/temp_dir.h"

using namespace sluice;
using storage::log_manager;

namespace {

storage::log_manager_options options_for(const test::temp_dir& dir,
                                         storage::filesystem* fs = nullptr) {
  storage::log_manager_options o;
  o.data_dir = dir.path();
  o.maintenance_interval = std::chrono::milliseconds(0);
  o.fs = fs;
  return o;
}

void produce(log_manager& m, const std::string& topic, int32_t p, int batches) {
  auto log = m.partition(topic, partition_id{p}).value();
  for (int i = 0; i < batches; ++i) {
    auto b = test::make_batch({"value-" + std::to_string(i) + std::string(100, 'x')});
    REQUIRE(log->append(b));
  }
}

}  // namespace

TEST_CASE("topics are created, listed, described and deleted", "[storage][manager]") {
  test::temp_dir dir;
  auto m = log_manager::open(options_for(dir)).value();
  auto created = m->create_topic("orders", 3, {{"retention.ms", "60000"}});
  REQUIRE(created);
  CHECK(created.value().partitions == 3);
  CHECK(created.value().config.retention_ms == 60000);
  REQUIRE(m->create_topic("events", 1));
  CHECK(std::filesystem::is_directory(dir / "orders-2"));
  CHECK(std::filesystem::exists(dir / "topics/orders.properties"));

  auto topics = m->list_topics();
  REQUIRE(topics.size() == 2);
  CHECK(topics[0].name == "events");
  CHECK(m->describe_topic("orders").value().overrides.at("retention.ms") == "60000");

  REQUIRE(m->delete_topic("orders"));
  CHECK_FALSE(std::filesystem::exists(dir / "orders-0"));
  CHECK(m->describe_topic("orders").error().code == storage::errc::unknown_topic);
  CHECK(m->list_topics().size() == 1);
}

TEST_CASE("bad topic requests are refused with what is wrong", "[storage][manager]") {
  test::temp_dir dir;
  auto m = log_manager::open(options_for(dir)).value();
  CHECK(m->create_topic("bad/name", 1).error().code == storage::errc::invalid_topic_name);
  auto zero = m->create_topic("t", 0);
  CHECK(zero.error().code == storage::errc::invalid_partitions);
  CHECK(zero.error().message.find("partition count 0") != std::string::npos);
  auto config = m->create_topic("t", 1, {{"segment.bytes", "12"}});
  CHECK(config.error().code == storage::errc::invalid_config);
  CHECK(config.error().message.find("segment.bytes") != std::string::npos);
  REQUIRE(m->create_topic("t", 1));
  CHECK(m->create_topic("t", 1).error().code == storage::errc::topic_exists);
  CHECK(m->delete_topic("nope").error().code == storage::errc::unknown_topic);
  auto p = m->partition("t", partition_id{1});
  CHECK(p.error().code == storage::errc::unknown_partition);
  CHECK(p.error().message.find("has no partition 1") != std::string::npos);
}

TEST_CASE("topics, configs and data survive a restart", "[storage][manager]") {
  test::temp_dir dir;
  {
    auto m = log_manager::open(options_for(dir)).value();
    REQUIRE(m->create_topic("keep", 2, {{"cleanup.policy", "compact"}}));
    produce(*m, "keep", 1, 10);
    REQUIRE(m->close());
  }
  auto m = log_manager::open(options_for(dir)).value();
  CHECK(m->report().clean);
  auto d = m->describe_topic("keep").value();
  CHECK(d.partitions == 2);
  CHECK(d.config.cleanup_compact);
  CHECK(m->partition("keep", partition_id{1}).value()->log_end() == offset{10});
  CHECK(m->partition("keep", partition_id{0}).value()->log_end() == offset{0});
}

TEST_CASE("after a clean shutdown no partition is scanned", "[storage][manager][recovery]") {
  test::temp_dir dir;
  {
    auto o = options_for(dir);
    o.defaults.segment_bytes = 64 * 1024;
    auto m = log_manager::open(o).value();
    REQUIRE(m->create_topic("big", 1));
    produce(*m, "big", 0, 3000);  // ~400 KiB over several segments
    REQUIRE(m->close());
  }
  uint64_t log_bytes = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "big-0")) {
    if (e.path().extension() == ".log") log_bytes += e.file_size();
  }
  storage::fault_injecting_filesystem counting;
  auto m = log_manager::open(options_for(dir, &counting)).value();
  CHECK(m->report().clean);
  CHECK(m->report().batches_scanned == 0);
  CHECK(m->partition("big", partition_id{0}).value()->log_end() == offset{3000});
  // Only the tail after the last index entry of the active segment is read.
  CHECK(counting.bytes_read(".log") < 64 * 1024);
  CHECK(counting.bytes_read(".log") * 10 < log_bytes);
}

TEST_CASE("after an unclean shutdown the active segments are checked",
          "[storage][manager][recovery]") {
  test::temp_dir dir;
  {
    auto m = log_manager::open(options_for(dir)).value();
    REQUIRE(m->create_topic("t", 1));
    produce(*m, "t", 0, 50);
    REQUIRE(m->close());
  }
  std::filesystem::remove(dir / ".clean_shutdown");  // as if the broker had been killed
  auto m = log_manager::open(options_for(dir)).value();
  CHECK_FALSE(m->report().clean);
  CHECK(m->report().batches_scanned == 50);
  CHECK(m->partition("t", partition_id{0}).value()->log_end() == offset{50});
}

TEST_CASE("a data directory is used by one log manager at a time", "[storage][manager]") {
  test::temp_dir dir;
  auto m = log_manager::open(options_for(dir)).value();
  auto second = log_manager::open(options_for(dir));
  REQUIRE_FALSE(second);
  CHECK(second.error().code == storage::errc::data_dir_locked);
}

TEST_CASE("partition directories of deleted topics are removed on start", "[storage][manager]") {
  test::temp_dir dir;
  {
    auto m = log_manager::open(options_for(dir)).value();
    REQUIRE(m->create_topic("t", 1));
    REQUIRE(m->close());
  }
  std::filesystem::create_directories(dir / "ghost-0");  // a deletion cut short
  auto m = log_manager::open(options_for(dir)).value();
  CHECK_FALSE(std::filesystem::exists(dir / "ghost-0"));
  CHECK(std::filesystem::exists(dir / "t-0"));
}

TEST_CASE("maintenance applies retention and compaction", "[storage][manager]") {
  test::temp_dir dir;
  auto o = options_for(dir);
  o.defaults.segment_bytes = 1024;
  auto m = log_manager::open(o).value();
  REQUIRE(m->create_topic("old", 1, {{"retention.ms", "1000"}}));
  REQUIRE(m->create_topic("table", 1, {{"cleanup.policy", "compact"}}));
  auto old = m->partition("old", partition_id{0}).value();
  auto table = m->partition("table", partition_id{0}).value();
  for (int i = 0; i < 30; ++i) {
    auto a = test::make_batch({std::string(100, 'x')}, 1000);
    REQUIRE(old->append(a));
    auto b = test::make_keyed_batch({{"k", std::string(100, 'y')}}, 1000);
    REQUIRE(table->append(b));
  }
  size_t table_records = test::read_all(*table).size();
  // A pass may come before the flusher has sealed the rolled segments (only sealed ones are
  // compacted); a pass after they are sealed must still compact them.
  REQUIRE(m->run_maintenance(100'000));
  REQUIRE(table->flush());
  REQUIRE(m->run_maintenance(100'000));
  CHECK(old->log_start() == offset{30});
  CHECK(test::read_all(*table).size() < table_records);
}

TEST_CASE("a topic grows to more partitions and keeps them after a restart", "[storage][manager]") {
  test::temp_dir dir;
  {
    auto m = log_manager::open(options_for(dir)).value();
    REQUIRE(m->create_topic("grow", 2));
    produce(*m, "grow", 1, 3);
    auto grown = m->add_partitions("grow", 5);
    REQUIRE(grown);
    CHECK(grown.value().partitions == 5);
    CHECK(m->partition("grow", partition_id{4}));
    auto shrink = m->add_partitions("grow", 3);
    REQUIRE_FALSE(shrink);
    CHECK(shrink.error().code == storage::errc::invalid_partitions);
    REQUIRE(m->close());
  }
  auto m = log_manager::open(options_for(dir)).value();
  CHECK(m->describe_topic("grow").value().partitions == 5);
  CHECK(m->partition("grow", partition_id{1}).value()->log_end() == offset{3});
}
