// COCO keypoint evaluation (see oks_eval.h): OKS and the keypoint-specific ignore rules; the matching
// and accumulation are cocoeval's shared part (coco_eval_core.h).
#include "train/metrics/oks_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>

#include "core/error.h"

namespace oc {

namespace {

constexpr double kAreaEps = 2.220446049250313e-16;  // numpy's spacing(1): keeps area 0 finite

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

// One category (person), one area range: the ground truths' ignore flags and the detections'
// range flags for the shared matching.
ImageMatches evaluate_image(const std::vector<const Person*>& dets, const std::vector<const Person*>& gts,
                            const std::vector<std::vector<double>>& oks_dg, const AreaRange& range,
                            const std::vector<double>& thresholds) {
  std::vector<char> gt_ignored, gt_crowd, det_outside;
  std::vector<double> scores;
  for (const Person* g : gts) {
    gt_ignored.push_back(g->crowd || labelled_joints(*g) == 0 || !range.contains(g->area));
    gt_crowd.push_back(g->crowd);
  }
  for (const Person* d : dets) {
    scores.push_back(d->score);
    det_outside.push_back(!range.contains(keypoint_box_area(*d)));
  }
  return match_image(oks_dg, scores, gt_ignored, gt_crowd, det_outside, thresholds);
}

OksAreaResult area_result(const std::vector<ImageMatches>& images, const AreaRange& range,
                          const std::vector<double>& thresholds) {
  std::vector<const ImageMatches*> refs;
  for (const ImageMatches& im : images) refs.push_back(&im);
  // Detections were already cut to max_dets per image.
  PrecisionRecall pr = accumulate_matches(refs, thresholds.size(), SIZE_MAX);
  OksAreaResult r;
  r.range = range;
  r.num_ground_truths = pr.num_ground_truths;
  if (!pr.valid()) return r;
  r.ap = pr.ap();
  r.ar = pr.ar();
  if (int t = threshold_index(thresholds, 0.5); t >= 0) r.ap50 = pr.mean_precision(size_t(t)), r.ar50 = pr.recall[size_t(t)];
  if (int t = threshold_index(thresholds, 0.75); t >= 0) r.ap75 = pr.mean_precision(size_t(t)), r.ar75 = pr.recall[size_t(t)];
  r.precision = std::move(pr.precision);
  r.recall = std::move(pr.recall);
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

std::vector<double> coco_oks_thresholds() { return coco_iou_thresholds(); }

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

  std::vector<std::vector<ImageMatches>> per_range(params.area_ranges.size());
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
    result.areas.push_back(area_result(per_range[a], params.area_ranges[a], params.thresholds));
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
