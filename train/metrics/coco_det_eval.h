// COCO detection AP/AR, our own implementation of cocoeval.py's rules for iouType "bbox" and
// "segm": every category, IoU 0.50:0.95, 101 recall points, maxDets 1/10/100, area ranges
// all/small/medium/large, crowd ground truths absorbing detections, the 12 standard numbers.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "train/io/coco_det_types.h"
#include "train/metrics/coco_eval_core.h"

namespace oc {

enum class CocoIouType { bbox, segm };

// COCO's detection ranges: all [0, 1e5^2], small [0, 32^2], medium [32^2, 96^2], large [96^2, 1e5^2].
std::vector<AreaRange> coco_detection_area_ranges();

struct CocoDetEvalParams {
  CocoIouType iou_type = CocoIouType::bbox;
  std::vector<double> thresholds = coco_iou_thresholds();  // T
  std::vector<int> max_dets = {1, 10, 100};                 // M, ascending
  std::vector<AreaRange> area_ranges = coco_detection_area_ranges();  // A
};

// IoU of two x, y, w, h boxes as cocoeval computes it (maskApi's bbIou): 0 unless both overlaps are
// positive; for a crowd ground truth the union is the detection's area alone.
double coco_box_iou(const std::array<double, 4>& dt, const std::array<double, 4>& gt, bool gt_iscrowd);

struct CocoDetEvalResult {
  CocoDetEvalParams params;
  std::vector<int64_t> category_ids;  // K: the data set's categories, ascending id
  // [K][A][M]: precision/recall of category k in area range a with the first max_dets[m]
  // detections of each image (not valid when the category has no counted ground truth there).
  std::vector<std::vector<std::vector<PrecisionRecall>>> per_category;
  // AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl as cocoeval's summarize():
  // means over the categories with ground truth (-1 when none has any).
  std::array<double, 12> stats{};
  // One of those means: AP (ap = true) or AR, at one threshold (iou < 0: all), an area range by
  // name and a maxDets value; -1 when no category has ground truth or the range / maxDets / threshold
  // is not in params.
  double summarize(bool ap, double iou, const std::string& area, int max_dets) const;
};

// Evaluates detections against the ground truth of every image of `gt` (ascending image id, as
// cocoeval's default imgIds), per category (gt.categories). A detection on an image or category
// the data set lacks is an error, as are non-finite scores. For segm, every ground truth of an
// evaluated category and every detection needs a mask of its image's size.
//
// Rules, as cocoeval: per image and category, detections sorted by score (stable: ties keep input
// order), the first max(max_dets) kept; ground truths ignored when crowd or when their `area` is
// outside the range; matching and accumulation as coco_eval_core.h. A detection's area (for the
// ranges) is its box's w * h in both modes, as loadRes sets it for results that carry a bbox (ours
// always do). One difference: cocoeval treats a ground truth with id 0 as unmatched (it stores ids
// in its match arrays); here matching does not depend on ids.
CocoDetEvalResult evaluate_coco_det(const CocoDetDataset& gt, const std::vector<CocoDetResult>& detections,
                                    const CocoDetEvalParams& params = {});

// The 12 lines cocoeval's summarize() prints:
//  " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.512"
std::string format_coco_det_eval(const CocoDetEvalResult& result);

}  // namespace oc
