// Plain float64 definitions of the box ops for the tests (written from torchvision's documented
// formulas, independently of kernels/boxes/boxes_math.h), and box generators.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/ops.h"
#include "tests/numeric.h"

namespace oc::test {

struct RefBox {
  double x1, y1, x2, y2;
};

inline std::vector<RefBox> ref_boxes(const Tensor& t) {
  const std::vector<double> v = to_vector<double>(contiguous(to(to(t.detach(), Device::cpu()), DType::f64)));
  std::vector<RefBox> b(v.size() / 4);
  for (size_t i = 0; i < b.size(); ++i) b[i] = {v[4 * i], v[4 * i + 1], v[4 * i + 2], v[4 * i + 3]};
  return b;
}

inline double ref_iou(const RefBox& a, const RefBox& b, bool generalized) {
  const double inter = std::max(0.0, std::min(a.x2, b.x2) - std::max(a.x1, b.x1)) *
                       std::max(0.0, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const double uni = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  if (!generalized) return inter / uni;
  const double hull = std::max(0.0, std::max(a.x2, b.x2) - std::min(a.x1, b.x1)) *
                      std::max(0.0, std::max(a.y2, b.y2) - std::min(a.y1, b.y1));
  return inter / uni - (hull - uni) / hull;
}

// [N, 4] boxes: corners U(0, extent), sizes U(min_size, max_size); `dtype` on the CPU.
inline Tensor random_boxes(int64_t n, uint64_t seed, DType dtype, double extent = 50, double min_size = 1,
                           double max_size = 30) {
  const Tensor xy = rand({n, 2}, seed, 0, extent, DType::f64), wh = rand({n, 2}, seed + 1, min_size, max_size, DType::f64);
  return to(cat({xy, add(xy, wh)}, 1), dtype);
}

// [N, 4] boxes as a detector proposes them: clusters of jittered boxes around n / per_object objects
// of sizes 20..200 px in a 1000 x 1000 image (realistic overlap for NMS).
inline Tensor clustered_boxes(int64_t n, uint64_t seed, DType dtype, int64_t per_object = 20) {
  const int64_t objects = std::max<int64_t>(1, n / per_object);
  const std::vector<double> centre = to_vector<double>(rand({objects, 2}, seed, 100, 900, DType::f64));
  const std::vector<double> size = to_vector<double>(rand({objects, 2}, seed + 1, 20, 200, DType::f64));
  const std::vector<double> jitter = to_vector<double>(rand({n, 4}, seed + 2, -0.15, 0.15, DType::f64));
  std::vector<double> v(4 * n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t o = i % objects;
    const double cx = centre[2 * o] + jitter[4 * i] * size[2 * o], cy = centre[2 * o + 1] + jitter[4 * i + 1] * size[2 * o + 1];
    const double w = size[2 * o] * (1 + jitter[4 * i + 2]), h = size[2 * o + 1] * (1 + jitter[4 * i + 3]);
    v[4 * i] = cx - w / 2, v[4 * i + 1] = cy - h / 2, v[4 * i + 2] = cx + w / 2, v[4 * i + 3] = cy + h / 2;
  }
  return to(from_vector(v, {n, 4}), dtype);
}

// torchvision's nms by its definition: a stable order by decreasing score (NaN last), then every
// box not yet suppressed is kept and suppresses the later boxes of its class with IoU > threshold.
inline std::vector<int64_t> ref_nms(const std::vector<RefBox>& boxes, const std::vector<double>& scores,
                                    const std::vector<int64_t>& classes, double threshold, size_t max_out = SIZE_MAX) {
  std::vector<int64_t> order(boxes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    if (std::isnan(scores[a]) != std::isnan(scores[b])) return std::isnan(scores[b]);
    return scores[a] > scores[b];
  });
  std::vector<bool> dead(boxes.size(), false);
  std::vector<int64_t> keep;
  for (size_t r = 0; r < order.size() && keep.size() < max_out; ++r) {
    const int64_t k = order[r];
    if (dead[k]) continue;
    keep.push_back(k);
    for (size_t s = r + 1; s < order.size(); ++s) {
      const int64_t j = order[s];
      if ((classes.empty() || classes[j] == classes[k]) && ref_iou(boxes[k], boxes[j], false) > threshold) dead[j] = true;
    }
  }
  return keep;
}

}  // namespace oc::test
