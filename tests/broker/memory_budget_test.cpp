#include "broker/memory_budget.h"

#include <catch2/catch.hpp>

using namespace sluice::broker;

TEST_CASE("the memory budget makes readers wait instead of overspending", "[broker][limits]") {
  asio::io_context io;
  metrics_registry metrics;
  memory_budget budget(io.get_executor(), 1000, metrics);
  std::vector<std::string> events;
  auto reader = [&](std::string name, uint64_t bytes) -> awaitable<void> {
    bool ok = co_await budget.acquire(bytes);
    events.push_back(name + (ok ? " got " : " refused ") + std::to_string(bytes));
  };
  asio::co_spawn(io, reader("a", 800), asio::detached);
  asio::co_spawn(io, reader("b", 500), asio::detached);  // must wait: only 200 left
  asio::co_spawn(io, reader("c", 100), asio::detached);  // waits behind b, in order
  io.poll();
  io.restart();
  CHECK(events == std::vector<std::string>{"a got 800"});
  CHECK(metrics.request_bytes_in_use == 800);
  budget.release(800);
  io.poll();
  io.restart();
  CHECK(events == std::vector<std::string>{"a got 800", "b got 500", "c got 100"});
  CHECK(metrics.request_bytes_in_use == 600);

  asio::co_spawn(io, reader("d", 900), asio::detached);
  io.poll();
  io.restart();
  budget.cancel_all();
  io.poll();
  CHECK(events.back() == "d refused 900");
  budget.release(600);
  CHECK(metrics.request_bytes_in_use == 0);
}
