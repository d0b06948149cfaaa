// The case table of roi_align and roi_pool: aligned true and false, sampling 0 (adaptive), 1, 2,
// spatial scales 1, 1/4, 1/16, boxes inside, straddling, outside and degenerate (zero-size,
// inverted, sub-pixel), 1x1 maps, empty box lists, batch indices > 0 and non-contiguous features,
// against the loops of the definitions (roi_align_reference.h), by float64 finite differences,
// against torchvision (tools/goldens/roi_align.py), CUDA against the CPU, and the benchmark shapes.
#include <algorithm>
#include <cmath>

#include "kernels/roi_align/roi_align.h"
#include "tests/kernels/roi_align/roi_align_reference.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

using Ints = std::vector<int64_t>;

// Boxes are stored as int64 in 1/1024 image pixel (tools/goldens/roi_align.py divides alike) and
// turned into the features' dtype by the rows' functions: exact in float32 and float64 (every dtype
// and device sees the same boxes, so the adaptive grid's ceil and RoIPool's rounding decide alike),
// and constants to the gradient check and the goldens (torchvision gives boxes no gradient).
constexpr double kBoxUnit = 1024;

Tensor boxes_of(const Tensor& stored, DType dtype) { return div(to(stored, dtype), kBoxUnit); }

// K boxes [batch, x1, y1, x2, y2] on images of img_h x img_w pixels, batch indices in [0, n):
//   around      centres in [-0.1, 1.1] of the image, sides 5% to 65% of it: mostly inside, some straddling
//   edge        centres in [-0.5, 1.5]: straddling the borders, or wholly outside
//   degenerate  zero-size, inverted (x2 < x1, y2 < y1) and sub-pixel (under one feature pixel) boxes
//   mixed       the three in turn
Tensor draw_boxes(int64_t k, int64_t n, double img_h, double img_w, double scale, const std::string& kind,
                  uint64_t seed) {
  const std::vector<double> u = to_vector<double>(rand({std::max<int64_t>(k, 1), 6}, seed, 0, 1, DType::f64));
  static const char* kMixed[] = {"around", "edge", "degenerate"};
  std::vector<int64_t> v;
  for (int64_t i = 0; i < k; ++i) {
    const double* r = &u[6 * i];
    const std::string how = kind == "mixed" ? kMixed[i % 3] : kind;
    double cx, cy, bw, bh;
    if (how == "around" || how == "edge") {
      const double lo = how == "around" ? -0.1 : -0.5, span = how == "around" ? 1.2 : 2.0;
      cx = (lo + span * r[1]) * img_w, cy = (lo + span * r[2]) * img_h;
      bw = (0.05 + 0.6 * r[3]) * img_w, bh = (0.05 + 0.6 * r[4]) * img_h;
    } else {
      OC_CHECK(how == "degenerate", "draw_boxes: unknown kind ", how);
      cx = (-0.1 + 1.2 * r[1]) * img_w, cy = (-0.1 + 1.2 * r[2]) * img_h;
      const double pixel = 1 / scale;  // one feature pixel, in image pixels
      const int form = static_cast<int>(r[5] * 3);
      bw = form == 0 ? 0 : (form == 1 ? -0.3 * r[3] * img_w : r[3] * pixel);
      bh = form == 0 ? r[4] * pixel : (form == 1 ? -0.3 * r[4] * img_h : r[4] * pixel);
    }
    const auto q = [](double x) { return static_cast<int64_t>(std::llround(x * kBoxUnit)); };
    v.insert(v.end(), {q(std::min<double>(std::floor(r[0] * n), n - 1)), q(cx - bw / 2), q(cy - bh / 2), q(cx + bw / 2),
                       q(cy + bh / 2)});
  }
  return from_vector(v, {k, 5});
}

struct Roi {
  std::string op;  // "roi_align" or "roi_pool"
  Shape x;         // features [N, C, H, W]
  int64_t k = 8;
  Ints out = {3, 2};
  double scale = 1;
  int64_t sampling = 2;  // roi_align only
  bool aligned = false;  // roi_align only
  std::string boxes = "mixed";
  bool nhwc = false;  // features given as NHWC storage, read through a permutation
};

