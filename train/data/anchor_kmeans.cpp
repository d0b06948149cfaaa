// k-means of box shapes under 1 - IoU (see anchor_kmeans.h): k-means++ seeding, then Lloyd rounds.
#include "train/data/anchor_kmeans.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.h"
#include "train/data/synth_random.h"

namespace oc {
namespace {

void check_inputs(const std::vector<AnchorShape>& boxes, const AnchorKmeansOptions& opt) {
  OC_CHECK(opt.k >= 1, "anchor_kmeans: k must be at least 1, got ", opt.k);
  OC_CHECK(opt.max_iterations >= 1, "anchor_kmeans: max_iterations must be at least 1, got ", opt.max_iterations);
  OC_CHECK(static_cast<int64_t>(boxes.size()) >= opt.k, "anchor_kmeans: ", boxes.size(),
           " boxes, fewer than k = ", opt.k);
  for (size_t i = 0; i < boxes.size(); ++i) {
    const AnchorShape& b = boxes[i];
    OC_CHECK(std::isfinite(b.w) && b.w > 0, "anchor_kmeans: box ", i, " has width ", b.w,
             " (widths and heights must be positive and finite)");
    OC_CHECK(std::isfinite(b.h) && b.h > 0, "anchor_kmeans: box ", i, " has height ", b.h,
             " (widths and heights must be positive and finite)");
  }
}

// The centre of highest IoU with `box`; the first one wins a tie.
int64_t nearest_centre(const AnchorShape& box, const std::vector<AnchorShape>& centres, double* best_iou) {
  int64_t best = 0;
  double best_v = corner_iou(box, centres[0]);
  for (size_t c = 1; c < centres.size(); ++c) {
    const double v = corner_iou(box, centres[c]);
    if (v > best_v) best_v = v, best = static_cast<int64_t>(c);
  }
  if (best_iou) *best_iou = best_v;
  return best;
}

// Index of the box picked by r in [0, total) walking the cumulative weights; the last box of
// positive weight when rounding leaves r past the end.
size_t pick_weighted(const std::vector<double>& weight, double r) {
  double cum = 0;
  size_t last_positive = 0;
  for (size_t i = 0; i < weight.size(); ++i) {
    if (weight[i] <= 0) continue;
    cum += weight[i];
    last_positive = i;
    if (r < cum) return i;
  }
  return last_positive;
}

// k-means++: a uniform first centre, then boxes drawn with weight d^2 to the nearest centre so far.
std::vector<AnchorShape> seed_centres(const std::vector<AnchorShape>& boxes, int64_t k, uint64_t seed) {
  SynthRandom rng(seed, 0);
  const int64_t n = static_cast<int64_t>(boxes.size());
  std::vector<AnchorShape> centres{boxes[static_cast<size_t>(rng.below(n))]};
  std::vector<double> d2(boxes.size());
  while (static_cast<int64_t>(centres.size()) < k) {
    double total = 0;
    for (size_t i = 0; i < boxes.size(); ++i) {
      double best = 0;
      nearest_centre(boxes[i], centres, &best);
      d2[i] = (1 - best) * (1 - best);
      total += d2[i];
    }
    // Every box on a centre: nothing is farther than anything else, so draw uniformly.
    const size_t next = total > 0 ? pick_weighted(d2, rng.unit() * total) : static_cast<size_t>(rng.below(n));
    centres.push_back(boxes[next]);
  }
  return centres;
}

}  // namespace

double corner_iou(const AnchorShape& a, const AnchorShape& b) {
  const double inter = std::min(a.w, b.w) * std::min(a.h, b.h);
  return inter / (a.w * a.h + b.w * b.h - inter);
}

AnchorKmeansResult anchor_kmeans(const std::vector<AnchorShape>& boxes, const AnchorKmeansOptions& opt) {
  check_inputs(boxes, opt);
  AnchorKmeansResult res;
  std::vector<AnchorShape> centres = seed_centres(boxes, opt.k, opt.seed);
  std::vector<int64_t> cluster(boxes.size(), -1);
  for (int64_t round = 1; round <= opt.max_iterations; ++round) {
    bool changed = false;
    for (size_t i = 0; i < boxes.size(); ++i) {
      const int64_t c = nearest_centre(boxes[i], centres, nullptr);
      changed |= c != cluster[i];
      cluster[i] = c;
    }
    res.iterations = round;
    if (!changed) {
      res.converged = true;
      break;
    }
    // Sums in box order, so the result does not depend on anything but the inputs.
    std::vector<double> sum_w(centres.size(), 0), sum_h(centres.size(), 0);
    std::vector<int64_t> count(centres.size(), 0);
    for (size_t i = 0; i < boxes.size(); ++i) {
      const auto c = static_cast<size_t>(cluster[i]);
      sum_w[c] += boxes[i].w, sum_h[c] += boxes[i].h, ++count[c];
    }
    for (size_t c = 0; c < centres.size(); ++c)
      if (count[c] > 0) centres[c] = {sum_w[c] / static_cast<double>(count[c]), sum_h[c] / static_cast<double>(count[c])};
  }
  std::stable_sort(centres.begin(), centres.end(), [](const AnchorShape& a, const AnchorShape& b) {
    const double area_a = a.w * a.h, area_b = b.w * b.h;
    return area_a != area_b ? area_a < area_b : a.w < b.w;
  });
  double sum_iou = 0;
  for (const AnchorShape& b : boxes) {
    double best = 0;
    nearest_centre(b, centres, &best);
    sum_iou += best;
  }
  res.anchors = std::move(centres);
  res.mean_iou = sum_iou / static_cast<double>(boxes.size());
  return res;
}

}  // namespace oc
