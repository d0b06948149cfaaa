// COCO keypoint evaluation, our own implementation of cocoeval.py's definitions for
// iouType="keypoints" and one category (person): OKS, per-image greedy matching, AP and AR.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nets/pose/keypoints.h"
#include "train/metrics/coco_eval_core.h"

namespace oc {

// Object keypoint similarity of one detection to one ground truth, as COCO computes it:
//   OKS = sum_i exp(-e_i) / n,  e_i = d_i^2 / (2 sigma_i)^2 / (area + eps) / 2,  eps = 2^-52
// over the ground truth's labelled joints (v > 0), n of them. A ground truth with no labelled
// joint is scored as COCO does: d_i is the detection joint's distance to the ground-truth box
// expanded by its own width and height on every side ([x - w, x + 2w] x [y - h, y + 2h]), over
// all K joints. area is the ground truth's `area` field (its segmentation area in COCO).
double oks(const Person& detection, const Person& ground_truth, const std::vector<float>& sigmas);

// Area ranges (AreaRange, coco_eval_core.h): a detection's area is that of the box around all its
// K keypoints, as COCO's loadRes sets it.
// COCO's keypoint ranges: all [0, 1e10], medium [32^2, 96^2], large [96^2, 1e10].
std::vector<AreaRange> coco_keypoint_area_ranges();
// 0.50:0.05:0.95 (10 values, computed as numpy's linspace does).
std::vector<double> coco_oks_thresholds();

struct OksEvalParams {
  std::vector<float> sigmas;                                  // K, e.g. coco_person_sigmas()
  int max_dets = 20;                                          // top-scoring detections kept per image
  std::vector<double> thresholds = coco_oks_thresholds();     // T OKS thresholds
  std::vector<AreaRange> area_ranges = coco_keypoint_area_ranges();
};

struct OksAreaResult {
  AreaRange range;
  int64_t num_ground_truths = 0;  // not ignored in this range
  // [T][101]: precision made monotone (max from the right), read at recall 0:0.01:1 (0 past the
  // highest recall reached). Empty when the range has no ground truth.
  std::vector<std::vector<double>> precision;
  std::vector<double> recall;  // [T] recall with every kept detection
  // AP = mean of precision over thresholds and recall points, AR = mean recall over thresholds;
  // ap50/ap75/ar50/ar75 at the thresholds 0.5 / 0.75. -1 when the range has no ground truth (or
  // the threshold is not in params.thresholds), as COCO prints it.
  double ap = -1, ap50 = -1, ap75 = -1, ar = -1, ar50 = -1, ar75 = -1;
};

struct OksEvalResult {
  std::vector<OksAreaResult> areas;  // in params.area_ranges order
  const OksAreaResult& area(const std::string& name) const;  // error when absent
};

// COCO keypoint AP/AR over the union of images that have a ground truth or a detection (COCO
// requires every result image to be in the ground-truth set, where an image without people still
// counts, so a detection on an image without ground truth is a false positive here too).
//
// Ignored ground truths: crowd, no labelled joint (num_keypoints == 0 in COCO), or area outside
// the range. Per image, per threshold t, detections in score order (ties: input order) each take
// the free ground truth of highest OKS >= t (equal OKS: the later one), preferring any
// non-ignored one to an ignored one. Crowd ground truths stay free (they may absorb many
// detections); any other is taken by its first match. A detection matched to an ignored ground
// truth, or unmatched with its area outside the range, is neither TP nor FP. Precision is
// tp / (tp + fp + 2^-52) as in COCO, so a perfect AP can read 1 - 2^-52.
// Every detection's keypoint count and every ground truth's must equal sigmas.size().
OksEvalResult evaluate_oks(const std::vector<Person>& detections, const std::vector<Person>& ground_truths,
                           const OksEvalParams& params);

// COCO-style lines: "AP 0.512  AP50 0.801  AP75 0.533  AR 0.570 ..." one per area range.
std::string format_oks_eval(const OksEvalResult& result);

}  // namespace oc
