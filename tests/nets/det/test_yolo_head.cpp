// The YOLO head by hand: decoding a cell and anchor, the assignment of a ground truth to its cell and
// best-fitting anchor (each loss term recomputed here from the outputs), the ignore rule, two ground
// truths in one slot, per-class NMS and the score threshold in decoding, and float64 gradients.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/ops.h"
#include "nets/det/det_heads.h"
#include "tests/helpers.h"
#include "tests/nets/det/det_test_support.h"

using namespace oc;

namespace {

// 2 anchors, 3 classes, a 4 x 4 grid of stride 8 on 32 x 32 images.
DetSettings settings() {
  DetSettings s;
  s.anchors = {{8, 8}, {20, 12}};
  s.stride = 8;
  s.ignore_threshold = 1;  // nothing ignored unless a test says so
  return s;
}
const DetHeadGeometry kGeom{3, 32, 32};
constexpr int64_t A = 2, V = 8, G = 4;

// Random outputs [B, A V, G, G] with every objectness logit at -8 (no candidate decodes by accident).
Tensor outputs(int64_t B, uint64_t seed, DType dt = DType::f32) {
  std::vector<double> v = to_vector<double>(test::rand({B, A * V, G, G}, seed, -0.5, 0.5, DType::f64));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t a = 0; a < A; ++a)
      for (int64_t c = 0; c < G * G; ++c) v[((b * A + a) * V + 4) * G * G + c] = -8;
  return to(from_vector(v, {B, A * V, G, G}), dt);
}
// The value of channel k of anchor a at cell (i, j) of image b.
double& at(std::vector<double>& v, int64_t b, int64_t a, int64_t k, int64_t i, int64_t j) {
  return v[(((b * A + a) * V + k) * G + i) * G + j];
}
double sig(double x) { return 1 / (1 + std::exp(-x)); }
double bce(double logit, double target) { return std::log1p(std::exp(-std::fabs(logit))) + std::max(logit, 0.0) - logit * target; }

Tensor boxes(const std::vector<std::vector<double>>& objects, int64_t B = 1, int64_t M = 3) {
  std::vector<float> v(B * M * 5, -1.0f);
  for (size_t k = 0; k < objects.size(); ++k)
    for (int c = 0; c < 5; ++c) v[k * 5 + c] = static_cast<float>(objects[k][c]);
  return from_vector(v, {B, M, 5});
}

}  // namespace

TEST_CASE("yolo head: a cell and anchor decode to their box, scored objectness x class") {
  const auto head = make_yolo_head(settings(), kGeom);
  std::vector<double> v = to_vector<double>(outputs(1, 1, DType::f64));
  at(v, 0, 1, 0, 2, 1) = 0.4, at(v, 0, 1, 1, 2, 1) = -0.3;                     // tx, ty
  at(v, 0, 1, 2, 2, 1) = std::log(0.5), at(v, 0, 1, 3, 2, 1) = std::log(1.5);  // tw, th
  at(v, 0, 1, 4, 2, 1) = 3;                                                     // objectness
  at(v, 0, 1, 5 + 2, 2, 1) = 2.5;                                               // class 2 leads
  const auto found = head->decode({from_vector(v, {1, A * V, G, G})});
  REQUIRE(found.size() == 1);
  REQUIRE(!found[0].empty());
  const Detection& d = found[0][0];
  const double cx = (1 + sig(0.4)) * 8, cy = (2 + sig(-0.3)) * 8, w = 20 * 0.5, h = 12 * 1.5;
  CHECK(d.label == 2);
  CHECK(d.score == Approx(sig(3) * sig(2.5)).epsilon(1e-6));
  CHECK(d.x1 == Approx(cx - w / 2).epsilon(1e-6));
  CHECK(d.y1 == Approx(cy - h / 2).epsilon(1e-6));
  CHECK(d.x2 == Approx(cx + w / 2).epsilon(1e-6));
  CHECK(d.y2 == Approx(cy + h / 2).epsilon(1e-6));
  // The other classes of the same box score lower, and every box found is that one (no NMS across
  // classes: the same box with another class is kept when it passes the threshold).
  for (const Detection& o : found[0]) {
    CHECK(o.x1 == d.x1);
    CHECK(o.score <= d.score);
  }
}

