// How well descriptor distances separate matching from non-matching patch pairs (Brown et al.'s
// patch benchmark, as LIFT and HardNet report it).
#pragma once
#include <vector>

namespace oc {

// The false positive rate at `recall` (0.95: "FPR95"): the distance threshold is the smallest one
// that accepts at least `recall` of the positive (matching) pairs' distances, and the result is the
// fraction of the negative pairs' distances at or below it. Both lists non-empty.
double fpr_at_recall(std::vector<double> positives, const std::vector<double>& negatives, double recall = 0.95);

}  // namespace oc
