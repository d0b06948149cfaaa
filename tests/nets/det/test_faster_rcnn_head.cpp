// The Faster R-CNN head by hand on a tiny model (32 x 32 images, features at stride 4, 2 anchors per
// cell, 3 classes): the box head attached to the model, the RPN terms recomputed from the outputs,
// the RoI stage's terms and decoding recomputed from a known proposal, float64 gradients of every
// term, gradients reaching every parameter, and config errors naming their key.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/boxes/boxes_math.h"
#include "kernels/ops.h"
#include "losses/losses.h"
#include "nets/det/det_heads.h"
#include "tests/helpers.h"
#include "tests/nets/det/det_test_support.h"
#include "train/experiment.h"

using namespace oc;

namespace {

constexpr int64_t kA = 2, kG = 8, kR = kG * kG * kA, kClasses = 3;

json config() { return test::tiny_two_stage_config(); }

// Random outputs of the tiny model: features [B, 6, 8, 8], objectness [B, 2, 8, 8], deltas [B, 8, 8, 8].
std::vector<Tensor> outputs(int64_t B, uint64_t seed, DType dt = DType::f32) {
  return {test::rand({B, 6, kG, kG}, seed, -1, 1, dt), test::rand({B, kA, kG, kG}, seed + 1, -2, 2, dt),
          test::rand({B, 4 * kA, kG, kG}, seed + 2, -0.3, 0.3, dt)};
}

Tensor boxes(const std::vector<std::vector<double>>& objects, int64_t B, int64_t M = 3) {
  std::vector<float> v(B * M * 5, -1.0f);
  for (size_t k = 0; k < objects.size(); ++k)
    for (int c = 0; c < 5; ++c) v[k * 5 + c] = static_cast<float>(objects[k][c]);
  return from_vector(v, {B, M, 5});
}

double bce(double logit, double target) {
  return std::log1p(std::exp(-std::fabs(logit))) + std::max(logit, 0.0) - logit * target;
}
double smooth_l1(double d) {
  const double beta = 1.0 / 9, a = std::fabs(d);
  return a < beta ? 0.5 * a * a / beta : a - 0.5 * beta;
}
// The box coder's encoding of box g relative to reference r, with weights w (torchvision's BoxCoder).
std::array<double, 4> encode(const double* g, const double* r, const std::array<double, 4>& w) {
  const double rw = r[2] - r[0], rh = r[3] - r[1], gw = g[2] - g[0], gh = g[3] - g[1];
  return {w[0] * ((g[0] + 0.5 * gw) - (r[0] + 0.5 * rw)) / rw, w[1] * ((g[1] + 0.5 * gh) - (r[1] + 0.5 * rh)) / rh,
          w[2] * std::log(gw / rw), w[3] * std::log(gh / rh)};
}
// ... and its decoding (no clip needed for the small deltas here).
std::array<double, 4> decode(const double* d, const double* r, const std::array<double, 4>& w) {
  const double rw = r[2] - r[0], rh = r[3] - r[1];
  const double cx = d[0] / w[0] * rw + r[0] + 0.5 * rw, cy = d[1] / w[1] * rh + r[1] + 0.5 * rh;
  const double pw = std::exp(d[2] / w[2]) * rw, ph = std::exp(d[3] / w[3]) * rh;
  return {cx - 0.5 * pw, cy - 0.5 * ph, cx + 0.5 * pw, cy + 0.5 * ph};
}

test::TinyDetector tiny(const json& c = config()) { return test::tiny_detector(c, "frcnn.json"); }

}  // namespace

