// The Mask R-CNN head on a tiny model (32 x 32 images, features at stride 4, 3 classes, 8 x 8 mask
// maps): the mask term recomputed from one known proposal and the ground truths, masks pasted into
// their boxes at decoding, float64 gradients, and errors naming the key or the missing masks.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/ops.h"
#include "losses/losses.h"
#include "nets/det/det_heads.h"
#include "tests/helpers.h"
#include "tests/nets/det/det_test_support.h"
#include "train/experiment.h"

using namespace oc;

namespace {

constexpr int64_t kG = 8, kClasses = 3, kS = 8;

// The tiny two-stage model with a mask head (8 x 8 maps from 4 x 4 pooling), one proposal per image.
json config() {
  json c = test::tiny_two_stage_config();
  json& t = c["task"];
  c["train"]["seed"] = 5;
  t["head"] = "mask_rcnn", t["score_threshold"] = 0, t["mask_weight"] = 1.5;
  t["rpn"]["post_nms_top_k_train"] = 1, t["rpn"]["post_nms_top_k_test"] = 1;
  t["roi"]["mask_size"] = 4;
  t["mask_head"] = json::parse(R"({"layers": [
      {"name": "m", "type": "conv2d", "out_channels": 5, "kernel": 3, "padding": 1}, {"type": "relu"},
      {"name": "up", "type": "conv_transpose2d", "out_channels": 3, "kernel": 2, "stride": 2}]})");
  return c;
}

// Random outputs: features [B, 6, 8, 8], objectness [B, 2, 8, 8] with anchor 1 of cell (3, 4)
// far ahead (the only proposal), deltas [B, 8, 8, 8].
std::vector<Tensor> outputs(int64_t B, uint64_t seed, DType dt = DType::f32) {
  std::vector<double> obj = to_vector<double>(test::rand({B, 2, kG, kG}, seed + 1, -2, 2, DType::f64));
  for (int64_t b = 0; b < B; ++b) obj[((b * 2 + 1) * kG + 3) * kG + 4] = 5;
  return {test::rand({B, 6, kG, kG}, seed, -1, 1, dt), to(from_vector(obj, {B, 2, kG, kG}), dt),
          test::rand({B, 8, kG, kG}, seed + 2, -0.3, 0.3, dt)};
}

// Two objects on one 32 x 32 image: label 2 at slot 0, label 0 at slot 2 (slot 1 empty); their masks
// are random blobs inside their boxes.
const std::vector<std::vector<float>> kBoxes = {{7, 5, 25, 19}, {1, 1, 9, 12}};
Tensor boxes() {
  std::vector<float> v(3 * 5, -1.0f);
  const float rows[2][5] = {{2, 7, 5, 25, 19}, {0, 1, 1, 9, 12}};
  for (int c = 0; c < 5; ++c) v[c] = rows[0][c], v[10 + c] = rows[1][c];
  return from_vector(v, {1, 3, 5});
}
Tensor masks(uint64_t seed) {
  const std::vector<float> noise = to_vector<float>(test::rand({3, 32, 32}, seed, 0, 1));
  std::vector<uint8_t> m(3 * 32 * 32, 0);
  const int slot_of[2] = {0, 2};
  for (int k = 0; k < 2; ++k)
    for (int y = int(kBoxes[k][1]); y < int(kBoxes[k][3]); ++y)
      for (int x = int(kBoxes[k][0]); x < int(kBoxes[k][2]); ++x)
        m[(slot_of[k] * 32 + y) * 32 + x] = noise[(slot_of[k] * 32 + y) * 32 + x] < 0.7f;
  return from_vector(m, {1, 3, 32, 32});
}

test::TinyDetector tiny(const json& c = config()) { return test::tiny_detector(c, "mrcnn.json"); }

// The proposal: anchor 1 (16 x 16) of cell (3, 4), [8, 4, 24, 20], moved by its deltas.
std::array<double, 4> proposal(const Tensor& deltas) {
  const std::vector<double> del = to_vector<double>(deltas);
  double d[4];
  for (int k = 0; k < 4; ++k) d[k] = del[((4 + k) * kG + 3) * kG + 4];
  const double cx = d[0] * 16 + 16, cy = d[1] * 16 + 12, w = std::exp(d[2]) * 16, h = std::exp(d[3]) * 16;
  return {cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
}

}  // namespace

