#include "fault/checker.h"

#include <catch2/catch.hpp>

using namespace sluice::fault;

namespace {

// A clean history: producer "a" wrote a-0..a-2 to partition 0, everything acknowledged,
// consumed and committed.
history clean() {
  history h;
  h.final_log = {{0, 0, "a-0"}, {0, 1, "a-1"}, {0, 2, "a-2"}};
  h.acknowledged = h.final_log;
  h.consumed = h.final_log;
  h.committed = {{0, 3}};
  h.log_end = {{0, 3}};
  return h;
}

}  // namespace

TEST_CASE("a clean history passes") {
  auto v = check(clean());
  CHECK(v.ok());
  CHECK(v.acknowledged == 3);
}

TEST_CASE("an acknowledged record missing from the log is lost") {
  auto h = clean();
  h.final_log.pop_back();
  auto v = check(h);
  CHECK(v.lost == 1);
  CHECK_FALSE(v.ok());
}

TEST_CASE("a second copy in the log is a duplicate") {
  auto h = clean();
  h.final_log.push_back({0, 3, "a-2"});
  auto v = check(h);
  CHECK(v.duplicated == 1);
  CHECK(v.misordered == 1);
}

TEST_CASE("two values seen at one offset are inconsistent") {
  auto h = clean();
  h.consumed.push_back({0, 1, "a-7"});
  CHECK(check(h).inconsistent == 1);
  h = clean();
  h.acknowledged[2].offset = 1;  // acknowledged at an offset that holds another record
  CHECK(check(h).inconsistent == 1);
}

TEST_CASE("consumers seeing a record twice is at-least-once, not a failure") {
  auto h = clean();
  h.consumed.push_back(h.consumed.front());
  CHECK(check(h).ok());
}

TEST_CASE("a producer's records out of send order are misordered") {
  auto h = clean();
  h.final_log = {{0, 0, "a-0"}, {0, 1, "a-2"}, {0, 2, "a-1"}};
  h.acknowledged = h.consumed = h.final_log;
  CHECK(check(h).misordered == 1);
  // Another producer's records interleave freely.
  h.final_log = {{0, 0, "a-0"}, {0, 1, "b-5"}, {0, 2, "a-1"}, {0, 3, "b-6"}};
  h.acknowledged = h.consumed = h.final_log;
  h.log_end = {{0, 4}};
  CHECK(check(h).ok());
}

TEST_CASE("a commit past the log end and a record no consumer printed are caught") {
  auto h = clean();
  h.committed = {{0, 4}};
  CHECK(check(h).overcommitted == 1);
  h = clean();
  h.consumed.pop_back();
  CHECK(check(h).unseen == 1);
}

TEST_CASE("values name their producer and sequence") {
  CHECK(parse_value("w1-42") == std::pair<std::string, int64_t>{"w1", 42});
  CHECK(parse_value("a-b-7") == std::pair<std::string, int64_t>{"a-b", 7});
  CHECK_FALSE(parse_value("nodash"));
  CHECK_FALSE(parse_value("x-"));
  CHECK_FALSE(parse_value("x-1y"));
}