TEST_CASE("faster_rcnn: the box head is attached to the model and leaves the backbone's initialization alone") {
  test::TinyDetector t = tiny();
  REQUIRE(t.e.model->attached("box_head"));
  CHECK(t.e.model->attached("box_head")->input_shape() == (Shape{6, 3, 3}));
  bool found = false;
  for (const auto& [name, p] : t.e.model->named_parameters()) found |= name == "box_head.cls.weight";
  CHECK(found);
  CHECK(t.e.model->num_parameters() > t.e.model->attached("box_head")->num_parameters());
  CHECK(t.e.model->summary().find("box_head (attached, input [6, 3, 3]") != std::string::npos);
  // The same model under the yolo head (nothing attached) draws the same backbone parameters.
  json y = config();
  for (const char* key : {"rpn", "roi", "box_head", "anchor_sizes", "aspect_ratios"}) y["task"].erase(key);
  y["task"]["head"] = "yolo";
  Experiment plain = experiment_from_json(y, "yolo.json");
  REQUIRE(!plain.model->attached("box_head"));
  const NamedTensors a = plain.model->named_parameters(), b = t.e.model->named_parameters();
  REQUIRE(b.size() > a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO(a[i].first);
    REQUIRE(a[i].first == b[i].first);
    REQUIRE_CLOSE(a[i].second, b[i].second, 0, 0);
  }
  // Loading values by name covers the attached network (as checkpoints do).
  json other = config();
  other["train"]["seed"] = 4;
  Experiment o = experiment_from_json(other, "o.json");
  o.model->load_values(t.e.model->named_parameters(), "t");
  REQUIRE_CLOSE(o.model->attached("box_head")->named_parameters()[0].second,
                t.e.model->attached("box_head")->named_parameters()[0].second, 0, 0);
}

TEST_CASE("faster_rcnn: the RPN terms recomputed from the outputs, anchors matched and every anchor sampled") {
  test::TinyDetector t = tiny();
  const std::vector<Tensor> out = outputs(2, 11);
  const Tensor gt = boxes({{0, 5, 6, 14, 13}, {2, 16, 10, 31, 27}, {-1, 0, 0, 0, 0}, {1, 2, 18, 12, 30}}, 2);
  const DetLoss l = t.head->loss(out, gt);
  const std::vector<double> anchors =
      to_vector<double>(anchors_for_image({{8, 16}}, {{1}}, {{kG, kG}}, 32, 32, DType::f64));
  const std::vector<double> obj = to_vector<double>(out[1]), del = to_vector<double>(out[2]);
  const std::vector<std::vector<std::vector<double>>> truth = {{{5, 6, 14, 13}, {16, 10, 31, 27}}, {{2, 18, 12, 30}}};
  double object = 0, box = 0;
  int64_t sampled = 0, positives = 0;
  for (int64_t b = 0; b < 2; ++b) {
    const auto& g = truth[b];
    std::vector<double> row_max(g.size(), -1);
    for (size_t k = 0; k < g.size(); ++k)
      for (int64_t r = 0; r < kR; ++r) row_max[k] = std::max(row_max[k], box_pair_iou(g[k].data(), &anchors[4 * r], false));
    for (int64_t r = 0; r < kR; ++r) {
      double best = -1;
      size_t arg = 0;
      bool ties = false;
      for (size_t k = 0; k < g.size(); ++k) {
        const double iou = box_pair_iou(g[k].data(), &anchors[4 * r], false);
        if (iou > best) best = iou, arg = k;
        ties |= iou == row_max[k];
      }
      const int64_t a = r % kA, cell = r / kA, y = cell / kG, x = cell % kG;
      const double logit = obj[((b * kA + a) * kG + y) * kG + x];
      if (ties || best >= 0.7) {
        object += bce(logit, 1), ++sampled, ++positives;
        const std::array<double, 4> want = encode(g[arg].data(), &anchors[4 * r], {1, 1, 1, 1});
        for (int k = 0; k < 4; ++k) box += smooth_l1(del[((b * 4 * kA + 4 * a + k) * kG + y) * kG + x] - want[k]);
      } else if (best < 0.3) {
        object += bce(logit, 0), ++sampled;
      }
    }
  }
  INFO(positives << " positive anchors of " << sampled << " sampled");
  REQUIRE(positives >= 3);
  CHECK(test::loss_term(l, "rpn_object") == Approx(object / sampled).epsilon(1e-5));
  CHECK(test::loss_term(l, "rpn_box") == Approx(box / sampled).epsilon(1e-5));
}

