// EIO from the disk, injected into a running sluiced (test.fault.injection, SIGUSR2): first on
// every fsync, then on every write too. The broker refuses the produce with a clear error,
// acknowledges nothing it did not make durable (a failed fsync is not retried as if it had
// succeeded: what it covered is cut off), and keeps serving reads and commits. A partition whose
// cut-off could not be synced stays failed until a restart recovers it from disk, as Kafka takes
// a log directory offline after an I/O error.
#include <catch2/catch.hpp>
#include <csignal>

#include "client/admin.h"
#include "client/consumer.h"
#include "fault/produce_check.h"
#include "support/broker_process.h"
#include "support/temp_dir.h"

using namespace sluice;
using namespace sluice::fault;

namespace {

// Steps the broker's fault mode (broker/fault_signals.h) and waits until it logs `line`.
void step_faults(test::broker_process& broker, const std::string& line) {
  broker.signal(SIGUSR2);
  REQUIRE(broker.wait_for_log(line));
}

}  // namespace

TEST_CASE("EIO on fsync and on write: refused, never acknowledged, reads and commits go on",
          "[fault][eio]") {
  test::temp_dir dir;
  test::broker_process broker(dir / "data",
                              {"log.flush.policy=always", "test.fault.injection=true"});
  const auto [pc, ccfg] = clients_for(broker.address());
  REQUIRE(client::admin(pc).create_topic("eio", 1));

  outcome sent;
  auto send = [&](int first, int count) {
    client::producer p(pc);
    auto o = produce(p, "eio", first, count);
    sent.add(o);
    return o;
  };
  REQUIRE(send(0, 100).acked.size() == 100);

  step_faults(broker, "every fsync now fails with EIO");
  auto on_fsync = send(1000, 20);
  CHECK(on_fsync.acked.empty());
  CHECK_THAT(on_fsync.first_failure, Catch::Contains("KAFKA_STORAGE_ERROR"));
  CHECK_THAT(on_fsync.first_failure, Catch::Contains("fsync failed"));
  check_log(read_all(ccfg, "eio"), sent);
  {
    client::consumer c(ccfg);
    REQUIRE(c.assign({{"eio", 0}}));
    REQUIRE(c.commit_sync({{{"eio", 0}, 100}}));
    CHECK(c.committed({"eio", 0}).value() == std::optional<int64_t>(100));
  }

  step_faults(broker, "every write and fsync now fails with EIO");
  auto on_write = send(2000, 20);
  CHECK(on_write.acked.empty());
  CHECK_THAT(on_write.first_failure, Catch::Contains("KAFKA_STORAGE_ERROR"));
  CHECK_THAT(on_write.first_failure, Catch::Contains("Input/output error"));
  check_log(read_all(ccfg, "eio"), sent);

  // The fsync failures left the partition failed: cutting off what they covered could not be
  // made durable either. It refuses writes, saying so, until a restart recovers it from disk.
  step_faults(broker, "writes and fsyncs work again");
  auto failed_log = send(3000, 20);
  CHECK(failed_log.acked.empty());
  CHECK_THAT(failed_log.first_failure, Catch::Contains("restart the broker to recover"));
  check_log(read_all(ccfg, "eio"), sent);

  broker.restart();
  CHECK(send(4000, 100).acked.size() == 100);
  const auto log = read_all(ccfg, "eio");
  check_log(log, sent);
  CHECK(log.size() == 200);  // nothing refused came back
  {
    client::consumer c(ccfg);
    CHECK(c.committed({"eio", 0}).value() == std::optional<int64_t>(100));
  }
}
