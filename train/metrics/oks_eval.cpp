// COCO keypoint evaluation (see oks_eval.h): OKS, per-image matching, accumulation into AP/AR.
#include "train/metrics/oks_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>

#include "core/error.h"

namespace oc {

namespace {

constexpr double kAreaEps = 2.220446049250313e-16;  // numpy's spacing(1): keeps area 0 finite
constexpr int kRecallPoints = 101;                  // recall 0:0.01:1

int labelled_joints(const Person& p) {
  int n = 0;
  for (const Keypoint& k : p.keypoints) n += k.v > 0;
  return n;
}

// The box around all K keypoints of a detection: its area for the area ranges.
double keypoint_box_area(const Person& det) {
  if (det.keypoints.empty()) return 0;
  double x0 = det.keypoints[0].x, x1 = x0, y0 = det.keypoints[0].y, y1 = y0;
  for (const Keypoint& k : det.keypoints) {
    x0 = std::min(x0, double(k.x)), x1 = std::max(x1, double(k.x));
    y0 = std::min(y0, double(k.y)), y1 = std::max(y1, double(k.y));
  }
  return (x1 - x0) * (y1 - y0);
}

bool in_range(double area, const AreaRange& r) { return area >= r.lo && area <= r.hi; }

// One image, one area range: per threshold, whether each kept detection (in score order) is
// matched and whether it is ignored; and how many ground truths count.
struct ImageEval {
  std::vector<double> scores;
  std::vector<std::vector<char>> matched, ignored;  // [T][D]
  int64_t num_ground_truths = 0;
};

ImageEval evaluate_image(const std::vector<const Person*>& dets, const std::vector<const Person*>& gts,
                         const std::vector<std::vector<double>>& oks_dg, const AreaRange& range,
                         const std::vector<double>& thresholds) {
  const size_t D = dets.size(), G = gts.size(), T = thresholds.size();
  std::vector<char> gt_ignored(G);
  for (size_t g = 0; g < G; ++g)
    gt_ignored[g] = gts[g]->crowd || labelled_joints(*gts[g]) == 0 || !in_range(gts[g]->area, range);
  // Non-ignored ground truths first (stable), so a detection settles for an ignored one only when
  // no counted one reaches the threshold.
  std::vector<size_t> order(G);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return gt_ignored[a] < gt_ignored[b]; });

  ImageEval e;
  for (size_t d = 0; d < D; ++d) e.scores.push_back(dets[d]->score);
  for (size_t g = 0; g < G; ++g) e.num_ground_truths += !gt_ignored[g];
  e.matched.assign(T, std::vector<char>(D, 0));
  e.ignored.assign(T, std::vector<char>(D, 0));
  for (size_t t = 0; t < T; ++t) {
    std::vector<char> gt_taken(G, 0);
    for (size_t d = 0; d < D; ++d) {
      double best = std::min(thresholds[t], 1 - 1e-10);
      int m = -1;
      for (size_t gi = 0; gi < G; ++gi) {
        size_t g = order[gi];
        if (gt_taken[g] && !gts[g]->crowd) continue;
        if (m >= 0 && !gt_ignored[m] && gt_ignored[g]) break;
        if (oks_dg[d][g] < best) continue;  // equal OKS: the later ground truth wins, as in COCO
        best = oks_dg[d][g];
        m = int(g);
      }
      if (m < 0) {
        e.ignored[t][d] = !in_range(keypoint_box_area(*dets[d]), range);
        continue;
      }
      e.matched[t][d] = 1;
      e.ignored[t][d] = gt_ignored[m];
      gt_taken[m] = 1;
    }
  }
  return e;
}

