// NMS by hand: the tie rule (equal scores keep the lower index), NaN scores last, the strict
// threshold, per-class suppression far from the origin, the fixed-size form, and errors.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/boxes/boxes.h"
#include "kernels/nms/nms.h"
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
