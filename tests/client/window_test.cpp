// Window arithmetic and the window state machine: which windows a record falls in, the
// watermark, lateness, closing, and a checkpoint round trip.
#include <catch2/catch.hpp>

#include "client/streams/window_state.h"
#include "streams/checkpoint.pb.h"

using namespace sluice::client;

namespace {

constexpr int64_t minute = 60'000;

consumer_record at(int64_t offset, int32_t partition = 0) {
  consumer_record r;
  r.topic = "orders";
  r.partition = partition;
  r.offset = offset;
  return r;
}

std::string count(std::string aggregate, const consumer_record&) {
  return std::to_string((aggregate.empty() ? 0 : std::stoll(aggregate)) + 1);
}

}  // namespace

TEST_CASE("records fall into the epoch-aligned windows that hold them", "[client][window]") {
  const auto tumbling = window_spec::tumbling(std::chrono::minutes(1));
  CHECK(window_starts(tumbling, 0) == std::vector<int64_t>{0});
  CHECK(window_starts(tumbling, minute - 1) == std::vector<int64_t>{0});
  CHECK(window_starts(tumbling, minute) == std::vector<int64_t>{minute});
  CHECK(window_starts(tumbling, -1) == std::vector<int64_t>{-minute});

  const auto hopping = window_spec::hopping(std::chrono::minutes(5), std::chrono::minutes(1));
  CHECK(window_starts(hopping, 7 * minute + 30'000) ==
        std::vector<int64_t>{3 * minute, 4 * minute, 5 * minute, 6 * minute, 7 * minute});

  CHECK(invalid_window(tumbling) == std::nullopt);
  CHECK(invalid_window({0, 0}).value() == "window size must be positive");
  CHECK(invalid_window({minute, 2 * minute}).value().find("longer than its size") !=
        std::string::npos);
}

TEST_CASE("out-of-order records land in their own windows until the watermark closes them",
          "[client][window]") {
  window_state state(window_spec::tumbling(std::chrono::minutes(1)), 2 * minute);
  CHECK(state.watermark() == no_event_time);
  CHECK(state.add(at(0), "eu", 10 * minute + 5'000, count) == window_state::outcome::counted);
  CHECK(state.add(at(1), "eu", 12 * minute, count) == window_state::outcome::counted);
  CHECK(state.watermark() == 10 * minute);
  // Out of order but within the lateness: minute 10 is still open.
  CHECK(state.add(at(2), "eu", 10 * minute + 59'999, count) == window_state::outcome::counted);
  CHECK(state.add(at(3), "us", 10 * minute + 1, count) == window_state::outcome::counted);
  CHECK(state.take_closed().empty());

  // Event time 13:00 moves the watermark to 11:00: minute 10 closes, once.
  CHECK(state.add(at(4), "eu", 13 * minute, count) == window_state::outcome::counted);
  auto closed = state.take_closed();
  REQUIRE(closed.size() == 2);
  CHECK(closed[0] == window_result{"eu", 10 * minute, 11 * minute, "2"});
  CHECK(closed[1] == window_result{"us", 10 * minute, 11 * minute, "1"});
  CHECK(state.take_closed().empty());

  // Too late for minute 10; minute 11 is still open.
  CHECK(state.add(at(5), "eu", 10 * minute + 30'000, count) == window_state::outcome::late);
  CHECK(state.add(at(6), "eu", 11 * minute, count) == window_state::outcome::counted);
  CHECK(state.late_records() == 1);

  // An older record never moves the watermark back.
  const int64_t before = state.watermark();
  CHECK(state.add(at(7), "eu", 11 * minute + 1, count) == window_state::outcome::counted);
  CHECK(state.watermark() == before);
}

TEST_CASE("a hopping window record is late only when every window holding it closed",
          "[client][window]") {
  window_state state(window_spec::hopping(std::chrono::minutes(2), std::chrono::minutes(1)), 0);
  CHECK(state.add(at(0), "k", 10 * minute + 30'000, count) == window_state::outcome::counted);
  CHECK(state.add(at(1), "k", 11 * minute + 30'000, count) == window_state::outcome::counted);
  // Watermark 11:30 closed [9:00, 11:00); 10:45 is still counted in [10:00, 12:00).
  auto closed = state.take_closed();
  REQUIRE(closed.size() == 1);
  CHECK(closed[0] == window_result{"k", 9 * minute, 11 * minute, "1"});
  CHECK(state.add(at(2), "k", 10 * minute + 45'000, count) == window_state::outcome::counted);
  CHECK(state.add(at(3), "k", 13 * minute, count) == window_state::outcome::counted);
  closed = state.take_closed();
  REQUIRE(closed.size() == 2);
  CHECK(closed[0] == window_result{"k", 10 * minute, 12 * minute, "3"});
  CHECK(closed[1] == window_result{"k", 11 * minute, 13 * minute, "1"});
  CHECK(state.add(at(4), "k", 11 * minute + 59'999, count) == window_state::outcome::late);
}

TEST_CASE("processing time closes windows as the clock moves", "[client][window]") {
  window_state state(window_spec::tumbling(std::chrono::minutes(1)), 0);
  CHECK(state.add(at(0), "k", 5 * minute + 1, count) == window_state::outcome::counted);
  state.advance_to(5 * minute + 59'999);
  CHECK(state.take_closed().empty());
  state.advance_to(6 * minute);
  CHECK(state.take_closed().size() == 1);
  state.advance_to(minute);  // the clock stepping back changes nothing
  CHECK(state.watermark() == 6 * minute);
}

TEST_CASE("a checkpoint restores windows, watermark and applied positions", "[client][window]") {
  window_state state(window_spec::tumbling(std::chrono::minutes(1)), minute);
  (void)state.add(at(0), "a", 3 * minute, count);
  (void)state.add(at(1), "a", 3 * minute + 1, count);
  (void)state.add(at(0, 1), "b", 4 * minute, count);
  (void)state.add(at(1, 1), "b", minute, count);  // late
  sluice::streams::WindowCheckpoint cp;
  state.save(7, cp);
  CHECK(cp.sequence() == 7);

  window_state restored(window_spec::tumbling(std::chrono::minutes(1)), minute);
  restored.load(cp);
  CHECK(restored.watermark() == state.watermark());
  CHECK(restored.late_records() == 1);
  CHECK(restored.open_windows() == 2);
  // Replays of applied records change nothing; the next ones count.
  CHECK(restored.add(at(1), "a", 3 * minute, count) == window_state::outcome::replayed);
  CHECK(restored.add(at(1, 1), "b", 4 * minute, count) == window_state::outcome::replayed);
  CHECK(restored.add(at(2), "a", 3 * minute + 2, count) == window_state::outcome::counted);
  restored.advance_to(10 * minute);
  auto closed = restored.take_closed();
  REQUIRE(closed.size() == 2);
  CHECK(closed[0] == window_result{"a", 3 * minute, 4 * minute, "3"});
  CHECK(closed[1] == window_result{"b", 4 * minute, 5 * minute, "1"});
}
