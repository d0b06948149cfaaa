// The box op case table: pairwise and paired IoU / GIoU, area, clipping, small-box removal and the
// box coder, each against the float64 definition (boxes_reference.h), by finite differences where
// differentiable, against torchvision (tools/goldens/boxes.py), CUDA against CPU, and the bench shape.
#include "kernels/boxes/boxes.h"
#include "tests/kernels/boxes/boxes_reference.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

// Boxes: corners U(0, 50), sides U(1, 30): about half the pairs of two sets overlap.
MakeInputs box_inputs(std::vector<int64_t> counts, double extent = 50, double min_size = 1, double max_size = 30) {
  return [=](DType dt, uint64_t seed) {
    std::vector<Tensor> in;
    for (size_t i = 0; i < counts.size(); ++i)
      in.push_back(random_boxes(counts[i], seed + 10 * i, dt, extent, min_size, max_size));
    return in;
  };
}

OpCase iou_row(const std::string& op, int64_t n, int64_t m) {
  const bool generalized = op.find("generalized") == 0, paired = op.find("paired") != std::string::npos;
  OpCase c;
  c.op = op;
  c.shapes = {{n, 4}, {m, 4}};
  c.inputs = box_inputs({n, m});
  c.run = [generalized, paired](const std::vector<Tensor>& in) {
    if (paired) return generalized ? generalized_box_iou_paired(in[0], in[1]) : box_iou_paired(in[0], in[1]);
    return generalized ? generalized_box_iou(in[0], in[1]) : box_iou(in[0], in[1]);
  };
  c.reference = [generalized, paired](const std::vector<Tensor>& in) {
    const std::vector<RefBox> a = ref_boxes(in[0]), b = ref_boxes(in[1]);
    std::vector<double> v;
    for (size_t i = 0; i < a.size(); ++i)
      for (size_t j = paired ? i : 0; j < (paired ? i + 1 : b.size()); ++j) v.push_back(ref_iou(a[i], b[j], generalized));
    return from_vector(v, paired ? Shape{static_cast<int64_t>(a.size())} : Shape{static_cast<int64_t>(a.size()),
                                                                                  static_cast<int64_t>(b.size())});
  };
  // float32: intersections are differences of coordinates up to 80 (~5e-6 absolute each).
  c.fwd32 = {2e-5, 1e-4};
  // CUDA contracts multiply-adds (areas, unions): a few ulps; the pairwise gradients sum M terms.
  c.cuda32 = {1e-6, 1e-5}, c.cuda32_grad = {1e-5, 1e-4};
  c.cuda64 = {1e-14, 1e-12}, c.cuda64_grad = {1e-13, 1e-10};
  return c;
}

