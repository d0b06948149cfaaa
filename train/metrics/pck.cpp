// PCK@alpha and mean joint error (see pck.h).
#include "train/metrics/pck.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace oc {

double pck_person_size(const Person& ground_truth) {
  return std::max(double(ground_truth.bbox[2]), double(ground_truth.bbox[3]));
}

PckResult pck(const std::vector<Person>& predictions, const std::vector<Person>& ground_truths,
              const std::vector<double>& alphas) {
  OC_CHECK(predictions.size() == ground_truths.size(), "pck: ", predictions.size(), " predictions but ",
           ground_truths.size(), " ground truths (they are paired one to one)");
  for (double a : alphas) OC_CHECK(std::isfinite(a) && a >= 0, "pck: alpha ", a, " must be finite and >= 0");
  PckResult r;
  r.alphas = alphas;
  std::vector<int64_t> hits(alphas.size(), 0);
  double error_sum = 0;
  for (size_t p = 0; p < predictions.size(); ++p) {
    const Person& pred = predictions[p];
    const Person& gt = ground_truths[p];
    OC_CHECK(pred.keypoints.size() == gt.keypoints.size(), "pck: person ", p, ": prediction has ",
             pred.keypoints.size(), " keypoints but ground truth has ", gt.keypoints.size());
    double size = pck_person_size(gt);
    for (size_t j = 0; j < gt.keypoints.size(); ++j) {
      if (gt.keypoints[j].v <= 0) continue;
      double dx = double(pred.keypoints[j].x) - gt.keypoints[j].x;
      double dy = double(pred.keypoints[j].y) - gt.keypoints[j].y;
      double d = std::sqrt(dx * dx + dy * dy);
      error_sum += d;
      ++r.visible_joints;
      for (size_t a = 0; a < alphas.size(); ++a)
        if (d <= alphas[a] * size) ++hits[a];
    }
  }
  r.pck.assign(alphas.size(), 0.0);
  if (r.visible_joints > 0) {
    for (size_t a = 0; a < alphas.size(); ++a) r.pck[a] = double(hits[a]) / double(r.visible_joints);
    r.mean_error = error_sum / double(r.visible_joints);
  }
  return r;
}

}  // namespace oc