TEST_CASE("mask_rcnn: the mask term recomputed: each positive's class map against its mask resampled to the RoI") {
  test::TinyDetector t = tiny();
  REQUIRE(t.head->learns_masks());
  const std::vector<Tensor> out = outputs(1, 51);
  const Tensor m = masks(52);
  const DetLoss l = t.head->loss(out, boxes(), m);
  // The RoIs: the proposal and both ground truths; positives are those with IoU >= 0.5, in order.
  const std::array<double, 4> p = proposal(out[2]);
  std::vector<std::vector<double>> rois = {{p[0], p[1], p[2], p[3]}};
  for (const auto& b : kBoxes) rois.push_back({b[0], b[1], b[2], b[3]});
  std::vector<double> flat, target_flat;
  std::vector<int64_t> rows;
  std::vector<int64_t> slot_of_truth = {0, 2}, label_of_truth = {2, 0};
  for (const auto& r : rois) {
    double best = 0;
    int arg = -1;
    for (int k = 0; k < 2; ++k) {
      const double bx[4] = {kBoxes[k][0], kBoxes[k][1], kBoxes[k][2], kBoxes[k][3]};
      const double iou = item<double>(box_iou_paired(from_vector(std::vector<double>(bx, bx + 4), {1, 4}),
                                                     from_vector(r, {1, 4})));
      if (iou > best) best = iou, arg = k;
    }
    if (best < 0.5) continue;
    const int64_t n = static_cast<int64_t>(rows.size());
    flat.insert(flat.end(), {0, r[0], r[1], r[2], r[3]});
    target_flat.insert(target_flat.end(), {double(slot_of_truth[arg]), r[0], r[1], r[2], r[3]});
    rows.push_back(n * kClasses + label_of_truth[arg]);
  }
  const int64_t P = static_cast<int64_t>(rows.size());
  REQUIRE(P == 3);  // the proposal overlaps the first object well
  RoiAlignParams pool;
  pool.pooled_h = pool.pooled_w = 4, pool.spatial_scale = 0.25, pool.sampling_ratio = 2;
  Network& head = *t.e.model->attached("mask_head");
  const Tensor maps = forward_outputs(head, roi_align(out[0], to(from_vector(flat, {P, 5}), DType::f32), pool))[0];
  REQUIRE(maps.shape() == (Shape{P, kClasses, kS, kS}));
  const Tensor logits = index_select(reshape(maps, {P * kClasses, kS, kS}), 0, from_vector(rows, {P}));
  RoiAlignParams at_image;
  at_image.pooled_h = at_image.pooled_w = kS;
  const Tensor targets = reshape(roi_align(reshape(to(m, DType::f32), {3, 1, 32, 32}),
                                           to(from_vector(target_flat, {P, 5}), DType::f32), at_image),
                                 {P, kS, kS});
  // Fractional targets at the mask's edges, and both 0s and 1s inside: the resampling is exercised.
  const std::vector<float> tv = to_vector<float>(targets);
  CHECK(std::count_if(tv.begin(), tv.end(), [](float v) { return v > 0.01f && v < 0.99f; }) > 0);
  CHECK(test::loss_term(l, "mask") == Approx(1.5 * item<double>(bce_with_logits(logits, targets))).epsilon(1e-5));
}

TEST_CASE("mask_rcnn: a decoded box's mask is its class map pasted over the pixels whose centres lie in the box") {
  test::TinyDetector t = tiny();
  t.e.model->eval();
  const std::vector<Tensor> out = outputs(1, 61);
  // A mask head answering +6 for every pixel of class c and -6 for the others.
  NoGradGuard no_grad;
  for (auto& [name, param] : t.e.model->attached("mask_head")->named_parameters()) {
    std::vector<float> v(param.numel(), 0.0f);
    if (name == "up.bias") v = {-6, 6, -6};  // class 1 everywhere, the others nowhere
    copy_(param, from_vector(v, param.shape()));
  }
  const std::vector<Detection> found = t.head->decode(out)[0];
  REQUIRE(!found.empty());
  for (const Detection& d : found) {
    INFO("class " << d.label << " box " << d.x1 << " " << d.y1 << " " << d.x2 << " " << d.y2);
    REQUIRE(d.mask.defined());
    REQUIRE(d.mask.shape() == (Shape{32, 32}));
    const std::vector<int64_t> mv = to_vector<int64_t>(d.mask);
    int64_t wrong = 0, inside = 0;
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        const bool in_box = x + 0.5 >= d.x1 && x + 0.5 <= d.x2 && y + 0.5 >= d.y1 && y + 0.5 <= d.y2;
        inside += in_box;
        wrong += mv[y * 32 + x] != ((d.label == 1 && in_box) ? 1 : 0);
      }
    CHECK(inside > 0);
    CHECK(wrong == 0);
  }
}

TEST_CASE("mask_rcnn: float64 gradients of the loss with the mask term, by finite differences") {
  test::TinyDetector t = tiny();
  t.e.model->to(DType::f64);
  std::vector<Tensor> in = outputs(1, 71, DType::f64);
  for (Tensor& x : in) x = x.detach().set_requires_grad();
  const Tensor m = masks(72);
  REQUIRE_GRADCHECK([&](const std::vector<Tensor>& v) { return t.head->loss({v[0], in[1], in[2]}, boxes(), m).total; },
                    {in[0]}, 1e-6, 1e-7, 1e-5);
}

TEST_CASE("mask_rcnn: missing masks and a mask head of the wrong shape are errors naming them") {
  test::TinyDetector t = tiny();
  test::require_error([&] { t.head->loss(outputs(1, 81), boxes()); }, {"mask_rcnn loss", "[1, M, 32, 32]", "none"});
  json c = config();
  c["task"].erase("mask_head");
  test::require_error([&] { experiment_from_json(c, "m.json"); }, {"m.json: task.mask_head", "mask head network"});
  c = config();
  c["task"]["mask_head"]["layers"][2]["out_channels"] = 4;
  Experiment e = experiment_from_json(c, "m.json");
  test::require_error([&] { make_det_head(e.task.det, *e.model, kClasses, "m.json"); },
                      {"m.json: task.mask_head", "[3, S, S]", "[4, 8, 8]"});
  c = config();
  c["task"]["mask_weight"] = -1;
  test::require_error([&] { experiment_from_json(c, "m.json"); }, {"task.mask_weight", ">= 0"});
}
