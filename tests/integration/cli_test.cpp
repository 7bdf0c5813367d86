// The sluice CLI against a real broker, and sluiced's own start-up checks.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration/broker_fixture.h"
#include "support/process.h"

using namespace sluice;

namespace {

test::process_result cli(const test::broker_fixture& f, std::vector<std::string> args,
                         const std::string& input = {}) {
  args.insert(args.begin(), {test::sluice_cli_path(), "--broker", f.broker->address()});
  return test::run_process(args, input);
}

}  // namespace

TEST_CASE("topics are created, described and deleted from the CLI", "[integration][cli]") {
  test::broker_fixture f;
  auto created = cli(
      f, {"topic", "create", "orders", "--partitions", "3", "--config", "retention.ms=3600000"});
  CHECK(created.exit_code == 0);
  CHECK(created.out.find("created topic orders with 3 partitions") != std::string::npos);
  auto again = cli(f, {"topic", "create", "orders", "--partitions", "3"});
  CHECK(again.exit_code != 0);
  CHECK(again.err.find("TOPIC_ALREADY_EXISTS") != std::string::npos);
  auto bad = cli(f, {"topic", "create", "bad/name"});
  CHECK(bad.exit_code != 0);
  CHECK(bad.err.find("contains '/'") != std::string::npos);
  auto bad_config = cli(f, {"topic", "create", "t2", "--config", "retention.ms=soon"});
  CHECK(bad_config.exit_code != 0);
  CHECK(bad_config.err.find("retention.ms=soon") != std::string::npos);

  CHECK(cli(f, {"topic", "list"}).out == "orders\t3 partitions\n");
  auto described = cli(f, {"topic", "describe", "orders"});
  CHECK(described.exit_code == 0);
  CHECK(described.out.find("topic orders: 3 partitions") != std::string::npos);
  CHECK(described.out.find("retention.ms=3600000") != std::string::npos);
  CHECK(cli(f, {"topic", "delete", "orders"}).exit_code == 0);
  CHECK(cli(f, {"topic", "list"}).out.empty());
}

TEST_CASE("records produced from stdin are consumed back", "[integration][cli]") {
  test::broker_fixture f;
  REQUIRE(cli(f, {"topic", "create", "lines", "--partitions", "2"}).exit_code == 0);
  std::string input;
  for (int i = 0; i < 200; ++i)
    input += "k" + std::to_string(i % 10) + ":line " + std::to_string(i) + "\n";
  auto produced =
      cli(f, {"produce", "lines", "--key-separator", ":", "--compression", "zstd"}, input);
  REQUIRE(produced.exit_code == 0);

  auto values = cli(f, {"consume", "lines", "--from", "beginning", "--max-records", "200"});
  REQUIRE(values.exit_code == 0);
  CHECK(std::count(values.out.begin(), values.out.end(), '\n') == 200);
  CHECK(values.out.find("line 199\n") != std::string::npos);

  auto json = cli(f, {"consume", "lines", "--from", "beginning", "--partition", "0", "--format",
                      "json", "--idle-timeout-ms", "1000"});
  REQUIRE(json.exit_code == 0);
  std::istringstream lines(json.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    CHECK(line.starts_with("{\"topic\":\"lines\",\"partition\":0,\"offset\":" + std::to_string(n)));
    CHECK(line.find("\"key\":\"k") != std::string::npos);
    ++n;
  }
  CHECK(n > 0);
  CHECK(n < 200);

  auto from_offset = cli(f, {"consume", "lines", "--from", "5", "--partition", "1", "--max-records",
                             "1", "--format", "json"});
  CHECK(from_offset.out.find("\"offset\":5") != std::string::npos);
}

TEST_CASE("produce takes each record's event time from the start of its line",
          "[integration][cli]") {
  test::broker_fixture f;
  REQUIRE(cli(f, {"topic", "create", "orders"}).exit_code == 0);
  const std::string input =
      "2026-12-02T10:00:10Z|o1:12.50\n"
      "1764669600000|o2:7.25\n";
  auto produced =
      cli(f, {"produce", "orders", "--timestamp-separator", "|", "--key-separator", ":"}, input);
  REQUIRE(produced.exit_code == 0);
  auto json = cli(
      f, {"consume", "orders", "--from", "beginning", "--max-records", "2", "--format", "json"});
  REQUIRE(json.exit_code == 0);
  CHECK(json.out.find(R"("timestamp":1796205610000,"key":"o1","value":"12.50")") !=
        std::string::npos);
  CHECK(json.out.find(R"("timestamp":1764669600000,"key":"o2","value":"7.25")") !=
        std::string::npos);

  auto no_separator = cli(f, {"produce", "orders", "--timestamp-separator", "|"}, "a\nb\n");
  CHECK(no_separator.exit_code != 0);
  CHECK(no_separator.err.find("line 1: no timestamp separator '|' in the line") !=
        std::string::npos);
  auto bad_time = cli(f, {"produce", "orders", "--timestamp-separator", "|"},
                      "2026-12-02T10:00:10Z|ok\nsoon|x\n");
  CHECK(bad_time.exit_code != 0);
  CHECK(bad_time.err.find("line 2: ") != std::string::npos);
  CHECK(bad_time.err.find("soon") != std::string::npos);
}

TEST_CASE("produce exits non-zero when records are not acknowledged", "[integration][cli]") {
  test::broker_fixture f;
  auto unknown = cli(f, {"produce", "missing"}, "a\nb\n");
  CHECK(unknown.exit_code != 0);
  CHECK(unknown.err.find("missing") != std::string::npos);
  REQUIRE(cli(f, {"topic", "create", "tiny", "--config", "max.message.bytes=100"}).exit_code == 0);
  auto too_big = cli(f, {"produce", "tiny"}, std::string(500, 'x') + "\n");
  CHECK(too_big.exit_code != 0);
  CHECK(too_big.err.find("1 of 1 records were not acknowledged") != std::string::npos);
  CHECK(too_big.err.find("MESSAGE_TOO_LARGE") != std::string::npos);
}

TEST_CASE("sluiced refuses unknown keys and bad values, naming them", "[integration][cli]") {
  test::temp_dir dir;
  auto unknown = test::run_process(
      {test::sluiced_path(), "--data-dir", (dir / "d").string(), "--set", "log.retenton.ms=5"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown config key 'log.retenton.ms'") != std::string::npos);
  auto bad = test::run_process({test::sluiced_path(), "--data-dir", (dir / "d").string(), "--set",
                                "log.flush.policy=sometimes"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("log.flush.policy=sometimes: expected always, interval or os") !=
        std::string::npos);
  std::ofstream(dir / "bad.properties") << "# comment\nlisten=127.0.0.1:0\nnum.partitions=zero\n";
  auto file =
      test::run_process({test::sluiced_path(), "--config", (dir / "bad.properties").string(),
                         "--data-dir", (dir / "d").string()});
  CHECK(file.exit_code == 2);
  CHECK(file.err.find("bad.properties line 3: num.partitions=zero") != std::string::npos);
}

TEST_CASE("configs/sluiced.properties documents every key with its default", "[integration][cli]") {
  auto printed = test::run_process({test::sluiced_path(), "--print-default-config"});
  REQUIRE(printed.exit_code == 0);
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/configs/sluiced.properties");
  std::stringstream file;
  file << in.rdbuf();
  CHECK(file.str() == printed.out);
}