// All images of one area range -> precision [T][101], recall [T], AP and AR.
OksAreaResult accumulate(const std::vector<ImageEval>& images, const AreaRange& range,
                         const std::vector<double>& thresholds) {
  OksAreaResult r;
  r.range = range;
  const size_t T = thresholds.size();
  struct Ref {
    size_t image, det;
  };
  std::vector<Ref> refs;
  for (size_t i = 0; i < images.size(); ++i) {
    r.num_ground_truths += images[i].num_ground_truths;
    for (size_t d = 0; d < images[i].scores.size(); ++d) refs.push_back({i, d});
  }
  if (r.num_ground_truths == 0) return r;
  // Highest score first; ties keep image order, then in-image order (numpy's stable mergesort).
  std::stable_sort(refs.begin(), refs.end(), [&](const Ref& a, const Ref& b) {
    return images[a.image].scores[a.det] > images[b.image].scores[b.det];
  });
  const double n_gt = double(r.num_ground_truths);
  for (size_t t = 0; t < T; ++t) {
    std::vector<double> rc, pr;
    double tp = 0, fp = 0;
    for (const Ref& ref : refs) {
      const ImageEval& im = images[ref.image];
      if (!im.ignored[t][ref.det]) (im.matched[t][ref.det] ? tp : fp) += 1;
      rc.push_back(tp / n_gt);  // ignored detections still add a point, as in COCO
      pr.push_back(tp / (tp + fp + kAreaEps));
    }
    r.recall.push_back(rc.empty() ? 0 : rc.back());
    for (size_t i = pr.size(); i-- > 1;) pr[i - 1] = std::max(pr[i - 1], pr[i]);
    std::vector<double> q(kRecallPoints, 0.0);
    for (int k = 0; k < kRecallPoints; ++k) {
      double rec = k == kRecallPoints - 1 ? 1.0 : k * (1.0 / (kRecallPoints - 1));
      size_t i = size_t(std::lower_bound(rc.begin(), rc.end(), rec) - rc.begin());
      if (i >= rc.size()) break;  // recall never reached: precision 0 from here on
      q[k] = pr[i];
    }
    r.precision.push_back(q);
  }
  auto mean_ap = [&](size_t t) { return std::accumulate(r.precision[t].begin(), r.precision[t].end(), 0.0) / kRecallPoints; };
  r.ap = 0;
  for (size_t t = 0; t < T; ++t) r.ap += mean_ap(t) / double(T);
  r.ar = std::accumulate(r.recall.begin(), r.recall.end(), 0.0) / double(T);
  for (size_t t = 0; t < T; ++t) {
    if (std::fabs(thresholds[t] - 0.5) < 1e-9) r.ap50 = mean_ap(t), r.ar50 = r.recall[t];
    if (std::fabs(thresholds[t] - 0.75) < 1e-9) r.ap75 = mean_ap(t), r.ar75 = r.recall[t];
  }
  return r;
}

void check_person(const Person& p, const char* what, size_t index, size_t K) {
  OC_CHECK(p.keypoints.size() == K, "evaluate_oks: ", what, " ", index, " (image_id ", p.image_id, ") has ",
           p.keypoints.size(), " keypoints but sigmas has ", K);
}

}  // namespace

double oks(const Person& det, const Person& gt, const std::vector<float>& sigmas) {
  const size_t K = sigmas.size();
  OC_CHECK(det.keypoints.size() == K && gt.keypoints.size() == K, "oks: detection has ", det.keypoints.size(),
           " keypoints and ground truth ", gt.keypoints.size(), " but sigmas has ", K);
  OC_CHECK(K > 0, "oks: no keypoints");
  const bool labelled = labelled_joints(gt) > 0;
  // Unlabelled ground truth: distance to the box grown by its size on every side.
  const double bx = gt.bbox[0], by = gt.bbox[1], bw = gt.bbox[2], bh = gt.bbox[3];
  const double x0 = bx - bw, x1 = bx + 2 * bw, y0 = by - bh, y1 = by + 2 * bh;
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < K; ++i) {
    const Keypoint& d = det.keypoints[i];
    const Keypoint& g = gt.keypoints[i];
    double dx, dy;
    if (labelled) {
      if (g.v <= 0) continue;
      dx = double(d.x) - g.x, dy = double(d.y) - g.y;
    } else {
      dx = std::max(0.0, x0 - d.x) + std::max(0.0, d.x - x1);
      dy = std::max(0.0, y0 - d.y) + std::max(0.0, d.y - y1);
    }
    double k2 = 4.0 * double(sigmas[i]) * double(sigmas[i]);  // (2 sigma)^2
    double e = (dx * dx + dy * dy) / k2 / (double(gt.area) + kAreaEps) / 2;
    sum += std::exp(-e);
    ++n;
  }
  return sum / n;
}

