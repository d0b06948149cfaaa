// The Philox generator by hand: known-answer vectors, reproducibility and the advancing stream,
// moments of uniform, normal and bernoulli, randperm. The CUDA stream against the CPU's: the case
// table, random_cases.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/random/philox.h"
#include "tests/helpers.h"

using namespace oc;

TEST_CASE("philox: the published known-answer vectors") {
  // Random123's kat_vectors for philox4x32_10: counter 0, key 0.
  PhiloxBlock b = philox4x32_10(0, 0);
  REQUIRE(b.w[0] == 0x6627e8d5u);
  REQUIRE(b.w[1] == 0xe169c58du);
  REQUIRE(b.w[2] == 0xbc57ac4cu);
  REQUIRE(b.w[3] == 0x9b00dbd8u);
}

TEST_CASE("random: same seed, same stream, the generator advances") {
  Generator g1(42), g2(42);
  Tensor a = uniform({1000}, 0, 1, &g1), b = uniform({1000}, 0, 1, &g2);
  REQUIRE(to_vector<float>(a) == to_vector<float>(b));
  Tensor c = uniform({1000}, 0, 1, &g1);
  REQUIRE(to_vector<float>(a) != to_vector<float>(c));
  REQUIRE(g1.offset == 250 * 2);
  // Drawing in two pieces continues the stream: the second draw equals the tail of one long draw
  // (both start on a block boundary).
  Generator g3(7), g4(7);
  std::vector<float> whole = to_vector<float>(uniform({16}, 0, 1, &g3));
  uniform({8}, 0, 1, &g4);
  std::vector<float> tail = to_vector<float>(uniform({8}, 0, 1, &g4));
  REQUIRE(std::equal(tail.begin(), tail.end(), whole.begin() + 8));
}

TEST_CASE("random: moments of uniform, normal and bernoulli") {
  Generator g(3);
  const int n = 200000;
  std::vector<double> u = to_vector<double>(uniform({n}, -2, 4, &g, DType::f64));
  double mu = std::accumulate(u.begin(), u.end(), 0.0) / n;
  REQUIRE(std::fabs(mu - 1.0) < 0.03);  // std of the mean: sqrt(3)/sqrt(n) ~ 0.004
  REQUIRE(*std::min_element(u.begin(), u.end()) >= -2);
  REQUIRE(*std::max_element(u.begin(), u.end()) < 4);
  std::vector<double> z = to_vector<double>(normal({n}, 1.5, 2, &g, DType::f64));
  double zm = std::accumulate(z.begin(), z.end(), 0.0) / n, zv = 0;
  for (double v : z) zv += (v - zm) * (v - zm) / n;
  REQUIRE(std::fabs(zm - 1.5) < 0.03);  // std of the mean ~ 0.0045
  REQUIRE(std::fabs(std::sqrt(zv) - 2) < 0.03);
  std::vector<float> bern = to_vector<float>(bernoulli({n}, 0.3, &g));
  double p = std::accumulate(bern.begin(), bern.end(), 0.0) / n;
  REQUIRE(std::fabs(p - 0.3) < 0.01);
  for (float v : bern) REQUIRE((v == 0 || v == 1));
}

TEST_CASE("random: randperm is a seeded permutation") {
  Generator g1(5), g2(5);
  std::vector<int64_t> p = to_vector<int64_t>(randperm(1000, &g1));
  REQUIRE(p == to_vector<int64_t>(randperm(1000, &g2)));
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) REQUIRE(sorted[i] == i);
  REQUIRE(p != sorted);
  REQUIRE(randperm(0).numel() == 0);
}