OpCase roi_row(const Roi& s) {
  OpCase c;
  c.op = s.op;
  const Shape x = s.nhwc ? Shape{s.x[0], s.x[2], s.x[3], s.x[1]} : s.x;
  c.shapes = {x, {s.k, 5}};
  c.params["out"] = s.out;
  c.params["scale"] = s.scale;
  const bool align = s.op == "roi_align";
  if (align) c.params["sampling"] = s.sampling, c.params["aligned"] = s.aligned;
  c.params["boxes"] = s.boxes;
  if (s.nhwc) c.params["permute"] = Ints{0, 3, 1, 2};
  const Shape feat = s.x;
  c.inputs = [s, x, feat](DType dt, uint64_t seed) {
    const double img_h = double(feat[2]) / s.scale, img_w = double(feat[3]) / s.scale;
    return std::vector<Tensor>{to(rand(x, seed, -1, 1, DType::f64), dt),
                               draw_boxes(s.k, feat[0], img_h, img_w, s.scale, s.boxes, seed + 1)};
  };
  const RoiAlignParams ap{s.out[0], s.out[1], s.scale, s.sampling, s.aligned};
  const RoiPoolParams pp{s.out[0], s.out[1], s.scale};
  const bool nhwc = s.nhwc;
  auto features = [nhwc](const Tensor& t) { return nhwc ? permute(t, {0, 3, 1, 2}) : t; };
  c.run = [=](const std::vector<Tensor>& in) {
    const Tensor b = boxes_of(in[1], in[0].dtype());
    return align ? roi_align(features(in[0]), b, ap) : roi_pool(features(in[0]), b, pp);
  };
  c.reference = [=](const std::vector<Tensor>& in) {
    const Tensor b = boxes_of(in[1], DType::f64);
    return align ? ref_roi_align(features(in[0]), b, ap) : ref_roi_pool(features(in[0]), b, pp);
  };
  // roi_align, float64: the reference places samples by another rounding of the same formula (1e-15
  // pixel); float32: sample coordinates to 6e-8 relative (up to ~1e-5 pixel on the larger maps)
  // times slopes of up to 2 per pixel. roi_pool picks one input value: exact.
  // Gradients: roi_align is linear in the features, so central differences are exact but for the
  // rounding of sum(w * y) (a few units) over 2 eps; roi_pool's argmax does not move under eps on
  // tie-free inputs.
  // CUDA runs the same math in the same order: roi_align's forward differs by the contraction of
  // its 4-term bilinear sums into multiply-adds; gradients by the order of the atomic adds.
  c.eps = 1e-4;
  if (align) {
    c.fwd64 = {1e-12, 1e-12}, c.fwd32 = {5e-5, 5e-5};
    c.cuda32 = {1e-6, 1e-6}, c.cuda32_grad = {1e-6, 1e-5};
    c.cuda64 = {1e-14, 1e-13}, c.cuda64_grad = {1e-14, 1e-13};
  } else {
    c.fwd64 = c.fwd32 = kExact;
    c.cuda32 = c.cuda64 = kExact;
    c.cuda32_grad = {1e-6, 1e-6}, c.cuda64_grad = {1e-15, 1e-14};
  }
  c.grad = {1e-9, 1e-8};
  return c;
}

Roi align(const Shape& x, double scale, int64_t sampling, bool aligned, const std::string& boxes = "mixed") {
  Roi r;
  r.op = "roi_align", r.x = x, r.scale = scale, r.sampling = sampling, r.aligned = aligned, r.boxes = boxes;
  return r;
}
Roi pool(const Shape& x, double scale, const std::string& boxes = "mixed") {
  Roi r;
  r.op = "roi_pool", r.x = x, r.scale = scale, r.boxes = boxes;
  return r;
}
Roi with_out(Roi r, int64_t ph, int64_t pw) {
  r.out = {ph, pw};
  return r;
}
Roi with_k(Roi r, int64_t k) {
  r.k = k;
  return r;
}

constexpr double kScales[] = {1, 0.25, 0.0625};

}  // namespace
}  // namespace oc::test

