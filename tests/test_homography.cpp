// Homography algebra: the inverse against the product with the matrix, and a singular matrix.
#include <catch2/catch.hpp>

#include <random>

#include "core/error.h"
#include "train/data/homography.h"

using namespace oc;

TEST_CASE("homography: the inverse undoes random perspective homographies", "[homography]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int trial = 0; trial < 20; ++trial) {
    Homography h;
    for (int k = 0; k < 9; ++k) h.m[k] = (k % 4 == 0 ? 1.0 : 0.0) + 0.3 * u(rng);
    h.m[6] *= 0.01, h.m[7] *= 0.01;  // a mild perspective, as photos have
    const Homography inv = homography_inverse(h);
    CHECK(inv.m[8] == Approx(1.0));
    for (int p = 0; p < 5; ++p) {
      const double x = 100 * u(rng), y = 100 * u(rng);
      double hx, hy, bx, by;
      homography_apply(h, x, y, &hx, &hy);
      homography_apply(inv, hx, hy, &bx, &by);
      CHECK(bx == Approx(x).margin(1e-7));
      CHECK(by == Approx(y).margin(1e-7));
    }
  }
}

TEST_CASE("homography: a singular matrix has no inverse", "[homography]") {
  Homography h;
  const double rows[9] = {1, 2, 3, 2, 4, 6, 0, 1, 1};  // row 2 = 2 x row 1
  for (int k = 0; k < 9; ++k) h.m[k] = rows[k];
  CHECK_THROWS_WITH(homography_inverse(h), Catch::Contains("singular"));
}
