// The part of COCO's evaluation (cocoeval.py) that is the same for every iouType (bbox, segm,
// keypoints): greedy per-image matching of score-ordered detections to ground truths given their
// similarities, and the accumulation of matches into 101-point precision and recall.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace oc {

// Ground truths and detections whose area lies outside [lo, hi] (both ends included) are ignored
// for that range.
struct AreaRange {
  std::string name;
  double lo = 0, hi = 0;
  bool contains(double area) const { return area >= lo && area <= hi; }
};

// 0.50:0.05:0.95 (10 values, computed as numpy's linspace does: 0.5 + i * (0.45 / 9), end exact).
std::vector<double> coco_iou_thresholds();

constexpr int kCocoRecallPoints = 101;  // recall 0:0.01:1

// One image (and category), one area range: for each threshold, whether each detection (in score
// order) matched a ground truth and whether it is ignored (neither TP nor FP).
struct ImageMatches {
  std::vector<double> scores;                       // [D], descending
  std::vector<std::vector<char>> matched, ignored;  // [T][D]
  int64_t num_ground_truths = 0;                    // ground truths not ignored
};

// cocoeval's evaluateImg. similarity: [D][G], detections already in score order (stable: ties in
// input order) and cut to the largest maxDets. Per threshold t, each detection takes the free
// ground truth of highest similarity >= min(t, 1 - 1e-10) (equal similarity: the later one),
// preferring any non-ignored ground truth to an ignored one. Crowd ground truths stay free (they
// absorb any number of detections); any other is taken by its first match. A detection matched to
// an ignored ground truth, or unmatched and det_outside_range, is ignored.
ImageMatches match_image(const std::vector<std::vector<double>>& similarity, const std::vector<double>& scores,
                         const std::vector<char>& gt_ignored, const std::vector<char>& gt_crowd,
                         const std::vector<char>& det_outside_range, const std::vector<double>& thresholds);

// One category, one area range, one maxDets, over all images.
struct PrecisionRecall {
  int64_t num_ground_truths = 0;  // not ignored
  // [T][101]: precision made monotone (max from the right), read at recall 0:0.01:1 (0 past the
  // highest recall reached). Empty when there is no ground truth.
  std::vector<std::vector<double>> precision;
  std::vector<double> recall;  // [T]: recall with every detection kept; empty without ground truth
  bool valid() const { return !precision.empty(); }
  double mean_precision(size_t t) const;  // over the 101 recall points of threshold t
  double ap() const;                      // mean over thresholds and recall points; -1 when not valid
  double ar() const;                      // mean recall over thresholds; -1 when not valid
};

// cocoeval's accumulate for one category and area range: the first max_dets detections of each
// image, all images' detections ordered by score (stable: image order, then in-image order, as
// numpy's mergesort), cumulative TP/FP per threshold, precision tp / (tp + fp + 2^-52), recall
// tp / ground truths. Ignored detections add no TP or FP but still add a point to the curves.
PrecisionRecall accumulate_matches(const std::vector<const ImageMatches*>& images, size_t num_thresholds,
                                   size_t max_dets);

// The index of `value` in thresholds (within 1e-9), or -1.
int threshold_index(const std::vector<double>& thresholds, double value);

}  // namespace oc
