// Balanced positive/negative sampler: exact counts, only labelled elements chosen, reproducible for
// a generator state and different for another, the generator's offset, and uniformity over many
// draws (a chi-square bound that a sampler favouring low indices fails).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/matcher/matcher.h"
#include "tests/helpers.h"

using namespace oc;
using namespace oc::test;

namespace {

// Labels with the given numbers of positives (1, 2 or 3), negatives (0) and ignored (-1, -2), shuffled.
std::vector<int64_t> make_labels(int64_t pos, int64_t neg, int64_t ignored, uint64_t seed) {
  std::vector<int64_t> l;
  for (int64_t i = 0; i < pos; ++i) l.push_back(1 + i % 3);
  l.insert(l.end(), neg, 0);
  for (int64_t i = 0; i < ignored; ++i) l.push_back(-1 - i % 2);
  Generator g(seed);
  const std::vector<int64_t> perm = to_vector<int64_t>(randperm(static_cast<int64_t>(l.size()), &g));
  std::vector<int64_t> out(l.size());
  for (size_t i = 0; i < l.size(); ++i) out[i] = l[perm[i]];
  return out;
}

struct Chosen {
  std::vector<int64_t> pos, neg;  // 0/1 per element
};

Chosen sample(const std::vector<int64_t>& labels, int64_t batch, double frac, Generator* g) {
  BalancedSample s = sample_balanced(from_vector(labels, {static_cast<int64_t>(labels.size())}), batch, frac, g);
  REQUIRE(s.positive.dtype() == DType::b8);
  return {to_vector<int64_t>(s.positive), to_vector<int64_t>(s.negative)};
}

int64_t count(const std::vector<int64_t>& m) { return std::accumulate(m.begin(), m.end(), int64_t(0)); }

}  // namespace

TEST_CASE("sample_balanced counts: min(pos, int(B frac)) positives, negatives fill the rest") {
  struct Case {
    int64_t pos, neg, ignored, batch;
    double frac;
    int64_t want_pos, want_neg;
  };
  const std::vector<Case> cases = {
      {100, 300, 50, 64, 0.25, 16, 48},   // plenty of both
      {5, 300, 50, 64, 0.25, 5, 59},      // few positives: negatives fill up
      {100, 10, 50, 64, 0.25, 16, 10},    // few negatives: all of them
      {100, 300, 0, 10, 0.35, 3, 7},      // int(3.5) = 3 positives
      {0, 40, 7, 16, 0.5, 0, 16},         // no positives
      {30, 0, 7, 16, 0.5, 8, 0},          // no negatives
      {12, 20, 3, 32, 1.0, 12, 20},       // everything labelled is chosen
      {12, 20, 3, 0, 0.5, 0, 0},          // batch 0
      {12, 20, 3, 16, 0.0, 0, 16},        // no positive share
  };
  for (const Case& c : cases) {
    INFO("pos " << c.pos << " neg " << c.neg << " batch " << c.batch << " frac " << c.frac);
    const std::vector<int64_t> labels = make_labels(c.pos, c.neg, c.ignored, 77);
    Generator g(5);
    const Chosen s = sample(labels, c.batch, c.frac, &g);
    CHECK(count(s.pos) == c.want_pos);
    CHECK(count(s.neg) == c.want_neg);
    for (size_t i = 0; i < labels.size(); ++i) {
      INFO("element " << i << " label " << labels[i]);
      if (s.pos[i]) REQUIRE(labels[i] >= 1);
      if (s.neg[i]) REQUIRE(labels[i] == 0);
    }
  }
}

TEST_CASE("sample_balanced is reproducible for a generator state, differs for another, advances the offset") {
  const std::vector<int64_t> labels = make_labels(200, 600, 100, 9);  // 900 elements: 225 Philox blocks
  Generator a(11), b(11), c(12);
  const Chosen sa = sample(labels, 128, 0.25, &a), sb = sample(labels, 128, 0.25, &b), sc = sample(labels, 128, 0.25, &c);
  REQUIRE(a.offset == 225);
  REQUIRE(sa.pos == sb.pos);
  REQUIRE(sa.neg == sb.neg);
  REQUIRE(sa.pos != sc.pos);
  REQUIRE(sa.neg != sc.neg);
  const Chosen again = sample(labels, 128, 0.25, &a);  // the next draw of the same generator
  REQUIRE(a.offset == 450);
  REQUIRE(again.pos != sa.pos);
  Generator d(11);
  d.offset = 225;
  REQUIRE(sample(labels, 128, 0.25, &d).pos == again.pos);
  // An empty input still draws nothing and moves nothing.
  Generator e(1);
  sample_balanced(zeros({0}, DType::i64), 8, 0.5, &e);
  REQUIRE(e.offset == 0);
}

TEST_CASE("sample_balanced chooses uniformly: chi-square over 3000 draws") {
  // 40 positives, 10 chosen per draw: each element expects 3000 * 10 / 40 = 750 picks. The
  // statistic has ~39 degrees of freedom (mean 39, sd 8.8); 100 is 7 sd above the mean.
  const int64_t n = 40, k = 10, draws = 3000;
  const std::vector<int64_t> labels(n, 1);
  Generator g(2026);
  std::vector<double> hits(n, 0), biased(n, 0);
  for (int64_t d = 0; d < draws; ++d) {
    const Chosen s = sample(labels, k, 1.0, &g);
    REQUIRE(count(s.pos) == k);
    for (int64_t i = 0; i < n; ++i) hits[i] += static_cast<double>(s.pos[i]);
    // A sampler favouring low indices: the k smallest of u_i (1 + 0.5 i / n) over the same draws.
    const std::vector<double> u = to_vector<double>(uniform({n}, 0, 1, &g));
    std::vector<int64_t> idx(n);
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](int64_t x, int64_t y) {
      return u[x] * (1 + 0.5 * x / n) < u[y] * (1 + 0.5 * y / n);
    });
    for (int64_t j = 0; j < k; ++j) biased[idx[j]] += 1;
  }
  const double expected = static_cast<double>(draws * k) / n;
  double chi = 0, chi_biased = 0;
  for (int64_t i = 0; i < n; ++i) {
    chi += (hits[i] - expected) * (hits[i] - expected) / expected;
    chi_biased += (biased[i] - expected) * (biased[i] - expected) / expected;
  }
  INFO("chi-square " << chi << ", biased sampler's " << chi_biased);
  CHECK(chi < 100);
  CHECK(chi_biased > 100);  // the bound has the power to see a modest bias
}

TEST_CASE("sample_balanced refuses bad labels and arguments") {
  require_error([] { sample_balanced(zeros({4}), 2, 0.5); }, {"sample_balanced", "int64", "float32"});
  require_error([] { sample_balanced(zeros({2, 2}, DType::i64), 2, 0.5); }, {"sample_balanced", "[2, 2]"});
  require_error([] { sample_balanced(zeros({4}, DType::i64), -1, 0.5); }, {"sample_balanced", "batch_size -1"});
  require_error([] { sample_balanced(zeros({4}, DType::i64), 2, 1.5); }, {"sample_balanced", "positive_fraction 1.5"});
}
