#include "broker/config.h"

#include <catch2/catch.hpp>

#include "broker/errc.h"

using namespace sluice::broker;

TEST_CASE("properties files allow comments, blanks and spaces", "[broker][config]") {
  auto props = parse_properties("# comment\n! also\n\n  listen = 0.0.0.0:1 \nlog.level=debug\n",
                                "f.properties");
  REQUIRE(props);
  REQUIRE(props.value().size() == 2);
  CHECK(props.value()[0].key == "listen");
  CHECK(props.value()[0].value == "0.0.0.0:1");
  CHECK(props.value()[0].origin == "f.properties line 4");
  auto bad = parse_properties("ok=1\nnot a property\n", "f.properties");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("f.properties line 2") != std::string::npos);
}

TEST_CASE("config keys map to settings, later ones winning", "[broker][config]") {
  auto c = make_config({{"listen", "127.0.0.1:0", "a"},
                        {"log.flush.policy", "always", "a"},
                        {"log.retention.ms", "1000", "a"},
                        {"log.cleanup.policy", "compact", "a"},
                        {"metrics.listen", "", "a"},
                        {"log.preallocate.bytes", "0", "a"},
                        {"log.retention.ms", "2000", "--set"}});
  REQUIRE(c);
  CHECK(c.value().listen.port == 0);
  CHECK(c.value().storage.policy == sluice::storage::flush_policy::always);
  CHECK(c.value().storage.defaults.retention_ms == 2000);
  CHECK(c.value().storage.defaults.cleanup_compact);
  CHECK_FALSE(c.value().metrics_listen);
  CHECK(c.value().storage.preallocate_bytes == 0);
}

TEST_CASE("unknown keys and bad values name the key and the source", "[broker][config]") {
  auto unknown = make_config({{"retention.ms", "1", "x.properties line 9"}});
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == errc::invalid_config);
  CHECK(unknown.error().message ==
        "x.properties line 9: unknown config key 'retention.ms' (configs/sluiced.properties lists "
        "every key)");
  auto bad_int = make_config({{"max.connections", "lots", "--set"}});
  CHECK(bad_int.error().message.find("max.connections=lots: expected an integer") !=
        std::string::npos);
  auto bad_topic_default = make_config({{"log.segment.bytes", "5", "--set"}});
  CHECK(bad_topic_default.error().message.find(
            "log.segment.bytes=5: expected an integer from 1024") != std::string::npos);
  auto bad_address = make_config({{"listen", "nowhere", "--set"}});
  CHECK(bad_address.error().message.find("expected host:port") != std::string::npos);
  auto tiny_step = make_config({{"log.preallocate.bytes", "4096", "--set"}});
  CHECK(tiny_step.error().message.find(
            "log.preallocate.bytes=4096: expected 0, or an integer from 65536") !=
        std::string::npos);
  auto budget = make_config({{"queued.max.request.bytes", "2048", "--set"}});
  CHECK(budget.error().message.find("at least socket.request.max.bytes") != std::string::npos);
}

TEST_CASE("every key has a default that the config accepts", "[broker][config]") {
  std::vector<property> defaults;
  for (const auto& k : config_keys()) {
    defaults.push_back({std::string(k.key), std::string(k.default_value), "default"});
  }
  auto c = make_config(defaults);
  REQUIRE(c);
  CHECK(c.value().listen.port == 9292);
  CHECK(c.value().storage.data_dir == "./data");
  CHECK(c.value().storage.preallocate_bytes == 1u << 20);
}
