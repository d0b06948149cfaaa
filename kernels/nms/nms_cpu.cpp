// CPU NMS: greedy over the boxes in score order, as torchvision, but a kept box tests only the boxes
// that could pass the threshold, found in a grid over the boxes' top-left corners. For IoU(k, j) > t
// (t >= 0, positive widths), the intersection's width is above t w_k and t w_j, so
//   x1_j in [x1_k, x1_k + (1 - t) w_k)             when j starts right of k,
//   x1_j in (x1_k - (1 - t) min(W, w_k / t), x1_k) when it starts left (W: the widest box),
// and the same in y: a rectangle of corners, a few cells of the grid, instead of all N boxes. The
// bounds get a margin for rounding, so the result is the plain greedy one (tests/kernels/nms/).
// Suppressed and kept boxes leave their cells as the search meets them. A box with a zero or negative
// width or height has no intersection with any box: it neither suppresses nor is suppressed. Boxes
// with a NaN or infinite coordinate are outside the grid's reasoning: every kept box tests them, and
// such a box, kept, tests every box.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/nms/nms_kernels.h"
#include "kernels/nms/nms_math.h"

namespace oc {
namespace {

template <class T>
bool all_finite(const T* b) {
  return std::isfinite(b[0]) && std::isfinite(b[1]) && std::isfinite(b[2]) && std::isfinite(b[3]);
}

template <class T>
bool has_area(const T* b) {
  return b[2] - b[0] > T(0) && b[3] - b[1] > T(0);
}

// Boxes bucketed by the cell of their top-left corner, each cell's boxes in score order.
struct CornerGrid {
  int64_t g = 1;                     // cells per side
  double min_x = 0, min_y = 0, inv_x = 0, inv_y = 0;
  std::vector<int64_t> start, end;   // cell c holds ids[start[c], end[c]) (end shrinks as boxes leave)
  std::vector<int64_t> ids;

  int64_t cell_x(double x) const { return cell((x - min_x) * inv_x); }
  int64_t cell_y(double y) const { return cell((y - min_y) * inv_y); }
  // Clamped in double: a query bound may be far outside the grid (or 0 x infinity).
  int64_t cell(double v) const { return v >= 0 ? static_cast<int64_t>(std::min(std::floor(v), double(g - 1))) : 0; }
};

// members: the gridded boxes in score order.
template <class T>
CornerGrid make_grid(const T* boxes, const std::vector<int64_t>& members) {
  CornerGrid grid;
  if (members.empty()) return grid;
  double max_x = -INFINITY, max_y = -INFINITY;
  grid.min_x = grid.min_y = INFINITY;
  for (const int64_t i : members) {
    grid.min_x = std::min(grid.min_x, double(boxes[4 * i])), max_x = std::max(max_x, double(boxes[4 * i]));
    grid.min_y = std::min(grid.min_y, double(boxes[4 * i + 1])), max_y = std::max(max_y, double(boxes[4 * i + 1]));
  }
  // About eight boxes a cell (fewer, smaller cells cost more in visits than they save in tests).
  grid.g = std::clamp<int64_t>(static_cast<int64_t>(std::ceil(std::sqrt(members.size() / 8.0))), 1, 2048);
  grid.inv_x = max_x > grid.min_x ? grid.g / (max_x - grid.min_x) : 0;
  grid.inv_y = max_y > grid.min_y ? grid.g / (max_y - grid.min_y) : 0;
  std::vector<int64_t> cell(members.size()), fill(grid.g * grid.g + 1, 0);
  for (size_t m = 0; m < members.size(); ++m) {
    const int64_t i = members[m];
    cell[m] = grid.cell_y(boxes[4 * i + 1]) * grid.g + grid.cell_x(boxes[4 * i]);
    ++fill[cell[m] + 1];
  }
  std::partial_sum(fill.begin(), fill.end(), fill.begin());
  grid.start.assign(fill.begin(), fill.end() - 1);
  grid.end = grid.start;
  grid.ids.resize(members.size());
  for (size_t m = 0; m < members.size(); ++m) grid.ids[grid.end[cell[m]]++] = members[m];
  return grid;
}

template <class T>
int64_t greedy_nms(const T* boxes, const T* scores, const int64_t* classes, int64_t n, T threshold, int64_t max_out,
                   int64_t* keep) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return nms_before(scores[a], a, scores[b], b); });

  std::vector<int64_t> gridded, always;  // in score order
  double widest = 0, tallest = 0;
  for (const int64_t i : order) {
    const T* b = boxes + 4 * i;
    if (!all_finite(b)) {
      always.push_back(i);
    } else if (has_area(b)) {
      gridded.push_back(i);
      widest = std::max(widest, double(b[2]) - b[0]), tallest = std::max(tallest, double(b[3]) - b[1]);
    }
  }
  CornerGrid grid = make_grid(boxes, gridded);
  const double t = threshold;

  // dead: kept or suppressed. Every box ranked before the current one is dead, so a live box met in
  // the search ranks after the kept box.
  std::vector<uint8_t> dead(n, 0);
  int64_t count = 0;
  auto test = [&](int64_t k, int64_t j) {
    if (!dead[j] && nms_suppresses(boxes, classes, k, j, threshold)) dead[j] = 1;
  };
  for (int64_t r = 0; r < n && count < max_out; ++r) {
    const int64_t k = order[r];
    if (dead[k]) continue;
    dead[k] = 1;
    keep[count++] = k;
    const T* b = boxes + 4 * k;
    if (!all_finite(b)) {  // outside the reasoning: test every box
      for (int64_t j = 0; j < n; ++j) test(k, j);
      continue;
    }
    for (const int64_t j : always) test(k, j);
    if (!has_area(b) || t >= 1) continue;  // no intersection; or no IoU above 1
    const double x = b[0], y = b[1], w = double(b[2]) - b[0], h = double(b[3]) - b[1];
    const double left = (1 - t) * (t > 0 ? std::min(widest, w / t) : widest);
    const double up = (1 - t) * (t > 0 ? std::min(tallest, h / t) : tallest);
    const double mx = (std::abs(x) + widest + w) * 1e-5, my = (std::abs(y) + tallest + h) * 1e-5;
    const int64_t cx0 = grid.cell_x(x - left - mx), cx1 = grid.cell_x(x + (1 - t) * w + mx);
    const int64_t cy0 = grid.cell_y(y - up - my), cy1 = grid.cell_y(y + (1 - t) * h + my);
    for (int64_t cy = cy0; cy <= cy1; ++cy)
      for (int64_t cx = cx0; cx <= cx1; ++cx) {
        const int64_t c = cy * grid.g + cx;
        int64_t out = grid.start[c];
        for (int64_t p = grid.start[c]; p < grid.end[c]; ++p) {
          const int64_t j = grid.ids[p];
          test(k, j);
          if (!dead[j]) grid.ids[out++] = j;  // the dead leave the cell
        }
        grid.end[c] = out;
      }
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