TEST_CASE("yolo head: decoding keeps scores above the threshold, suppresses within a class, clips and caps") {
  DetSettings s = settings();
  s.score_threshold = 0.3;
  s.max_detections = 2;
  const auto head = make_yolo_head(s, kGeom);
  std::vector<double> v = to_vector<double>(outputs(1, 2, DType::f64));
  for (int64_t a = 0; a < A; ++a)
    for (int64_t k = 5; k < V; ++k)
      for (int64_t c = 0; c < G * G; ++c) v[(a * V + k) * G * G + c] = -6;  // every class unlikely...
  // ... but class 0 at two neighbouring anchors of one cell with nearly the same box (suppressed),
  // class 1 at a corner cell, its box beyond the image (clipped).
  for (int64_t a : {0, 1}) {
    at(v, 0, a, 0, 1, 1) = 0, at(v, 0, a, 1, 1, 1) = 0, at(v, 0, a, 4, 1, 1) = 4, at(v, 0, a, 5, 1, 1) = 4;
    at(v, 0, a, 2, 1, 1) = std::log(16.0 / s.anchors[a][0]), at(v, 0, a, 3, 1, 1) = std::log(16.0 / s.anchors[a][1]);
  }
  at(v, 0, 0, 4, 1, 1) = 5;  // anchor 0 scores higher
  at(v, 0, 1, 0, 3, 3) = 2, at(v, 0, 1, 1, 3, 3) = 2, at(v, 0, 1, 4, 3, 3) = 3, at(v, 0, 1, 6, 3, 3) = 3;
  at(v, 0, 1, 2, 3, 3) = 0, at(v, 0, 1, 3, 3, 3) = 0;
  const auto found = head->decode({from_vector(v, {1, A * V, G, G})})[0];
  REQUIRE(found.size() == 2);
  CHECK(found[0].label == 0);
  CHECK(found[0].score == Approx(sig(5) * sig(4)).epsilon(1e-6));
  CHECK(found[0].x1 == Approx(12 - 8).epsilon(1e-6));
  CHECK(found[1].label == 1);
  CHECK(found[1].x2 == 32.0f);  // (3 + sig(2)) * 8 + 10 = 41 -> clipped to the width
  CHECK(found[1].y2 == 32.0f);
  s.max_detections = 1;
  CHECK(make_yolo_head(s, kGeom)->decode({from_vector(v, {1, A * V, G, G})})[0].size() == 1);
  s.score_threshold = 0.99;
  CHECK(make_yolo_head(s, kGeom)->decode({from_vector(v, {1, A * V, G, G})})[0].empty());
}

TEST_CASE("yolo head: a ground truth trains its centre's cell and best-fitting anchor, each term by hand") {
  const auto head = make_yolo_head(settings(), kGeom);
  const Tensor out = outputs(2, 3, DType::f64);
  std::vector<double> v = to_vector<double>(out);
  // Image 1: class 1, a 18 x 10 box centred at (13, 21): cell (2, 1); anchor 1 (20 x 12) fits best.
  const Tensor b = from_vector(std::vector<float>{-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 4, 16, 22, 26, -1, 0, 0, 0, 0},
                               {2, 2, 5});
  const DetLoss l = head->loss({out}, b);
  const double w = 18, h = 10, cx = 13, cy = 21, scale = 2 - w * h / (32.0 * 32);
  auto p = [&](int64_t k) { return at(v, 1, 1, k, 2, 1); };
  const double box = scale * (std::pow(sig(p(0)) - (cx / 8 - 1), 2) + std::pow(sig(p(1)) - (cy / 8 - 2), 2) +
                              std::pow(p(2) - std::log(w / 20), 2) + std::pow(p(3) - std::log(h / 12), 2));
  double cls = 0;
  for (int64_t c = 0; c < 3; ++c) cls += bce(p(5 + c), c == 1 ? 1 : 0);
  double obj = 0;
  for (int64_t bi = 0; bi < 2; ++bi)
    for (int64_t a = 0; a < A; ++a)
      for (int64_t i = 0; i < G; ++i)
        for (int64_t j = 0; j < G; ++j) obj += bce(at(v, bi, a, 4, i, j), (bi == 1 && a == 1 && i == 2 && j == 1) ? 1 : 0);
  // Sums per image, averaged over the batch of 2.
  CHECK(test::loss_term(l, "box") == Approx(box / 2).epsilon(1e-12));
  CHECK(test::loss_term(l, "class") == Approx(cls / 2).epsilon(1e-12));
  CHECK(test::loss_term(l, "object") == Approx(obj / 2).epsilon(1e-12));
  CHECK(item<double>(l.total) == Approx((box + cls + obj) / 2).epsilon(1e-12));
  // The weights scale their terms.
  DetSettings s = settings();
  s.box_weight = 3, s.class_weight = 0.5, s.noobject_weight = 0;
  const DetLoss w2 = make_yolo_head(s, kGeom)->loss({out}, b);
  CHECK(test::loss_term(w2, "box") == Approx(3 * box / 2).epsilon(1e-12));
  CHECK(test::loss_term(w2, "class") == Approx(0.5 * cls / 2).epsilon(1e-12));
  CHECK(test::loss_term(w2, "object") == Approx(bce(p(4), 1) / 2).epsilon(1e-12));
}

