// soft_argmax by hand: peaks on a pixel and between two pixels, huge beta * S, the value's formula,
// edge shapes, non-contiguous views, float32 against float64, errors, determinism. The forward
// against the definition, the float64 gradients, PyTorch's numbers and CUDA parity come from the
// case table, soft_argmax_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "kernels/soft_argmax/soft_argmax.h"
#include "tests/helpers.h"
#include "tests/kernels/soft_argmax/soft_argmax_reference.h"

using namespace oc;

namespace {

constexpr SoftArgmaxCoords kCoords[] = {SoftArgmaxCoords::pixel, SoftArgmaxCoords::normalized};

SoftArgmaxOptions opts(double beta, SoftArgmaxCoords coords = SoftArgmaxCoords::pixel) {
  return test::soft_argmax_opts(beta, coords);
}
using test::soft_argmax_coords_and_value;
using test::soft_argmax_reference;

std::string describe(const SoftArgmaxOptions& o) { return str_cat("beta ", o.beta, " ", to_string(o.coordinates)); }

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Hand-computed cases.

TEST_CASE("soft_argmax: a sharp peak exactly on a pixel is recovered (large beta)", "[soft_argmax]") {
  // beta = 100 on a unit peak: every other pixel weighs e^-100, far below double rounding.
  for (DType dt : {DType::f64, DType::f32}) {
    std::vector<double> v(4 * 6, 0.0);
    v[2 * 6 + 3] = 1;  // y = 2, x = 3
    Tensor x = to(from_vector(v, {1, 1, 4, 6}), dt);
    INFO(dtype_name(dt));
    REQUIRE_CLOSE(soft_argmax(x, opts(100)), from_vector<double>({3, 2}, {1, 1, 2}), 1e-6, 0);
    // Normalized: x = (2 * 3 + 1) / 6 - 1, y = (2 * 2 + 1) / 4 - 1.
    REQUIRE_CLOSE(soft_argmax(x, opts(100, SoftArgmaxCoords::normalized)),
                  from_vector<double>({7.0 / 6 - 1, 5.0 / 4 - 1}, {1, 1, 2}), 1e-6, 0);
    SoftArgmaxResult r = soft_argmax_with_value(x, opts(100));
    REQUIRE_CLOSE(r.value, from_vector<double>({1}, {1, 1}), 1e-6, 0);
  }
  // 3-D: a peak at (x, y, z) = (1, 2, 3) of a 4 x 3 x 2 (D x H x W) volume.
  std::vector<double> v3(4 * 3 * 2, -5.0);
  v3[(3 * 3 + 2) * 2 + 1] = 5;
  REQUIRE_CLOSE(soft_argmax(from_vector(v3, {1, 1, 4, 3, 2}), opts(50)), from_vector<double>({1, 2, 3}, {1, 1, 3}),
                1e-12, 0);
}

TEST_CASE("soft_argmax: a symmetric two-pixel peak gives the midpoint between the pixels", "[soft_argmax]") {
  for (double beta : {1.0, 100.0, 1e4}) {
    INFO("beta " << beta);
    // Peaks at x = 2 and x = 3 of row y = 1: x = 2.5 exactly (equal weights), y = 1.
    std::vector<double> v(3 * 6, 0.0);
    v[1 * 6 + 2] = v[1 * 6 + 3] = 2;
    Tensor x = from_vector(v, {1, 1, 3, 6});
    if (beta >= 100) {
      REQUIRE_CLOSE(soft_argmax(x, opts(beta)), from_vector<double>({2.5, 1}, {1, 1, 2}), 1e-12, 0);
      // Normalized: the shared edge of pixels 2 and 3, (2 * 2.5 + 1) / 6 - 1 = 0, and the centre row.
      REQUIRE_CLOSE(soft_argmax(x, opts(beta, SoftArgmaxCoords::normalized)), from_vector<double>({0, 0}, {1, 1, 2}),
                    1e-12, 0);
      // The smooth maximum of two equal peaks: 2 + log(2) / beta.
      REQUIRE_CLOSE(soft_argmax_with_value(x, opts(beta)).value,
                    from_vector<double>({2 + std::log(2.0) / beta}, {1, 1}), 1e-12, 0);
    } else {
      // beta = 1 spreads the weight, but the map is symmetric about x = 2.5 only with the rest mirrored:
      // compare with the definition instead.
      REQUIRE_CLOSE(soft_argmax(x, opts(beta)), soft_argmax_reference(x, opts(beta)).coords, 1e-12, 1e-12);
    }
    // Between two depth slices in 3-D: z = 0.5.
    std::vector<double> v3(2 * 2 * 3, 0.0);
    v3[(0 * 2 + 1) * 3 + 2] = v3[(1 * 2 + 1) * 3 + 2] = 3;
    if (beta >= 100)
      REQUIRE_CLOSE(soft_argmax(from_vector(v3, {1, 1, 2, 2, 3}), opts(beta)),
                    from_vector<double>({2, 1, 0.5}, {1, 1, 3}), 1e-12, 0);
  }
}

TEST_CASE("soft_argmax: huge beta * S stays finite, forward and backward, float32 and float64", "[soft_argmax]") {
  for (DType dt : {DType::f32, DType::f64})
    for (double beta : {1e4, 1e30}) {
      INFO(dtype_name(dt) << " beta " << beta);
      // beta * S up to 1e4 (or 1e30, past float32's range): exp(beta * S) alone would overflow.
      Tensor x = add(test::rand({2, 3, 8, 8}, 300, 0, 1, dt), full({2, 3, 8, 8}, 10, dt)).detach().set_requires_grad();
      SoftArgmaxResult r = soft_argmax_with_value(x, opts(beta));
      sum(add(r.coords, unsqueeze(r.value, 2))).backward();
      for (double c : to_vector<double>(r.coords)) REQUIRE(std::isfinite(c));
      for (double c : to_vector<double>(r.value)) REQUIRE(std::isfinite(c));
      for (double c : to_vector<double>(x.grad())) REQUIRE(std::isfinite(c));
      // The value tends to the max, the coordinates to the argmax.
      const test::SoftArgmaxReference want = soft_argmax_reference(x, opts(beta));
      REQUIRE_CLOSE(r.coords, want.coords, 1e-4, 1e-5);
      REQUIRE_CLOSE(r.value, max(x.detach(), {2, 3}), 1e-4, 1e-6);
    }
}

TEST_CASE("soft_argmax: the value is (1 / beta) log sum exp(beta S)", "[soft_argmax]") {
  Tensor x = test::rand({2, 3, 4, 5}, 320, -1, 1, DType::f64);
  for (double beta : {0.5, 1.0, 3.0}) {
    INFO("beta " << beta);
    Tensor want = div(log(sum(exp(mul(x, full({}, beta, DType::f64))), {2, 3})), full({}, beta, DType::f64));
    REQUIRE_CLOSE(soft_argmax_with_value(x, opts(beta)).value, want, 1e-13, 1e-13);
  }
}

TEST_CASE("soft_argmax: normalized coordinates feed grid_sample (align_corners false)", "[soft_argmax][grid_sample]") {
  // Sampling a map at the soft-argmax of its sharp peak reads the peak value.
  std::vector<double> v(5 * 7, 0.0);
  v[3 * 7 + 5] = 4;
  Tensor x = from_vector(v, {1, 1, 5, 7});
  Tensor where = soft_argmax(x, opts(100, SoftArgmaxCoords::normalized));  // [1, 1, 2]
  REQUIRE_CLOSE(grid_sample(x, reshape(where, {1, 1, 1, 2})), full({1, 1, 1, 1}, 4, DType::f64), 1e-9, 0);
}

// ---------------------------------------------------------------------------------------------------
// Edge shapes.

TEST_CASE("soft_argmax: empty batch and zero maps, forward and backward", "[soft_argmax]") {
  for (const Shape& shape : {Shape{0, 3, 4, 5}, Shape{2, 0, 4, 5}, Shape{0, 2, 3, 4, 5}}) {
    INFO(shape_str(shape));
    const int64_t dims = static_cast<int64_t>(shape.size()) - 2;
    Tensor x = zeros(shape, DType::f64).set_requires_grad();
    Tensor y = soft_argmax(x, opts(1));
    REQUIRE(y.shape() == Shape{shape[0], shape[1], dims});
    SoftArgmaxResult r = soft_argmax_with_value(x, opts(2, SoftArgmaxCoords::normalized));
    REQUIRE(r.coords.shape() == Shape{shape[0], shape[1], dims});
    REQUIRE(r.value.shape() == Shape{shape[0], shape[1]});
    sum(add(sum(y), sum(r.value))).backward();
    REQUIRE(x.grad().shape() == shape);
  }
}

TEST_CASE("soft_argmax: 1x1 and 1x1x1 maps, by hand", "[soft_argmax]") {
  // One pixel: probability 1, coordinates 0 (pixel) or 0 (normalized centre), value = S. The
  // coordinates' gradient is zero (x - mu = 0), the value's is one.
  for (SoftArgmaxCoords coords : kCoords)
    for (const Shape& shape : {Shape{2, 3, 1, 1}, Shape{1, 2, 1, 1, 1}}) {
      INFO(to_string(coords) << " " << shape_str(shape));
      const int64_t dims = static_cast<int64_t>(shape.size()) - 2;
      Tensor x = test::rand(shape, 330, -5, 5, DType::f64).set_requires_grad();
      SoftArgmaxResult r = soft_argmax_with_value(x, opts(7, coords));
      REQUIRE_CLOSE(r.coords, zeros({shape[0], shape[1], dims}, DType::f64), 0, 0);
      REQUIRE_CLOSE(r.value, reshape(x.detach(), {shape[0], shape[1]}), 1e-15, 0);
      sum(add(sum(r.coords), sum(r.value))).backward();
      REQUIRE_CLOSE(x.grad(), full(shape, 1, DType::f64), 1e-15, 0);
    }
}

TEST_CASE("soft_argmax: non-contiguous heatmaps give the values and gradients of a contiguous copy",
          "[soft_argmax]") {
  // [N, H, W, K] permuted to [N, K, H, W], and a strided slice of a wider map.
  Tensor nhwk = test::rand({2, 5, 6, 3}, 340, -1, 1, DType::f64);
  Tensor wide = test::rand({2, 3, 5, 12}, 341, -1, 1, DType::f64);
  for (const Tensor& view : {permute(nhwk, {0, 3, 1, 2}), slice(wide, 3, 0, 12, 2)})
    for (SoftArgmaxCoords coords : kCoords) {
      const SoftArgmaxOptions o = opts(3, coords);
      REQUIRE(!view.is_contiguous());
      Tensor xv = view.detach().set_requires_grad(), xc = contiguous(view).detach().set_requires_grad();
      Tensor yv = soft_argmax_coords_and_value(xv, o), yc = soft_argmax_coords_and_value(xc, o);
      REQUIRE_CLOSE(yv, yc, 0, 0);
      Tensor w = test::rand(yc.shape(), 342, 0.5, 1.5, DType::f64);
      sum(mul(yv, w)).backward();
      sum(mul(yc, w)).backward();
      REQUIRE_CLOSE(xv.grad(), xc.grad(), 0, 0);
    }
  // (The gradient through a permuted 3-D view is a row of the case table.)
}

TEST_CASE("soft_argmax: float32 agrees with float64, gradients too", "[soft_argmax]") {
  Tensor x = test::rand({2, 3, 16, 20}, 350, -1, 1, DType::f64);
  for (SoftArgmaxCoords coords : kCoords) {
    const SoftArgmaxOptions o = opts(5, coords);
    INFO(describe(o));
    Tensor x64 = x.detach().set_requires_grad(), x32 = to(x, DType::f32).set_requires_grad();
    Tensor y64 = soft_argmax_coords_and_value(x64, o), y32 = soft_argmax_coords_and_value(x32, o);
    REQUIRE(y32.dtype() == DType::f32);
    // Coordinates below 20 pixels from sums of 20 float32 terms per row: ~1e-6 relative.
    REQUIRE_CLOSE(y32, y64, 1e-4, 1e-5);
    Tensor w = test::rand(y64.shape(), 351, 0.5, 1.5, DType::f64);
    sum(mul(y64, w)).backward();
    sum(mul(y32, to(w, DType::f32))).backward();
    REQUIRE_CLOSE(x32.grad(), x64.grad(), 1e-5, 1e-4);
  }
}

// ---------------------------------------------------------------------------------------------------
// Options, names, errors.

TEST_CASE("soft_argmax: coordinate names round-trip, unknown names list the valid ones", "[soft_argmax]") {
  for (SoftArgmaxCoords c : kCoords) REQUIRE(soft_argmax_coords_from_string(to_string(c)) == c);
  test::require_error([] { soft_argmax_coords_from_string("pixels"); }, {"pixels", "pixel", "normalized"});
}

TEST_CASE("soft_argmax: errors name the op and the offending shapes", "[soft_argmax]") {
  const DType f = DType::f64;
  test::require_error([&] { soft_argmax(zeros({3, 4, 4}, f)); }, {"soft_argmax", "[3, 4, 4]"});
  test::require_error([&] { soft_argmax(zeros({1, 1, 1, 3, 4, 4}, f)); }, {"soft_argmax", "[1, 1, 1, 3, 4, 4]"});
  test::require_error([&] { soft_argmax(zeros({1, 2, 0, 4}, f)); }, {"soft_argmax", "[1, 2, 0, 4]", "empty"});
  test::require_error([&] { soft_argmax_with_value(zeros({1, 2, 3, 4, 0}, f)); }, {"soft_argmax", "[1, 2, 3, 4, 0]"});
  test::require_error([&] { soft_argmax(zeros({1, 2, 4, 4}, DType::i64)); }, {"soft_argmax", "int64"});
  for (double beta : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
    INFO("beta " << beta);
    test::require_error([&] { soft_argmax(zeros({1, 2, 4, 4}, f), opts(beta)); },
                        {"soft_argmax", "beta", "[1, 2, 4, 4]"});
  }
}

TEST_CASE("soft_argmax: the CPU gives the same bits on every run", "[soft_argmax]") {
  Tensor x = test::rand({4, 5, 32, 32}, 360);
  std::vector<float> first;
  for (int run = 0; run < 3; ++run) {
    Tensor xl = x.detach().set_requires_grad();
    sum(soft_argmax_coords_and_value(xl, opts(10))).backward();
    std::vector<float> g = to_vector<float>(xl.grad());
    if (run == 0) first = g;
    REQUIRE(g == first);
  }
}
