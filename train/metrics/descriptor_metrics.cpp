// FPR at a recall (see descriptor_metrics.h).
#include "train/metrics/descriptor_metrics.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace oc {

double fpr_at_recall(std::vector<double> positives, const std::vector<double>& negatives, double recall) {
  OC_CHECK(!positives.empty() && !negatives.empty(), "fpr_at_recall: needs positive and negative distances");
  OC_CHECK(recall > 0 && recall <= 1, "fpr_at_recall: recall must be in (0, 1], got ", recall);
  std::sort(positives.begin(), positives.end());
  // The k-th smallest positive distance accepts k of them: the least k with k / n >= recall.
  const size_t k = static_cast<size_t>(std::ceil(recall * static_cast<double>(positives.size()) - 1e-9));
  const double threshold = positives[std::max<size_t>(k, 1) - 1];
  size_t accepted = 0;
  for (double d : negatives) accepted += d <= threshold;
  return static_cast<double>(accepted) / static_cast<double>(negatives.size());
}

}  // namespace oc
