// CPU NMS: greedy over the boxes in score order, as torchvision, but a kept box only tests the boxes
// that can overlap it in x: boxes sorted by x1, and with W the widest box, a box j overlapping box k
// has x1_j in (x1_k - W, x2_k). An IoU above a threshold >= 0 needs a positive intersection, so the
// result is the plain greedy one; for boxes of similar sizes each kept box tests a few neighbours
// instead of all N. Boxes with a NaN x coordinate (their IoU is not ordered by x) are tested always.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/nms/nms_kernels.h"
#include "kernels/nms/nms_math.h"

namespace oc {
namespace {

template <class T>
int64_t greedy_nms(const T* boxes, const T* scores, const int64_t* classes, int64_t n, T threshold, int64_t max_out,
                   int64_t* keep) {
  std::vector<int64_t> order(n), rank(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return nms_before(scores[a], a, scores[b], b); });
  for (int64_t r = 0; r < n; ++r) rank[order[r]] = r;

  std::vector<int64_t> by_x, always;  // boxes by x1; boxes with a NaN x
  T widest = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T x1 = boxes[4 * i], x2 = boxes[4 * i + 2];
    if (std::isnan(x1) || std::isnan(x2)) {
      always.push_back(i);
      continue;
    }
    by_x.push_back(i);
    widest = std::max(widest, x2 - x1);
  }
  std::sort(by_x.begin(), by_x.end(), [&](int64_t a, int64_t b) { return boxes[4 * a] < boxes[4 * b]; });
  std::vector<T> xs(by_x.size());
  for (size_t p = 0; p < by_x.size(); ++p) xs[p] = boxes[4 * by_x[p]];

  std::vector<uint8_t> suppressed(n, 0);
  int64_t count = 0;
  auto visit = [&](int64_t k, int64_t r, int64_t j) {
    if (rank[j] > r && !suppressed[j] && nms_suppresses(boxes, classes, k, j, threshold)) suppressed[j] = 1;
  };
  for (int64_t r = 0; r < n && count < max_out; ++r) {
    const int64_t k = order[r];
    if (suppressed[k]) continue;
    keep[count++] = k;
    const T x1 = boxes[4 * k], x2 = boxes[4 * k + 2];
    if (std::isnan(x1) || std::isnan(x2)) {  // a NaN box tests everything
      for (int64_t j = 0; j < n; ++j) visit(k, r, j);
      continue;
    }
    // x1_j > x1_k - W (a box starting further left ends before x1_k; a margin covers the rounding
    // of W and of the subtraction) and x1_j < x2_k (exact: min - max > 0 needs x1_j < x2_k).
    const T margin = (std::abs(x1) + widest) * T(1e-5);
    const auto lo = std::upper_bound(xs.begin(), xs.end(), x1 - widest - margin);
    const auto hi = std::lower_bound(xs.begin(), xs.end(), x2);
    for (auto p = lo; p < hi; ++p) visit(k, r, by_x[p - xs.begin()]);
    for (const int64_t j : always) visit(k, r, j);
  }
  return count;
}

}  // namespace

void nms_cpu(const Tensor& boxes, const Tensor& scores, const Tensor& classes, double threshold, int64_t max_out,
             const Tensor& keep, const Tensor& count) {
  OC_DISPATCH_FLOATING(boxes.dtype(), "nms", [&] {
    const int64_t* cls = classes.defined() ? static_cast<const int64_t*>(classes.raw_data()) : nullptr;
    *static_cast<int64_t*>(count.raw_data()) =
        greedy_nms(static_cast<const scalar_t*>(boxes.raw_data()), static_cast<const scalar_t*>(scores.raw_data()), cls,
                   boxes.size(0), static_cast<scalar_t>(threshold), max_out, static_cast<int64_t*>(keep.raw_data()));
  });
}

}  // namespace oc