TEST_CASE("faster_rcnn: the RoI terms and decoding recomputed from one known proposal") {
  json c = config();
  c["task"]["rpn"]["post_nms_top_k_train"] = 1;
  c["task"]["rpn"]["post_nms_top_k_test"] = 1;
  c["task"]["score_threshold"] = 0;
  test::TinyDetector t = tiny(c);
  std::vector<Tensor> out = outputs(1, 21);
  // Anchor 1 (size 16) of cell (y 3, x 4) gets the best objectness: the only proposal is that anchor
  // moved by its deltas.
  std::vector<double> obj = to_vector<double>(out[1]);
  obj[(1 * kG + 3) * kG + 4] = 5;
  out[1] = to(from_vector(obj, {1, kA, kG, kG}), DType::f32);
  const std::vector<double> del = to_vector<double>(out[2]);
  double d[4];
  for (int k = 0; k < 4; ++k) d[k] = del[((4 * 1 + k) * kG + 3) * kG + 4];
  const double anchor[4] = {16 - 8, 12 - 8, 16 + 8, 12 + 8};
  const std::array<double, 4> proposal = decode(d, anchor, {1, 1, 1, 1});
  for (double v : proposal) REQUIRE((v > 0 && v < 32));  // inside the image: no clipping

  // Training: the RoIs are the proposal and the two ground truths, classes by IoU >= 0.5.
  const std::vector<std::vector<double>> g = {{7, 5, 25, 19}, {1, 1, 9, 12}};
  const Tensor gt = boxes({{2, 7, 5, 25, 19}, {0, 1, 1, 9, 12}}, 1);
  const DetLoss l = t.head->loss(out, gt);
  std::vector<std::vector<double>> rois = {std::vector<double>(proposal.begin(), proposal.end()), g[0], g[1]};
  std::vector<int64_t> cls;
  std::vector<int> match;
  for (const auto& r : rois) {
    double best = -1;
    int arg = -1;
    for (int k = 0; k < 2; ++k)
      if (box_pair_iou(g[k].data(), r.data(), false) > best) best = box_pair_iou(g[k].data(), r.data(), false), arg = k;
    match.push_back(best >= 0.5 ? arg : -1);
    cls.push_back(best >= 0.5 ? (arg == 0 ? 3 : 1) : 0);
  }
  // The sampler lists positives first, then negatives.
  std::vector<size_t> order;
  for (size_t i = 0; i < rois.size(); ++i)
    if (cls[i] > 0) order.push_back(i);
  for (size_t i = 0; i < rois.size(); ++i)
    if (cls[i] == 0) order.push_back(i);
  std::vector<double> flat;
  std::vector<int64_t> targets;
  for (size_t i : order) {
    flat.push_back(0);
    flat.insert(flat.end(), rois[i].begin(), rois[i].end());
    targets.push_back(cls[i]);
  }
  const int64_t K = static_cast<int64_t>(order.size());
  RoiAlignParams p;
  p.pooled_h = p.pooled_w = 3, p.spatial_scale = 0.25, p.sampling_ratio = 2;
  Network& box_head = *t.e.model->attached("box_head");
  std::vector<Tensor> heads =
      forward_outputs(box_head, roi_align(out[0], to(from_vector(flat, {K, 5}), DType::f32), p));
  CHECK(test::loss_term(l, "class") == Approx(item<double>(cross_entropy(heads[0], from_vector(targets, {K})))).epsilon(1e-5));
  const std::vector<double> pred = to_vector<double>(heads[1]);
  double box = 0;
  for (int64_t k = 0; k < K; ++k) {
    if (targets[k] == 0) continue;
    const std::array<double, 4> want = encode(g[match[order[k]]].data(), rois[order[k]].data(), {10, 10, 5, 5});
    for (int j = 0; j < 4; ++j) box += smooth_l1(pred[k * 12 + 4 * (targets[k] - 1) + j] - want[j]);
  }
  CHECK(test::loss_term(l, "box") == Approx(box / K).epsilon(1e-5));

  // Decoding (eval mode): the same proposal alone; its best class's box, scored by the softmax.
  t.e.model->eval();
  const std::vector<Detection> found = t.head->decode(out)[0];
  REQUIRE(!found.empty());
  std::vector<Tensor> one = forward_outputs(
      box_head, roi_align(out[0], to(from_vector(std::vector<double>{0, proposal[0], proposal[1], proposal[2], proposal[3]},
                                                 {1, 5}), DType::f32), p));
  const std::vector<double> probs = to_vector<double>(softmax(one[0], 1)), deltas = to_vector<double>(one[1]);
  int64_t best = 1;
  for (int64_t c = 2; c <= kClasses; ++c)
    if (probs[c] > probs[best]) best = c;
  CHECK(found[0].label == best - 1);
  CHECK(found[0].score == Approx(probs[best]).epsilon(1e-5));
  std::array<double, 4> want = decode(&deltas[4 * (best - 1)], proposal.data(), {10, 10, 5, 5});
  for (double& v : want) v = std::clamp(v, 0.0, 32.0);
  CHECK(found[0].x1 == Approx(want[0]).epsilon(1e-4));
  CHECK(found[0].y1 == Approx(want[1]).epsilon(1e-4));
  CHECK(found[0].x2 == Approx(want[2]).epsilon(1e-4));
  CHECK(found[0].y2 == Approx(want[3]).epsilon(1e-4));
  CHECK(static_cast<int64_t>(found.size()) <= kClasses);  // one proposal: at most one box per class
}

