// Descriptor and keypoint losses: values on hand-made descriptors (distances of 3-4-5 triangles),
// the hardest negative picked from every candidate set, float64 finite-difference gradients, errors.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/ops.h"
#include "losses/descriptor_losses.h"
#include "tests/helpers.h"

using namespace oc;

namespace {

Tensor rows(const std::vector<double>& v, int64_t n) {
  return from_vector<double>(v, {n, static_cast<int64_t>(v.size()) / n});
}

double value(const Tensor& t) { return item<double>(t); }

}  // namespace

TEST_CASE("descriptor losses: row distances and the pair hinge by hand", "[lift]") {
  Tensor a = rows({0, 0, 1, 1}, 2), p = rows({3, 4, 1, 1}, 2), n = rows({0, 1, 4, 5}, 2);
  // ||a - p|| = 5 and 0; ||a - n|| = 1 and 5.
  Tensor d = row_distances(a, p);
  CHECK(to_vector<double>(d)[0] == Approx(5));
  CHECK(to_vector<double>(d)[1] == Approx(0).margin(1e-5));
  // margin 2: (5 + max(0, 2 - 1)) and (0 + max(0, 2 - 5)) -> mean (6 + 0) / 2.
  CHECK(value(pair_hinge_loss(a, p, n, 2.0)) == Approx(3.0).epsilon(1e-6));
}

TEST_CASE("descriptor losses: the hardest negative comes from every candidate set", "[lift]") {
  // Anchor 0 and positive 0 sit at distance 1; the other pairs are far, except one candidate that
  // is moved, in turn, close to a_0 or p_0 from each set (p_1, a_1, p_1 near p_0, a_1 near p_0).
  auto base = [] {
    return std::pair<std::vector<double>, std::vector<double>>{{0, 0, 10, 10, -10, 10}, {1, 0, 10, 11, -10, 11}};
  };
  const double margin = 1.0;
  struct Case {
    bool move_anchor;  // move a_1, else p_1
    double x, y;       // to here
    double nearest;    // its distance to a_0 or p_0
  };
  for (const Case& c : {Case{false, 0, 0.5, 0.5}, Case{true, 0, -0.5, 0.5}, Case{false, 1.5, 0, 0.5},
                        Case{true, 1.0, 0.3, 0.3}}) {
    auto [av, pv] = base();
    std::vector<double>& v = c.move_anchor ? av : pv;
    v[2] = c.x, v[3] = c.y;
    Tensor loss = hardest_triplet_loss(rows(av, 3), rows(pv, 3), margin);
    // Row 0: max(0, 1 + 1 - nearest). Rows 1 and 2: their own positive is 1 away, every negative
    // (except possibly the moved one, for row 1) is >= 10 away: 0, unless the moved point is row 1.
    Tensor a = rows(av, 3), p = rows(pv, 3);
    double want0 = std::max(0.0, margin + 1.0 - c.nearest);
    double d11 = value(row_distances(slice(a, 0, 1, 2), slice(p, 0, 1, 2)));
    double want1 = std::max(0.0, margin + d11 - c.nearest);  // a_1/p_1's nearest other is the row-0 point
    INFO("moved " << (c.move_anchor ? "a_1" : "p_1") << " to " << c.x << "," << c.y);
    CHECK(value(loss) == Approx((want0 + want1) / 3).epsilon(1e-5));
  }
}

TEST_CASE("descriptor losses: views of the same point are no negatives", "[lift]") {
  // Row 1 is another view of row 0's point (a near copy): as a negative it would dominate row 0.
  Tensor a = rows({0, 0, 0.1, 0, 10, 10}, 3), p = rows({1, 0, 1.1, 0, 10, 11}, 3);
  Tensor same = from_vector<float>({0, 1, 0, 1, 0, 0, 0, 0, 0}, {3, 3});
  // Without the mask: rows 0 and 1 see a negative 0.1 away: 2 x (1 + 1 - 0.1); row 2: 0.
  CHECK(value(hardest_triplet_loss(a, p, 1.0)) == Approx(2 * 1.9 / 3).epsilon(1e-5));
  // With it: rows 0 and 1 have only row 2's far views (>= 13 away): nothing; row 2 likewise.
  CHECK(value(hardest_triplet_loss(a, p, 1.0, same)) == Approx(0).margin(1e-9));
  // Everything masked: no negatives at all, no loss.
  CHECK(value(hardest_triplet_loss(a, p, 1.0, ones({3, 3}))) == Approx(0).margin(1e-9));
  CHECK_THROWS_WITH(hardest_triplet_loss(a, p, 1.0, ones({2, 3})), Catch::Contains("same_point"));
}

TEST_CASE("descriptor losses: keypoint classification by hand", "[lift]") {
  Tensor pos = from_vector<double>({0.0, 2.0}, {2}), negs = from_vector<double>({-1.0}, {1});
  const double sp_pos = (std::log(2.0) + std::log1p(std::exp(-2.0))) / 2, sp_neg = std::log1p(std::exp(-1.0));
  CHECK(value(keypoint_classification_loss(pos, negs)) == Approx((sp_pos + sp_neg) / 2));
  CHECK(value(keypoint_classification_loss(pos, Tensor())) == Approx(sp_pos));
  // Large scores do not overflow.
  Tensor big = from_vector<double>({800.0}, {1});
  CHECK(value(keypoint_classification_loss(big, big)) == Approx(400.0));
  CHECK_THROWS_WITH(keypoint_classification_loss(Tensor(), Tensor()), Catch::Contains("no scores"));
}

TEST_CASE("descriptor losses: float64 gradients", "[lift]") {
  Tensor a = test::rand({5, 4}, 1, -1, 1, DType::f64).set_requires_grad();
  Tensor p = test::rand({5, 4}, 2, -1, 1, DType::f64).set_requires_grad();
  Tensor n = test::rand({5, 4}, 3, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& x) { return pair_hinge_loss(x[0], x[1], x[2], 1.5); },
                                  {a, p, n});
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& x) { return hardest_triplet_loss(x[0], x[1], 2.0); },
                                  {a, p});
  Tensor s = test::rand({6}, 4, -3, 3, DType::f64).set_requires_grad();
  Tensor t = test::rand({3}, 5, -3, 3, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK(
      [](const std::vector<Tensor>& x) { return keypoint_classification_loss(x[0], x[1]); }, {s, t});
}

TEST_CASE("descriptor losses: shape errors name both shapes", "[lift]") {
  Tensor a = test::rand({3, 4}, 1), b = test::rand({3, 5}, 2);
  CHECK_THROWS_WITH(pair_hinge_loss(a, b, a, 1), Catch::Contains("[3, 4]") && Catch::Contains("[3, 5]"));
  CHECK_THROWS_WITH(hardest_triplet_loss(test::rand({1, 4}, 3), test::rand({1, 4}, 4), 1),
                    Catch::Contains("at least 2"));
}
