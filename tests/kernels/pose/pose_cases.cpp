// The pose case table: render_heatmaps on random keypoints (spread over and a little past the map,
// some missing) against a plain double reference, and CUDA against the CPU. PyTorch has no such op,
// and the renders carry no gradient. The decoders (render_pafs' band edges, find_peaks,
// paf_limb_scores' fraction) need tie-aware CUDA checks: hand tests, test_pose_cuda.cpp.
#include <cmath>
#include <random>

#include "kernels/pose/pose.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

// Input-pixel centre of cell i at stride s.
double centre(double i, double s) { return i * s + (s - 1) / 2; }

// render_heatmaps by its definition: every cell, every person, the 3-sigma square.
Tensor heatmaps_reference(const Tensor& keypoints, int64_t h, int64_t w, double s, double sigma) {
  const int64_t n = keypoints.size(0), p = keypoints.size(1), k = keypoints.size(2);
  const std::vector<double> kp = to_vector<double>(contiguous(keypoints));
  std::vector<double> out(static_cast<size_t>(n * k * h * w), 0.0);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t j = 0; j < k; ++j)
      for (int64_t i = 0; i < h; ++i)
        for (int64_t c = 0; c < w; ++c)
          for (int64_t q = 0; q < p; ++q) {
            const double* t = &kp[static_cast<size_t>(((b * p + q) * k + j) * 3)];
            const double dx = centre(c, s) - t[0], dy = centre(i, s) - t[1];
            if (t[2] <= 0 || std::abs(dx) > 3 * sigma || std::abs(dy) > 3 * sigma) continue;
            double& o = out[static_cast<size_t>(((b * k + j) * h + i) * w + c)];
            o = std::max(o, std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)));
          }
  return from_vector(out, {n, k, h, w});
}

// keypoints [N, P, K, 3] from `seed`: x and y spread over (and 8 px past) an h x w map of stride s,
// v = 0 (missing) for about a quarter, else 2.
OpCase heatmaps(const Shape& kp, int64_t h, int64_t w, double s, double sigma) {
  OpCase c;
  c.op = "render_heatmaps";
  c.shapes = {kp};
  c.params = {{"out", std::vector<int64_t>{h, w}}, {"stride", s}, {"sigma", sigma}};
  c.inputs = [kp, h, w, s](DType dt, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> v;
    for (int64_t i = 0; i < kp[0] * kp[1] * kp[2]; ++i) {
      v.push_back(-8 + u(rng) * (w * s + 16));
      v.push_back(-8 + u(rng) * (h * s + 16));
      v.push_back(u(rng) < 0.25 ? 0.0 : 2.0);
    }
    return std::vector<Tensor>{to(from_vector(v, kp), dt)};
  };
  c.run = [h, w, s, sigma](const std::vector<Tensor>& in) { return render_heatmaps(in[0], h, w, s, sigma); };
  c.reference = [h, w, s, sigma](const std::vector<Tensor>& in) { return heatmaps_reference(in[0], h, w, s, sigma); };
  // One exp per cell: float64 to rounding, float32 to a few ulp (the 3-sigma window's edge could
  // flip a cell of value e^-4.5 where float and double 3 sigma differ: a measure-zero band).
  c.fwd64 = {1e-15, 1e-14}, c.fwd32 = {2e-6, 2e-6};
  // CUDA: one exp (expf within 2 ulp) of an argument a contracted multiply-add may move by an ulp;
  // strides 4 and 2.5 keep cell centres exact on both devices, so the window is the same cell set.
  c.cuda32 = {2e-6, 2e-6}, c.cuda64 = {1e-14, 1e-13};
  c.parity_grads = false;
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(pose) {
  std::vector<OpCase> t;
  // Strides 1, 4 and 2.5, maps cut at the border.
  for (double s : {1.0, 4.0, 2.5}) {
    OpCase c = heatmaps({2, 3, 4, 3}, 9, 11, s, 2.7);
    c.parity = s != 1.0;
    t.push_back(c);
  }
  // CUDA: 17 joints of 4 people over 23x31 maps, two sigmas.
  for (double s : {4.0, 2.5})
    for (double sigma : {2.0, 7.0}) t.push_back(heatmaps({3, 4, 17, 3}, 23, 31, s, sigma));
  return t;
}
