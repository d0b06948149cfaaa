// NMS by hand: the tie rule (equal scores keep the lower index), NaN scores last, the strict
// threshold, per-class suppression far from the origin, the fixed-size form, and errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "kernels/boxes/boxes.h"
#include "kernels/nms/nms.h"
#include "kernels/nms/nms_math.h"
#include "tests/helpers.h"
#include "tests/kernels/boxes/boxes_reference.h"

using namespace oc;
using namespace oc::test;

namespace {
Tensor t64(const std::vector<double>& v, Shape s) { return from_vector(v, s); }
std::vector<int64_t> kept(const Tensor& t) { return to_vector<int64_t>(t); }
}  // namespace

TEST_CASE("nms: equal scores keep the lower index, NaN scores come last") {
  // Boxes 0, 1 and 2 are the same box; 3 is apart.
  const Tensor b = t64({0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10, 20, 20, 30, 30}, {4, 4});
  CHECK(kept(nms(b, t64({0.5, 0.5, 0.5, 0.5}, {4}), 0.5)) == std::vector<int64_t>{0, 3});
  CHECK(kept(nms(b, t64({0.5, 0.9, 0.9, 0.1}, {4}), 0.5)) == std::vector<int64_t>{1, 3});
  CHECK(kept(nms(b, t64({NAN, 0.2, NAN, 0.1}, {4}), 0.5)) == std::vector<int64_t>{1, 3});
  CHECK(kept(nms(b, t64({NAN, NAN, NAN, NAN}, {4}), 0.5)) == std::vector<int64_t>{0, 3});
}

TEST_CASE("nms suppresses only an IoU strictly above the threshold") {
  // [0,2]x[0,1] and [1,3]x[0,1]: IoU 1/3 exactly (in binary, 1/3 rounds the same on both sides).
  const Tensor b = t64({0, 0, 2, 1, 1, 0, 3, 1}, {2, 4}), s = t64({0.9, 0.8}, {2});
  const double iou = to_vector<double>(box_iou(slice(b, 0, 0, 1), slice(b, 0, 1, 2)))[0];
  CHECK(kept(nms(b, s, iou)) == std::vector<int64_t>{0, 1});
  CHECK(kept(nms(b, s, std::nextafter(iou, 0.0))) == std::vector<int64_t>{0});
  // Touching boxes never suppress, even at threshold 0.
  CHECK(kept(nms(t64({0, 0, 1, 1, 1, 0, 2, 1}, {2, 4}), s, 0)) == std::vector<int64_t>{0, 1});
}

TEST_CASE("batched_nms suppresses within a class only, exactly far from the origin") {
  // float32 boxes near x = 1e6 (a step of 0.0625 there): the coordinate-offset trick would add
  // class x (max coordinate + 1) ~ 1e6 per class and round the boxes; grouping keeps them exact.
  const int64_t n = 300;
  Tensor b = add(clustered_boxes(n, 41, DType::f64), 1e6);
  b = to(b, DType::f32);
  const Tensor s = test::rand({n}, 42, 0, 1, DType::f32), cls = random_index({n}, 7, 43);
  const std::vector<int64_t> want = ref_nms(ref_boxes(b), to_vector<double>(to(s, DType::f64)), to_vector<int64_t>(cls), 0.5);
  CHECK(kept(batched_nms(b, s, cls, 0.5)) == want);
  // And across classes nothing is suppressed: every box of its own class is kept.
  CHECK(batched_nms(b, s, arange(0, n, 1, DType::i64), 0.5).numel() == n);
}

TEST_CASE("nms_fixed: the first max_out kept boxes, then -1, and the count") {
  const Tensor b = clustered_boxes(200, 51, DType::f64), s = test::rand({200}, 52, 0, 1, DType::f64);
  const std::vector<int64_t> all = kept(nms(b, s, 0.5));
  REQUIRE(all.size() > 5);
  const NmsFixed few = nms_fixed(b, s, Tensor(), 0.5, 5);
  CHECK(kept(few.indices) == std::vector<int64_t>(all.begin(), all.begin() + 5));
  CHECK(few.count.dim() == 0);
  CHECK(kept(few.count)[0] == 5);
  const NmsFixed many = nms_fixed(b, s, Tensor(), 0.5, static_cast<int64_t>(all.size()) + 3);
  std::vector<int64_t> want = all;
  want.insert(want.end(), 3, -1);
  CHECK(kept(many.indices) == want);
  CHECK(kept(many.count)[0] == static_cast<int64_t>(all.size()));
}

TEST_CASE("nms names the op and the shapes in its errors") {
  const Tensor b = zeros({3, 4}, DType::f64), s = zeros({3}, DType::f64);
  CHECK_THROWS_WITH(nms(b, zeros({2}, DType::f64), 0.5), Catch::Contains("nms") && Catch::Contains("[2]"));
  CHECK_THROWS_WITH(nms(zeros({3, 5}, DType::f64), s, 0.5), Catch::Contains("[3, 5]"));
  CHECK_THROWS_WITH(nms(b, s, -0.1), Catch::Contains("iou_threshold"));
  CHECK_THROWS_WITH(nms(b, to(s, DType::f32), 0.5), Catch::Contains("nms"));
  CHECK_THROWS_WITH(batched_nms(b, s, zeros({3}, DType::f64), 0.5), Catch::Contains("classes"));
  CHECK_THROWS_WITH(nms_fixed(b, s, Tensor(), 0.5, -1), Catch::Contains("max_out"));
}