TEST_CASE("faster_rcnn: float64 gradients of the loss by finite differences") {
  test::TinyDetector t = tiny();
  t.e.model->to(DType::f64);
  const Tensor gt = boxes({{0, 5, 6, 14, 13}, {2, 16, 10, 31, 27}, {-1, 0, 0, 0, 0}, {1, 2, 18, 12, 30}}, 2);
  std::vector<Tensor> in = outputs(2, 31, DType::f64);
  for (Tensor& x : in) x = x.detach().set_requires_grad();
  // Features and objectness: every term (small steps keep the proposals and their order).
  REQUIRE_GRADCHECK([&](const std::vector<Tensor>& v) { return t.head->loss({v[0], v[1], in[2]}, gt).total; },
                    {in[0], in[1]}, 1e-6, 1e-7, 1e-5);
  // Deltas: the RPN box term (the proposals they move take no gradient, by design).
  REQUIRE_GRADCHECK(
      [&](const std::vector<Tensor>& v) {
        const DetLoss l = t.head->loss({in[0], in[1], v[0]}, gt);
        return l.terms[1].second;
      },
      {in[2]}, 1e-6, 1e-7, 1e-5);
}

TEST_CASE("faster_rcnn: one backward pass reaches every parameter of the backbone, the RPN and the box head") {
  test::TinyDetector t = tiny();
  const Tensor x = test::rand({2, 3, 32, 32}, 41);
  const Tensor gt = boxes({{0, 5, 6, 14, 13}, {2, 16, 10, 31, 27}, {-1, 0, 0, 0, 0}, {1, 2, 18, 12, 30}}, 2);
  t.head->loss(forward_outputs(*t.e.model, x), gt).total.backward();
  for (const auto& [name, p] : t.e.model->named_parameters()) {
    INFO(name);
    REQUIRE(p.grad().defined());
    CHECK(item<double>(sum(abs(p.grad()))) > 0);
  }
}

TEST_CASE("faster_rcnn: config errors name the key and the shapes") {
  json c = config();
  c["task"].erase("box_head");
  test::require_error([&] { experiment_from_json(c, "f.json"); }, {"f.json: task.box_head", "box head network"});
  c = config();
  c["task"]["rpn"]["bg_iou"] = 0.8;
  test::require_error([&] { experiment_from_json(c, "f.json"); }, {"task.rpn.bg_iou", "must not exceed fg_iou"});
  c = config();
  c["task"]["roi"]["batch_sise"] = 4;
  test::require_error([&] { experiment_from_json(c, "f.json"); }, {"task.roi.batch_sise", "batch_size"});
  c = config();
  c["task"]["aspect_ratios"] = json::array();
  test::require_error([&] { experiment_from_json(c, "f.json"); }, {"task.aspect_ratios", "at least one"});
  c = config();
  c["task"]["head"] = "yolo";
  test::require_error([&] { experiment_from_json(c, "f.json"); }, {"task.", "only the faster_rcnn and mask_rcnn heads read it"});
  c = config();
  c["task"]["mask_weight"] = 2;
  test::require_error([&] { experiment_from_json(c, "f.json"); }, {"task.mask_weight", "only the mask_rcnn head reads it"});
  c = config();
  c["task"]["box_head"]["layers"][3]["out_features"] = 3;
  Experiment e = experiment_from_json(c, "f.json");
  test::require_error([&] { make_det_head(e.task.det, *e.model, kClasses, "f.json"); },
                      {"f.json: task.box_head.outputs", "class logits [4]", "box deltas [12]"});
  c = config();
  c["model"]["layers"][5]["out_channels"] = 3;
  e = experiment_from_json(c, "f.json");
  test::require_error([&] { make_det_head(e.task.det, *e.model, kClasses, "f.json"); },
                      {"\"objectness\"", "[2, 8, 8]", "[3, 8, 8]", "1 aspect ratios"});
}
