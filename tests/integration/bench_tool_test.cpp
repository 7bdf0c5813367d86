// sluice-bench against a real broker: it sends and reads what it says, and reports it as JSON.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "client/admin.h"
#include "integration/broker_fixture.h"
#include "support/process.h"

using namespace sluice;

namespace {

nlohmann::json bench(const test::broker_fixture& f, std::vector<std::string> args) {
  args.insert(args.begin(), test::sluice_bench_path());
  args.insert(args.end(), {"--broker", f.broker->address(), "--json"});
  auto r = test::run_process(args);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

}  // namespace

TEST_CASE("sluice-bench produces and consumes what it reports", "[integration][bench]") {
  test::broker_fixture f;
  auto produced = bench(
      f, {"produce", "--topic", "b", "--records", "3000", "--record-size", "200", "--partitions",
          "3", "--producers", "2", "--keys", "50", "--acks", "all", "--compression", "lz4"});
  CHECK(produced["mode"] == "produce");
  CHECK(produced["records"] == 3000);
  CHECK(produced["failed"] == 0);
  CHECK(produced["bytes"] == 3000 * 200);
  CHECK(produced["records_per_s"].get<double>() > 0);
  CHECK(produced["p50_ms"].get<double>() <= produced["p99_ms"].get<double>());
  CHECK(produced["p99_ms"].get<double>() <= produced["max_ms"].get<double>());

  client::admin admin(f.client());
  auto topic = admin.describe_topic("b");
  REQUIRE(topic);
  int64_t held = 0;
  for (const auto& p : topic.value().partitions)
    held += p.high_watermark;
  CHECK(held == 3000);

  auto assigned = bench(f, {"consume", "--topic", "b", "--consumers", "2"});
  CHECK(assigned["records"] == 3000);
  CHECK(assigned["failed"] == 0);
  auto grouped = bench(f, {"consume", "--topic", "b", "--group", "readers"});
  CHECK(grouped["records"] == 3000);
  auto copied = bench(f, {"consume", "--topic", "b", "--copy"});
  CHECK(copied["records"] == 3000);
  CHECK(copied["bytes"] == assigned["bytes"]);

  auto paced = bench(f, {"produce", "--topic", "b", "--records", "200", "--rate", "1000"});
  CHECK(paced["records"] == 200);
  CHECK(paced["seconds"].get<double>() >= 0.19);  // 200 records at 1000/s take 0.2 s
  CHECK(paced["latency_of"] == "intended send to ack");

  // e2e: every record sent at the fixed rate is consumed, and latency is measured per record.
  auto e2e = bench(f, {"e2e", "--topic", "lat", "--rate", "2000", "--seconds", "0.5"});
  CHECK(e2e["mode"] == "e2e");
  CHECK(e2e["records"] == 1000);
  CHECK(e2e["failed"] == 0);
  CHECK(e2e["p50_ms"].get<double>() > 0);
  CHECK(e2e["latency_of"] == "intended send to consume");

  auto bad = test::run_process({test::sluice_bench_path(), "--broker", f.broker->address(),
                                "produce", "--topic", "b", "--acks", "2"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("--acks is 0, 1 or all") != std::string::npos);
}

TEST_CASE("fetch_probe reads every batch of a topic once and stops at its end",
          "[integration][bench]") {
  test::broker_fixture f;
  auto produced = bench(f, {"produce", "--topic", "p", "--records", "4000", "--record-size", "500",
                            "--partitions", "3", "--batch-bytes", "16384"});
  REQUIRE(produced["failed"] == 0);

  // Asked for more than the topic holds, it stops after a round of empty fetches; two fetches
  // in flight must not read a partition's batches twice.
  auto r = test::run_process({test::fetch_probe_path(), "--broker", f.broker->address(), "--topic",
                              "p", "--partitions", "3", "--in-flight", "2", "--max-bytes", "65536",
                              "--bytes", "1000000000"});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  auto probe = nlohmann::json::parse(r.out);
  // Each batch holds at most 16 KiB of 500-byte values, so there are at least 4000 / 32 of them.
  CHECK(probe["batches"].get<int>() >= 4000 / 32);
  CHECK(probe["bytes"].get<uint64_t>() > 4000u * 500u);
  CHECK(probe["bytes"].get<uint64_t>() < 4000u * 600u);  // once, not twice
  CHECK(probe["mb_per_s"].get<double>() > 0);

  auto too_many =
      test::run_process({test::fetch_probe_path(), "--broker", f.broker->address(), "--topic", "p",
                         "--partitions", "2", "--in-flight", "3", "--bytes", "1"});
  CHECK(too_many.exit_code != 0);
  CHECK(too_many.err.find("--in-flight must not exceed --partitions") != std::string::npos);

  auto missing = test::run_process({test::fetch_probe_path(), "--broker", f.broker->address(),
                                    "--topic", "nope", "--bytes", "1"});
  CHECK(missing.exit_code != 0);
  CHECK(missing.err.find("nope") != std::string::npos);
}