OpCase decode_row(int64_t n, int64_t k, const BoxCoderWeights& w, double delta_scale) {
  OpCase c;
  c.op = "decode_boxes";
  c.shapes = {{n, 4 * k}, {n, 4}};
  c.params = {{"weights", {w.wx, w.wy, w.ww, w.wh}}, {"deltas", delta_scale}};
  c.inputs = [=](DType dt, uint64_t seed) {
    return std::vector<Tensor>{rand({n, 4 * k}, seed, -delta_scale, delta_scale, dt), random_boxes(n, seed + 1, dt)};
  };
  c.run = [w](const std::vector<Tensor>& in) { return decode_boxes(in[0], in[1], w); };
  c.reference = [w](const std::vector<Tensor>& in) {
    const std::vector<double> d = to_vector<double>(contiguous(in[0]));
    const std::vector<RefBox> r = ref_boxes(in[1]);
    const int64_t k4 = in[0].size(1);
    std::vector<double> out(d.size());
    for (size_t q = 0; q < d.size() / 4; ++q) {
      const RefBox& b = r[q * 4 / k4];
      const double bw = b.x2 - b.x1, bh = b.y2 - b.y1, cx = b.x1 + 0.5 * bw, cy = b.y1 + 0.5 * bh;
      const double x = d[4 * q] / w.wx * bw + cx, y = d[4 * q + 1] / w.wy * bh + cy;
      const double pw = std::exp(std::min(d[4 * q + 2] / w.ww, kBoxDecodeClip)) * bw;
      const double ph = std::exp(std::min(d[4 * q + 3] / w.wh, kBoxDecodeClip)) * bh;
      out[4 * q] = x - pw / 2, out[4 * q + 1] = y - ph / 2, out[4 * q + 2] = x + pw / 2, out[4 * q + 3] = y + ph / 2;
    }
    return from_vector(out, in[0].shape());
  };
  // Decoded corners reach exp(clip) x 30 ~ 1900 px: float32 keeps ~1e-4 there.
  c.fwd32 = {1e-3, 1e-5};
  c.cuda32 = {1e-4, 1e-6}, c.cuda32_grad = {1e-4, 1e-5};
  c.cuda64 = {1e-12, 1e-13}, c.cuda64_grad = {1e-12, 1e-12};
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(boxes) {
  std::vector<OpCase> t;
  for (const char* op : {"box_iou", "generalized_box_iou"}) {
    for (auto [n, m] : {std::pair<int64_t, int64_t>{5, 7}, {1, 1}}) t.push_back(with_checks(iou_row(op, n, m)));
    // The checked sum of 2400 weighted IoUs is ~1e3: central differences round to ~1e3 x 1e-16 / 1e-6.
    OpCase wide = with_checks(iou_row(op, 40, 60));
    wide.grad = {1e-6, 1e-5};
    t.push_back(wide);
    t.push_back(iou_row(op, 0, 3));
    t.push_back(iou_row(op, 300, 257));
  }
  for (const char* op : {"box_iou_paired", "generalized_box_iou_paired"}) {
    t.push_back(with_checks(iou_row(op, 9, 9)));
    t.push_back(iou_row(op, 1000, 1000));
  }
  // Identical, nested, touching and disjoint pairs: the edges of the min / max and of the clamp.
  {
    OpCase c = iou_row("generalized_box_iou", 4, 4);
    c.params["boxes"] = "by hand";
    c.inputs = [](DType dt, uint64_t) {
      const std::vector<double> a = {0, 0, 4, 4, 1, 1, 3, 2, 0, 0, 2, 2, 10, 10, 12, 13};
      const std::vector<double> b = {0, 0, 4, 4, 0, 0, 5, 5, 2, 0, 4, 2, 0, 1, 1, 3};
      return std::vector<Tensor>{to(from_vector(a, {4, 4}), dt), to(from_vector(b, {4, 4}), dt)};
    };
    c.parity_grads = false;  // ties split the gradient: checked by hand in test_boxes.cpp
    t.push_back(with_checks(c, false, true));
  }
  // Area and clipping (compositions of elementwise ops): boxes from -20 to 80 in a 40 x 50 image.
  {
    OpCase area;
    area.op = "box_area";
    area.shapes = {{6, 4}};
    area.inputs = box_inputs({6});
    area.run = [](const std::vector<Tensor>& in) { return box_area(in[0]); };
    area.reference = [](const std::vector<Tensor>& in) {
      std::vector<double> v;
      for (const RefBox& b : ref_boxes(in[0])) v.push_back((b.x2 - b.x1) * (b.y2 - b.y1));
      return from_vector(v, {in[0].size(0)});
    };
    t.push_back(with_checks(area));
    OpCase clip;
    clip.op = "clip_boxes_to_image";
    clip.shapes = {{2, 5, 4}};
    clip.params = {{"height", 40}, {"width", 50}};
    clip.inputs = [](DType dt, uint64_t seed) { return std::vector<Tensor>{rand({2, 5, 4}, seed, -20, 80, dt)}; };
    clip.run = [](const std::vector<Tensor>& in) { return clip_boxes_to_image(in[0], 40, 50); };
    clip.reference = [](const std::vector<Tensor>& in) {
      std::vector<double> v = to_vector<double>(contiguous(in[0]));
      for (size_t i = 0; i < v.size(); ++i) v[i] = std::clamp(v[i], 0.0, i % 2 == 0 ? 50.0 : 40.0);
      return from_vector(v, in[0].shape());
    };
    t.push_back(with_checks(clip));
  }
  // remove_small_boxes: sides U(0.5, 3) against min_size 1.5.
  {
    OpCase c;
    c.op = "remove_small_boxes";
    c.shapes = {{50, 4}};
    c.params = {{"min_size", 1.5}};
    c.inputs = box_inputs({50}, 50, 0.5, 3);
    c.run = [](const std::vector<Tensor>& in) { return remove_small_boxes(in[0], 1.5); };
    c.reference = [](const std::vector<Tensor>& in) {
      std::vector<int64_t> keep;
      const std::vector<RefBox> b = ref_boxes(in[0]);
      for (size_t i = 0; i < b.size(); ++i)
        if (b[i].x2 - b[i].x1 >= 1.5 && b[i].y2 - b[i].y1 >= 1.5) keep.push_back(static_cast<int64_t>(i));
      return from_vector(keep, {static_cast<int64_t>(keep.size())});
    };
    c.parity_grads = false;
    c.cuda32 = c.cuda64 = kExact;
    t.push_back(with_checks(c, false, true));
  }
  // The box coder: RPN and RoI-head weights, one and three boxes per reference, deltas within
  // U(-1, 1), and deltas up to 6 (dw / ww beyond the clip log(1000/16) ~ 4.14 for weights 1).
  for (const BoxCoderWeights& w : {kRpnBoxWeights, kRoiHeadBoxWeights})
    for (int64_t k : {1, 3}) t.push_back(with_checks(decode_row(7, k, w, 1)));
  // Corners up to exp(clip) x 30 ~ 1900 px, 120 of them summed (~1e5): differences round to ~1e-5.
  OpCase far = with_checks(decode_row(30, 1, kRpnBoxWeights, 6));
  far.grad = {2e-5, 1e-5};
  t.push_back(far);
  t.push_back(decode_row(5000, 2, kRoiHeadBoxWeights, 2));
  for (const BoxCoderWeights& w : {kRpnBoxWeights, kRoiHeadBoxWeights}) {
    OpCase c;
    c.op = "encode_boxes";
    c.shapes = {{8, 4}, {8, 4}};
    c.params = {{"weights", {w.wx, w.wy, w.ww, w.wh}}};
    c.inputs = box_inputs({8, 8});
    c.run = [w](const std::vector<Tensor>& in) { return encode_boxes(in[0], in[1], w); };
    c.reference = [w](const std::vector<Tensor>& in) {
      const std::vector<RefBox> b = ref_boxes(in[0]), r = ref_boxes(in[1]);
      std::vector<double> v;
      for (size_t i = 0; i < b.size(); ++i) {
        const double bw = b[i].x2 - b[i].x1, bh = b[i].y2 - b[i].y1, rw = r[i].x2 - r[i].x1, rh = r[i].y2 - r[i].y1;
        v.push_back(w.wx * ((b[i].x1 + 0.5 * bw) - (r[i].x1 + 0.5 * rw)) / rw);
        v.push_back(w.wy * ((b[i].y1 + 0.5 * bh) - (r[i].y1 + 0.5 * rh)) / rh);
        v.push_back(w.ww * std::log(bw / rw));
        v.push_back(w.wh * std::log(bh / rh));
      }
      return from_vector(v, in[0].shape());
    };
    c.fwd32 = {1e-4, 1e-4};
    c.parity_grads = false;
    c.cuda32 = {1e-5, 1e-5}, c.cuda64 = {1e-13, 1e-13};
    t.push_back(with_checks(c, false, true));
  }
  // `ocellus bench box_iou`: 1000 x 1000 boxes.
  OpCase bench = iou_row("box_iou", 1000, 1000);
  bench.bench = true;
  t.push_back(bench);
  return t;
}