OC_OP_CASES(roi_align) {
  std::vector<OpCase> t;
  auto add = [&t](const Roi& r, bool gradient, bool golden) { t.push_back(with_checks(roi_row(r), gradient, golden)); };
  // Every aligned x sampling x scale, boxes of every kind: forward against the reference, float64
  // finite differences, torchvision, CUDA.
  for (bool aligned : {false, true})
    for (int64_t sampling : {0, 1, 2})
      for (double scale : kScales) {
        add(align({2, 3, 6, 7}, scale, sampling, aligned), true, true);
        add(with_out(with_k(align({3, 2, 9, 11}, scale, sampling, aligned), 12), 2, 3), false, true);
      }
  for (bool aligned : {false, true})
    for (const char* kind : {"around", "edge", "degenerate"}) {
      add(with_out(with_k(align({2, 2, 8, 6}, 0.25, 0, aligned, kind), 9), 4, 3), true, true);
      add(with_out(with_k(align({2, 2, 8, 6}, 1, 2, aligned, kind), 9), 7, 7), false, true);
    }
  for (double scale : kScales) {
    add(pool({2, 3, 6, 7}, scale), true, true);
    add(with_out(with_k(pool({3, 2, 9, 11}, scale), 12), 2, 3), false, true);
    add(with_out(with_k(pool({2, 2, 13, 10}, scale), 10), 7, 7), true, true);
  }
  for (const char* kind : {"around", "edge", "degenerate"}) add(with_out(with_k(pool({2, 2, 8, 6}, 0.25, kind), 9), 4, 3), true, true);
  // Edge shapes: 1x1 maps (every sample clamps to the one pixel or falls outside), no boxes at all,
  // an output larger than the map, a single channel.
  for (bool aligned : {false, true}) {
    add(with_out(align({2, 2, 1, 1}, 1, 0, aligned, "edge"), 2, 2), true, true);
    add(with_out(align({2, 2, 1, 1}, 0.25, 2, aligned, "around"), 3, 3), true, true);
    add(with_k(align({2, 3, 5, 5}, 0.25, 2, aligned), 0), true, true);
    add(with_out(with_k(align({1, 1, 4, 3}, 1, 0, aligned, "around"), 5), 9, 8), true, true);
  }
  add(with_out(pool({2, 2, 1, 1}, 1, "edge"), 2, 2), true, true);
  add(with_k(pool({2, 3, 5, 5}, 0.25), 0), true, true);
  add(with_out(with_k(pool({1, 1, 4, 3}, 1, "around"), 5), 9, 8), true, true);
  // Non-contiguous features: [N, H, W, C] storage read as [N, C, H, W].
  for (bool aligned : {false, true}) {
    Roi r = with_k(align({2, 5, 7, 6}, 0.25, 0, aligned), 10);
    r.nhwc = true;
    add(r, true, false);
  }
  Roi pn = with_k(pool({2, 5, 7, 6}, 0.25), 10);
  pn.nhwc = true;
  add(pn, true, false);

  // CUDA against the CPU on larger maps (many boxes on the same pixels: the atomic adds meet).
  for (bool aligned : {false, true})
    for (int64_t sampling : {0, 2})
      t.push_back(roi_row(with_out(with_k(align({2, 16, 25, 34}, 0.125, sampling, aligned), 64), 7, 7)));
  t.push_back(roi_row(with_out(with_k(pool({2, 16, 25, 34}, 0.125), 64), 7, 7)));

  // `ocellus bench roi_align` / `roi_pool`: 1000 boxes over a stride-16 map of an 800x1088 image
  // pair, 256 channels, 7x7 bins (torchvision's MultiScaleRoIAlign: sampling 2, not aligned).
  // CUDA parity in float32 at emulation size.
  for (const char* op : {"roi_align", "roi_pool"}) {
    Roi r = std::string(op) == "roi_align" ? align({2, 256, 50, 68}, 0.0625, 2, false, "around")
                                           : pool({2, 256, 50, 68}, 0.0625, "around");
    OpCase b = roi_row(with_out(with_k(r, 1000), 7, 7));
    b.bench = true;
    // RoIPool's 7-bin edges ceil(7 * (size / 7)) round differently in float32 and float64 for some
    // sizes (29, 57, 58, ...; torchvision's own rule, test_roi_align.cpp): RoIs this large reach
    // them, and the float64 reference cannot stand for float32 there. The rows above keep under 29.
    if (std::string(op) == "roi_pool") b.reference = nullptr;
    b.parity = !OCELLUS_CUDA_EMULATED;
    b.parity_dtypes = {DType::f32};
    t.push_back(b);
    OpCase e = roi_row(with_out(with_k(r, gpu_scale(1000, 100)), 7, 7));
    e.parity_dtypes = {DType::f32};
    if (OCELLUS_CUDA_EMULATED) t.push_back(e);
  }
  return t;
}
