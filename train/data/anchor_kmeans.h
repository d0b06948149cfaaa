// YOLOv2-style anchor shapes: k-means over the training boxes' (w, h) with the distance 1 - IoU of
// the two boxes placed at a common corner, so a shape is judged by overlap, not by pixels.
#pragma once
#include <cstdint>
#include <vector>

namespace oc {

struct AnchorShape {
  double w = 0, h = 0;
};

// IoU of two boxes sharing a corner: min(w) min(h) / (wa ha + wb hb - min(w) min(h)).
double corner_iou(const AnchorShape& a, const AnchorShape& b);

struct AnchorKmeansOptions {
  int64_t k = 5;                  // anchors wanted (>= 1, at most the number of boxes)
  uint64_t seed = 0;              // the seeding's random stream (Philox, train/data/synth_random.h)
  int64_t max_iterations = 1000;  // assignment + update rounds before giving up (>= 1)
};

struct AnchorKmeansResult {
  std::vector<AnchorShape> anchors;  // k shapes by increasing area (ties: by width)
  double mean_iou = 0;               // mean over boxes of the best corner IoU with an anchor
  int64_t iterations = 0;            // assignment rounds run
  bool converged = false;            // the last round changed no assignment
};

// k-means with d = 1 - corner_iou. Seeding (k-means++): the first centre is a box drawn uniformly,
// each next one a box drawn with probability proportional to d^2 to its nearest centre so far (when
// every box already sits on a centre, uniformly: the anchors then repeat a shape). Then rounds of:
// assign each box to the centre of highest IoU (ties to the lower index); stop when no assignment
// changed; move each centre to its cluster's mean w and mean h (an empty cluster keeps its shape).
// The same boxes, k and seed give the same result. Errors: k < 1, fewer boxes than k, a box with a
// width or height that is not positive and finite (named by index), max_iterations < 1.
AnchorKmeansResult anchor_kmeans(const std::vector<AnchorShape>& boxes, const AnchorKmeansOptions& opt);

}  // namespace oc
