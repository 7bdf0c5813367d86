#include "bench/sluice_bench/histogram.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>

using sluice::bench::histogram;

TEST_CASE("histogram percentiles are within 0.1% of the exact ones", "[bench][histogram]") {
  histogram h;
  std::vector<uint64_t> values;
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(6.0, 2.0);  // microseconds, long tail
  for (int i = 0; i < 100'000; ++i) {
    auto v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  CHECK(h.count() == values.size());
  CHECK(h.max() == values.back());
  for (double q : {0.5, 0.9, 0.99, 0.999, 1.0}) {
    INFO("quantile " << q);
    const uint64_t exact = values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    const uint64_t got = h.at(q);
    CHECK(got >= exact);
    CHECK(static_cast<double>(got) <= static_cast<double>(exact) * 1.001 + 1);
  }
}

TEST_CASE("histogram merge adds counts and keeps the max", "[bench][histogram]") {
  histogram a, b;
  for (uint64_t v = 1; v <= 100; ++v)
    a.record(v);
  b.record(1'000'000);
  a.merge(b);
  CHECK(a.count() == 101);
  CHECK(a.max() == 1'000'000);
  CHECK(a.at(0.5) == 51);
  CHECK(a.at(1.0) == 1'000'000);
  CHECK(histogram().at(0.99) == 0);
}