std::vector<AreaRange> coco_keypoint_area_ranges() {
  return {{"all", 0, 1e10}, {"medium", 32.0 * 32, 96.0 * 96}, {"large", 96.0 * 96, 1e10}};
}

std::vector<double> coco_oks_thresholds() {
  std::vector<double> t;
  const double step = (0.95 - 0.5) / 9;
  for (int i = 0; i < 9; ++i) t.push_back(0.5 + i * step);
  t.push_back(0.95);  // linspace puts the end point exactly
  return t;
}

const OksAreaResult& OksEvalResult::area(const std::string& name) const {
  for (const OksAreaResult& a : areas)
    if (a.range.name == name) return a;
  OC_FAIL("OksEvalResult: no area range \"", name, "\"");
}

OksEvalResult evaluate_oks(const std::vector<Person>& detections, const std::vector<Person>& ground_truths,
                           const OksEvalParams& params) {
  const size_t K = params.sigmas.size();
  OC_CHECK(K > 0, "evaluate_oks: sigmas is empty");
  OC_CHECK(params.max_dets >= 1, "evaluate_oks: max_dets ", params.max_dets, " must be >= 1");
  OC_CHECK(!params.thresholds.empty(), "evaluate_oks: no OKS thresholds");
  for (double t : params.thresholds)
    OC_CHECK(t >= 0 && t <= 1, "evaluate_oks: OKS threshold ", t, " is outside [0, 1]");
  for (const AreaRange& a : params.area_ranges)
    OC_CHECK(a.lo <= a.hi, "evaluate_oks: area range \"", a.name, "\" has lo ", a.lo, " > hi ", a.hi);
  struct Image {
    std::vector<const Person*> dets, gts;
  };
  std::map<int64_t, Image> images;  // ascending image id, as COCO orders them
  for (size_t i = 0; i < detections.size(); ++i) {
    check_person(detections[i], "detection", i, K);
    OC_CHECK(std::isfinite(detections[i].score), "evaluate_oks: detection ", i, " (image_id ",
             detections[i].image_id, ") has score ", detections[i].score);
    images[detections[i].image_id].dets.push_back(&detections[i]);
  }
  for (size_t i = 0; i < ground_truths.size(); ++i) {
    check_person(ground_truths[i], "ground truth", i, K);
    images[ground_truths[i].image_id].gts.push_back(&ground_truths[i]);
  }

  std::vector<std::vector<ImageEval>> per_range(params.area_ranges.size());
  for (auto& [id, im] : images) {
    std::stable_sort(im.dets.begin(), im.dets.end(), [](const Person* a, const Person* b) { return a->score > b->score; });
    if (im.dets.size() > size_t(params.max_dets)) im.dets.resize(size_t(params.max_dets));
    std::vector<std::vector<double>> oks_dg(im.dets.size(), std::vector<double>(im.gts.size()));
    for (size_t d = 0; d < im.dets.size(); ++d)
      for (size_t g = 0; g < im.gts.size(); ++g) oks_dg[d][g] = oks(*im.dets[d], *im.gts[g], params.sigmas);
    for (size_t a = 0; a < params.area_ranges.size(); ++a)
      per_range[a].push_back(evaluate_image(im.dets, im.gts, oks_dg, params.area_ranges[a], params.thresholds));
  }
  OksEvalResult result;
  for (size_t a = 0; a < params.area_ranges.size(); ++a)
    result.areas.push_back(accumulate(per_range[a], params.area_ranges[a], params.thresholds));
  return result;
}

std::string format_oks_eval(const OksEvalResult& result) {
  std::string out;
  char line[256];
  for (const OksAreaResult& a : result.areas) {
    std::snprintf(line, sizeof line,
                  "%-6s AP %.3f  AP50 %.3f  AP75 %.3f  AR %.3f  AR50 %.3f  AR75 %.3f  (%lld ground truths)\n",
                  a.range.name.c_str(), a.ap, a.ap50, a.ap75, a.ar, a.ar50, a.ar75, (long long)a.num_ground_truths);
    out += line;
  }
  return out;
}

}  // namespace oc
