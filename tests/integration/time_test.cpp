// Event time: offsets by timestamp, and export of a bounded window [from, to).
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "client/admin.h"
#include "client/cli/time_arg.h"
#include "integration/broker_fixture.h"
#include "support/process.h"

using namespace sluice;

namespace {

constexpr int64_t t0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

// 3 partitions x 40 records; record i of partition p has timestamp t0 + i * 1000, except every
// seventh, which arrives late by 15 s.
void produce_timed(test::broker_fixture& f) {
  client::admin admin(f.client());
  REQUIRE(admin.create_topic("events", 3));
  client::producer producer(f.producer_config());
  for (int32_t p = 0; p < 3; ++p) {
    for (int i = 0; i < 40; ++i) {
      int64_t ts = t0 + i * 1000 - (i % 7 == 6 ? 15'000 : 0);
      REQUIRE(producer.send({.topic = "events",
                             .partition = p,
                             .key = "p" + std::to_string(p) + "-" + std::to_string(i),
                             .value = "v" + std::to_string(i),
                             .timestamp = ts},
                            [](const auto& r) { REQUIRE(r); }));
    }
  }
  producer.flush();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("time arguments parse as ISO 8601 or epoch milliseconds", "[integration][time]") {
  CHECK(cli::parse_time("1767225600000").value() == t0);
  CHECK(cli::parse_time("2026-01-01").value() == t0);
  CHECK(cli::parse_time("2026-01-01T00:00:00Z").value() == t0);
  CHECK(cli::parse_time("2026-01-01T01:00:00+01:00").value() == t0);
  CHECK(cli::parse_time("2026-01-01T00:00:01.5Z").value() == t0 + 1500);
  CHECK(cli::format_time(t0 + 1500) == "2026-01-01T00:00:01.500Z");
  auto bad = cli::parse_time("yesterday");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("ISO 8601") != std::string::npos);
}

TEST_CASE("offsets by time are the first offset at or after the time", "[integration][time]") {
  test::broker_fixture f;
  produce_timed(f);
  client::admin admin(f.client());
  for (int64_t at : {t0 - 100'000, t0, t0 + 500, t0 + 10'000, t0 + 39'000, t0 + 40'000}) {
    auto offsets = admin.list_offsets("events", client::offset_spec::timestamp, at);
    REQUIRE(offsets);
    for (const auto& p : offsets.value()) {
      // First i with timestamp >= at.
      int64_t expected = -1;
      for (int i = 0; i < 40; ++i) {
        int64_t ts = t0 + i * 1000 - (i % 7 == 6 ? 15'000 : 0);
        if (ts >= at) {
          expected = i;
          break;
        }
      }
      INFO("at " << at << " partition " << p.partition);
      CHECK(p.offset == expected);
    }
  }
  // The CLI prints the same, one partition per line.
  auto out = test::run_process({test::sluice_cli_path(), "--broker", f.broker->address(), "offsets",
                                "events", "--time", "2026-01-01T00:00:10Z"});
  CHECK(out.exit_code == 0);
  CHECK(out.out == "0\t10\n1\t10\n2\t10\n");
}

TEST_CASE("export cuts the half-open window from..to and repeats byte for byte",
          "[integration][time]") {
  test::broker_fixture f;
  produce_timed(f);
  const std::string from = "2026-01-01T00:00:05Z", to = "2026-01-01T00:00:20Z";
  auto run = [&](const std::string& format, const std::string& out) {
    return test::run_process({test::sluice_cli_path(), "--broker", f.broker->address(), "export",
                              "events", "--from", from, "--to", to, "--format", format, "--out",
                              out});
  };
  const auto a = (f.dir / "a.jsonl").string(), b = (f.dir / "b.jsonl").string();
  REQUIRE(run("jsonl", a).exit_code == 0);
  REQUIRE(run("jsonl", b).exit_code == 0);
  const std::string first = slurp(a);
  CHECK(first == slurp(b));

  // Exactly the records whose timestamps are in the window, by partition then offset.
  std::string expected;
  for (int32_t p = 0; p < 3; ++p) {
    for (int i = 0; i < 40; ++i) {
      int64_t ts = t0 + i * 1000 - (i % 7 == 6 ? 15'000 : 0);
      if (ts < t0 + 5000 || ts >= t0 + 20'000) continue;
      expected += "{\"topic\":\"events\",\"partition\":" + std::to_string(p) +
                  ",\"offset\":" + std::to_string(i) + ",\"timestamp\":" + std::to_string(ts) +
                  ",\"key\":\"p" + std::to_string(p) + "-" + std::to_string(i) +
                  "\",\"value\":\"v" + std::to_string(i) + "\",\"headers\":[]}\n";
    }
  }
  CHECK(first == expected);

  const auto csv = (f.dir / "w.csv").string();
  REQUIRE(run("csv", csv).exit_code == 0);
  auto csv_text = slurp(csv);
  CHECK(csv_text.starts_with("topic,partition,offset,timestamp,key,value\n"));
  CHECK(std::count(csv_text.begin(), csv_text.end(), '\n') ==
        1 + std::count(first.begin(), first.end(), '\n'));
}
