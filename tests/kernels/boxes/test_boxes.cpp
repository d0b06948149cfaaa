// Boxes by hand: IoU / GIoU values worked out on paper, the tie rule of the gradient, the box coder's
// round trip and clamp, small-box removal, and the errors that name the op and the shapes.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/boxes/boxes.h"
#include "tests/helpers.h"
#include "tests/kernels/boxes/boxes_reference.h"

using namespace oc;
using namespace oc::test;

namespace {
Tensor boxes64(const std::vector<double>& v) { return from_vector(v, {static_cast<int64_t>(v.size() / 4), 4}); }
}  // namespace

TEST_CASE("box_iou and generalized_box_iou by hand") {
  // a = [0,2]^2, b = [1,3]^2: intersection 1, union 4 + 4 - 1 = 7, hull 9.
  // c = [5,6]^2 is disjoint from a: IoU 0, hull [0,6]^2 = 36, GIoU = 0 - (36 - 5) / 36.
  const Tensor a = boxes64({0, 0, 2, 2}), b = boxes64({1, 1, 3, 3, 5, 5, 6, 6});
  const std::vector<double> iou = to_vector<double>(box_iou(a, b)), giou = to_vector<double>(generalized_box_iou(a, b));
  CHECK(iou[0] == Approx(1.0 / 7).epsilon(1e-15));
  CHECK(iou[1] == 0);
  CHECK(giou[0] == Approx(1.0 / 7 - 2.0 / 9).epsilon(1e-15));
  CHECK(giou[1] == Approx(-31.0 / 36).epsilon(1e-15));
  CHECK(to_vector<double>(box_iou_paired(a, boxes64({1, 1, 3, 3})))[0] == Approx(1.0 / 7).epsilon(1e-15));
  // Two empty boxes: 0 / 0, as torchvision.
  CHECK(std::isnan(to_vector<double>(box_iou(boxes64({1, 1, 1, 1}), boxes64({1, 1, 1, 1})))[0]));
}

TEST_CASE("box_iou's gradient splits ties evenly, as PyTorch's maximum and minimum") {
  // Identical boxes: every max / min is a tie, so both boxes get the same gradient.
  Tensor a = boxes64({0, 0, 2, 3}).set_requires_grad(), b = boxes64({0, 0, 2, 3}).set_requires_grad();
  sum(generalized_box_iou(a, b)).backward();
  REQUIRE_CLOSE(a.grad(), b.grad(), 0, 0);
  // Touching boxes (intersection width exactly 0): clamp(min = 0) passes the gradient, so moving
  // a's right edge to the right increases the IoU: d iou / d ax2 = ih / union = 2 / 8.
  Tensor c = boxes64({0, 0, 2, 2}).set_requires_grad(), d = boxes64({2, 0, 4, 2});
  sum(box_iou(c, d)).backward();
  CHECK(to_vector<double>(c.grad())[2] == Approx(0.25).epsilon(1e-15));
}

TEST_CASE("decode_boxes inverts encode_boxes, and clamps dw and dh before exp") {
  for (const BoxCoderWeights& w : {kRpnBoxWeights, kRoiHeadBoxWeights}) {
    const Tensor b = random_boxes(50, 901, DType::f64), r = random_boxes(50, 902, DType::f64);
    REQUIRE_CLOSE(decode_boxes(encode_boxes(b, r, w), r, w), b, 1e-12, 1e-12);
  }
  // dw = 10 > log(1000/16): the width is exp(clip) x the reference's, and dw gets no gradient.
  Tensor d = from_vector(std::vector<double>{0, 0, 10, 0}, {1, 4}).set_requires_grad();
  const Tensor box = decode_boxes(d, boxes64({0, 0, 16, 16}), kRpnBoxWeights);
  const std::vector<double> v = to_vector<double>(box);
  CHECK(v[2] - v[0] == Approx(1000).epsilon(1e-12));
  CHECK(v[3] - v[1] == Approx(16).epsilon(1e-12));
  sum(box).backward();
  CHECK(to_vector<double>(d.grad())[2] == 0);
}

TEST_CASE("remove_small_boxes keeps boxes whose sides are both >= min_size") {
  // widths 2, 1, 3, 0.5; heights 2, 3, 1, 4: only box 0 has both sides >= 1.5.
  const Tensor b = boxes64({0, 0, 2, 2, 0, 0, 1, 3, 0, 0, 3, 1, 0, 0, 0.5, 4});
  CHECK(to_vector<int64_t>(remove_small_boxes(b, 1.5)) == std::vector<int64_t>{0});
  CHECK(to_vector<int64_t>(remove_small_boxes(b, 1.0)) == std::vector<int64_t>{0, 1, 2});
  CHECK(remove_small_boxes(zeros({0, 4}, DType::f64), 1).numel() == 0);
}

TEST_CASE("box ops name the op and the shapes in their errors") {
  const Tensor good = boxes64({0, 0, 1, 1}), bad = zeros({3, 5}, DType::f64);
  CHECK_THROWS_WITH(box_iou(bad, good), Catch::Contains("box_iou") && Catch::Contains("[3, 5]"));
  CHECK_THROWS_WITH(box_iou(good, to(good, DType::f32)), Catch::Contains("box_iou"));
  CHECK_THROWS_WITH(box_iou_paired(good, boxes64({0, 0, 1, 1, 0, 0, 2, 2})),
                    Catch::Contains("box_iou_paired") && Catch::Contains("[1, 4]") && Catch::Contains("[2, 4]"));
  CHECK_THROWS_WITH(decode_boxes(zeros({1, 6}, DType::f64), good, kRpnBoxWeights),
                    Catch::Contains("decode_boxes") && Catch::Contains("[1, 6]"));
  CHECK_THROWS_WITH(decode_boxes(zeros({1, 4}, DType::f64), good, {1, 1, 0, 1}), Catch::Contains("weights"));
  CHECK_THROWS_WITH(encode_boxes(good, boxes64({0, 0, 1, 1, 0, 0, 2, 2}), kRpnBoxWeights),
                    Catch::Contains("encode_boxes") && Catch::Contains("[2, 4]"));
  CHECK_THROWS_WITH(clip_boxes_to_image(zeros({2, 3}), 4, 4), Catch::Contains("clip_boxes_to_image"));
}
