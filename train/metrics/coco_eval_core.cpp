// cocoeval's shared matching and accumulation (see coco_eval_core.h).
#include "train/metrics/coco_eval_core.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"

namespace oc {

namespace {
constexpr double kSpacing1 = 2.220446049250313e-16;  // numpy's spacing(1) in the precision denominator
}

std::vector<double> coco_iou_thresholds() {
  std::vector<double> t;
  const double step = (0.95 - 0.5) / 9;
  for (int i = 0; i < 9; ++i) t.push_back(0.5 + i * step);
  t.push_back(0.95);  // linspace puts the end point exactly
  return t;
}

ImageMatches match_image(const std::vector<std::vector<double>>& similarity, const std::vector<double>& scores,
                         const std::vector<char>& gt_ignored, const std::vector<char>& gt_crowd,
                         const std::vector<char>& det_outside_range, const std::vector<double>& thresholds) {
  const size_t D = scores.size(), G = gt_ignored.size(), T = thresholds.size();
  OC_CHECK(similarity.size() == D && det_outside_range.size() == D && gt_crowd.size() == G,
           "match_image: ", D, " scores, ", similarity.size(), " similarity rows, ", det_outside_range.size(),
           " detection range flags, ", G, " ground-truth ignore flags, ", gt_crowd.size(), " crowd flags");
  // Non-ignored ground truths first (stable), so a detection settles for an ignored one only when
  // no counted one reaches the threshold.
  std::vector<size_t> order(G);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gt_ignored[a] < gt_ignored[b]; });

  ImageMatches e;
  e.scores = scores;
  for (size_t g = 0; g < G; ++g) e.num_ground_truths += !gt_ignored[g];
  e.matched.assign(T, std::vector<char>(D, 0));
  e.ignored.assign(T, std::vector<char>(D, 0));
  for (size_t t = 0; t < T; ++t) {
    std::vector<char> gt_taken(G, 0);
    for (size_t d = 0; d < D; ++d) {
      OC_CHECK(similarity[d].size() == G, "match_image: similarity row ", d, " has ", similarity[d].size(),
               " values for ", G, " ground truths");
      double best = std::min(thresholds[t], 1 - 1e-10);
      int m = -1;
      for (size_t gi = 0; gi < G; ++gi) {
        const size_t g = order[gi];
        if (gt_taken[g] && !gt_crowd[g]) continue;
        if (m >= 0 && !gt_ignored[m] && gt_ignored[g]) break;
        if (similarity[d][g] < best) continue;  // equal similarity: the later ground truth wins
        best = similarity[d][g];
        m = int(g);
      }
      if (m < 0) {
        e.ignored[t][d] = det_outside_range[d];
        continue;
      }
      e.matched[t][d] = 1;
      e.ignored[t][d] = gt_ignored[m];
      gt_taken[m] = 1;
    }
  }
  return e;
}

double PrecisionRecall::mean_precision(size_t t) const {
  return std::accumulate(precision[t].begin(), precision[t].end(), 0.0) / kCocoRecallPoints;
}

double PrecisionRecall::ap() const {
  if (!valid()) return -1;
  double s = 0;
  for (size_t t = 0; t < precision.size(); ++t) s += mean_precision(t);
  return s / double(precision.size());
}

double PrecisionRecall::ar() const {
  if (!valid()) return -1;
  return std::accumulate(recall.begin(), recall.end(), 0.0) / double(recall.size());
}

PrecisionRecall accumulate_matches(const std::vector<const ImageMatches*>& images, size_t num_thresholds,
                                   size_t max_dets) {
  PrecisionRecall r;
  struct Ref {
    size_t image, det;
  };
  std::vector<Ref> refs;
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageMatches& im = *images[i];
    OC_CHECK(im.matched.size() == num_thresholds && im.ignored.size() == num_thresholds,
             "accumulate_matches: image ", i, " has ", im.matched.size(), " thresholds, expected ", num_thresholds);
    r.num_ground_truths += im.num_ground_truths;
    for (size_t d = 0; d < std::min(im.scores.size(), max_dets); ++d) refs.push_back({i, d});
  }
  if (r.num_ground_truths == 0) return r;
  std::stable_sort(refs.begin(), refs.end(), [&](const Ref& a, const Ref& b) {
    return images[a.image]->scores[a.det] > images[b.image]->scores[b.det];
  });
  const double n_gt = double(r.num_ground_truths);
  for (size_t t = 0; t < num_thresholds; ++t) {
    std::vector<double> rc, pr;
    double tp = 0, fp = 0;
    for (const Ref& ref : refs) {
      const ImageMatches& im = *images[ref.image];
      if (!im.ignored[t][ref.det]) (im.matched[t][ref.det] ? tp : fp) += 1;
      rc.push_back(tp / n_gt);
      pr.push_back(tp / (tp + fp + kSpacing1));
    }
    r.recall.push_back(rc.empty() ? 0 : rc.back());
    for (size_t i = pr.size(); i-- > 1;) pr[i - 1] = std::max(pr[i - 1], pr[i]);
    std::vector<double> q(kCocoRecallPoints, 0.0);
    for (int k = 0; k < kCocoRecallPoints; ++k) {
      const double rec = k == kCocoRecallPoints - 1 ? 1.0 : k * (1.0 / (kCocoRecallPoints - 1));
      const size_t i = size_t(std::lower_bound(rc.begin(), rc.end(), rec) - rc.begin());
      if (i >= rc.size()) break;  // recall never reached: precision 0 from here on
      q[size_t(k)] = pr[i];
    }
    r.precision.push_back(std::move(q));
  }
  return r;
}

int threshold_index(const std::vector<double>& thresholds, double value) {
  for (size_t t = 0; t < thresholds.size(); ++t)
    if (std::fabs(thresholds[t] - value) < 1e-9) return int(t);
  return -1;
}

}  // namespace oc