TEST_CASE("yolo head: a prediction already overlapping a ground truth is not pushed to background") {
  DetSettings s = settings();
  const Tensor b = boxes({{0, 8, 8, 16, 16}});  // 8 x 8 centred at (12, 12): cell (1, 1), anchor 0
  std::vector<double> v = to_vector<double>(outputs(1, 4, DType::f64));
  // Anchor 1 of cell (1, 1) decodes onto the same box (IoU 1), but is not the assigned one.
  at(v, 0, 1, 0, 1, 1) = 0, at(v, 0, 1, 1, 1, 1) = 0, at(v, 0, 1, 2, 1, 1) = std::log(8.0 / 20),
                at(v, 0, 1, 3, 1, 1) = std::log(8.0 / 12), at(v, 0, 1, 4, 1, 1) = 1.5;
  const Tensor out = from_vector(v, {1, A * V, G, G});
  const double counted = test::loss_term(make_yolo_head(s, kGeom)->loss({out}, b), "object");
  s.ignore_threshold = 0.5;
  const double ignored = test::loss_term(make_yolo_head(s, kGeom)->loss({out}, b), "object");
  CHECK(counted - ignored == Approx(bce(1.5, 0)).epsilon(1e-12));
}

TEST_CASE("yolo head: two ground truths in one cell and anchor, the later one is learned") {
  const auto head = make_yolo_head(settings(), kGeom);
  const Tensor out = outputs(1, 5, DType::f64);
  const Tensor both = boxes({{0, 9, 9, 15, 15}, {2, 10, 10, 15, 14}});  // both cell (1, 1), anchor 0
  const Tensor later = boxes({{2, 10, 10, 15, 14}});
  const DetLoss a = head->loss({out}, both), b = head->loss({out}, later);
  CHECK(test::loss_term(a, "box") == test::loss_term(b, "box"));
  CHECK(test::loss_term(a, "class") == test::loss_term(b, "class"));
  CHECK(test::loss_term(a, "object") == test::loss_term(b, "object"));
  // Empty slots and an image without objects: objectness only.
  const DetLoss none = head->loss({out}, boxes({}));
  CHECK(test::loss_term(none, "box") == 0);
  CHECK(test::loss_term(none, "class") == 0);
  CHECK(test::loss_term(none, "object") > 0);
}

TEST_CASE("yolo head: float64 gradients of the loss by finite differences, l2 and giou box losses") {
  for (const char* box_loss : {"l2", "giou"}) {
    INFO(box_loss);
    DetSettings s = settings();
    s.box_loss = box_loss;
    s.box_weight = 2, s.noobject_weight = 0.5;
    const auto head = make_yolo_head(s, kGeom);
    const Tensor b = boxes({{0, 3, 2, 14, 11}, {2, 16, 12, 30, 31}, {1, 20, 2, 23, 9}}, 2, 3);
    Tensor x = outputs(2, 6, DType::f64);
    x = add(x, test::rand(x.shape(), 7, -1, 1, DType::f64)).detach().set_requires_grad();
    const test::CloseResult r = test::gradcheck(
        [&](const std::vector<Tensor>& in) { return head->loss({in[0]}, b).total; }, {x}, 1e-6, 1e-7, 1e-5);
    INFO(r.message);
    CHECK(r.ok);
  }
}

TEST_CASE("yolo head: outputs of the wrong size and boxes of the wrong shape are errors naming them") {
  const auto head = make_yolo_head(settings(), kGeom);
  test::require_error([&] { head->loss({outputs(2, 8)}, boxes({}, 1, 3)); }, {"yolo loss", "[2, M, 5]", "[1, 3, 5]"});
  test::require_error([&] { head->loss({outputs(1, 8)}, boxes({{7, 1, 1, 5, 5}})); }, {"class 7", "3 classes"});
}