namespace {

// The plain greedy, every kept box against every later box, with the kernels' own order and IoU
// arithmetic (kernels/nms/nms_math.h): what the CPU's grid search must reproduce exactly.
template <class T>
std::vector<int64_t> brute_nms(const std::vector<T>& b, const std::vector<T>& s, const std::vector<int64_t>& cls,
                               T threshold) {
  const int64_t n = static_cast<int64_t>(s.size());
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return nms_before(s[x], x, s[y], y); });
  std::vector<bool> dead(n, false);
  std::vector<int64_t> keep;
  for (int64_t r = 0; r < n; ++r) {
    const int64_t k = order[r];
    if (dead[k]) continue;
    keep.push_back(k);
    for (int64_t q = r + 1; q < n; ++q)
      if (nms_suppresses(b.data(), cls.empty() ? nullptr : cls.data(), k, order[q], threshold)) dead[order[q]] = true;
  }
  return keep;
}

// Boxes of every kind the grid search reasons about: sizes over three decades, clusters and
// loners, zero and negative widths, NaN and infinite coordinates, all shifted by `offset`.
std::vector<double> hostile_boxes(int64_t n, uint64_t seed, double offset) {
  const std::vector<double> u = to_vector<double>(test::rand({n, 8}, seed, 0, 1, DType::f64));
  std::vector<double> v(4 * n);
  for (int64_t i = 0; i < n; ++i) {
    const double* r = &u[8 * i];
    const double size = std::pow(10.0, 3 * r[0]);  // 1 to 1000
    const bool clustered = r[5] < 0.6;
    const double cx = clustered ? 300 + 40 * std::floor(r[1] * 5) + 5 * r[2] : 2000 * r[1];
    const double cy = clustered ? 300 + 40 * std::floor(r[3] * 5) + 5 * r[4] : 2000 * r[3];
    const double w = clustered ? 60 * (0.8 + 0.4 * r[6]) : size, h = clustered ? 50 * (0.8 + 0.4 * r[7]) : size * (0.5 + r[7]);
    v[4 * i] = offset + cx - w / 2, v[4 * i + 1] = offset + cy - h / 2;
    v[4 * i + 2] = offset + cx + w / 2, v[4 * i + 3] = offset + cy + h / 2;
    if (r[6] < 0.03) v[4 * i + 2] = v[4 * i];                   // zero width
    else if (r[6] < 0.05) std::swap(v[4 * i + 1], v[4 * i + 3]);  // negative height
    else if (r[6] < 0.06) v[4 * i + 1] = NAN;
    else if (r[6] < 0.07) v[4 * i] = -INFINITY;
    else if (r[6] < 0.075) v[4 * i + 3] = INFINITY;
  }
  return v;
}

template <class T>
void check_grid_search(int64_t n, uint64_t seed, double offset) {
  const std::vector<double> b64 = hostile_boxes(n, seed, offset);
  const std::vector<T> b(b64.begin(), b64.end());
  // Scores with ties (a tenth of them from 4 values) and a few NaNs.
  std::vector<double> s64 = to_vector<double>(test::rand({n}, seed + 1, 0, 1, DType::f64));
  for (int64_t i = 0; i < n; ++i)
    if (i % 10 == 3) s64[i] = 0.25 * (i % 4);
    else if (i % 97 == 5) s64[i] = NAN;
  const std::vector<T> s(s64.begin(), s64.end());
  const std::vector<int64_t> cls = to_vector<int64_t>(random_index({n}, 3, seed + 2));
  const Tensor bt = from_vector(b, {n, 4}), st = from_vector(s, {n}), ct = from_vector(cls, {n});
  for (double threshold : {0.0, 1e-3, 0.3, 0.5, 0.7, 0.95, 1.0}) {
    INFO("threshold " << threshold << ", seed " << seed << ", offset " << offset);
    const T t = static_cast<T>(threshold);
    CHECK(kept(nms(bt, st, threshold)) == brute_nms<T>(b, s, {}, t));
    CHECK(kept(batched_nms(bt, st, ct, threshold)) == brute_nms<T>(b, s, cls, t));
  }
}

}  // namespace

TEST_CASE("nms: the CPU grid search keeps exactly what the plain greedy keeps, on hostile boxes") {
  for (uint64_t seed : {61, 62, 63}) {
    check_grid_search<double>(600, seed, 0);
    check_grid_search<float>(600, seed, 0);
    check_grid_search<float>(600, seed + 10, 1e6);  // a float32 step of 0.0625 there
    check_grid_search<double>(600, seed + 20, -1e9);
  }
  check_grid_search<float>(1, 64, 0);
  check_grid_search<float>(2, 65, 0);
}
