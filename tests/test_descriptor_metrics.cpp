// FPR at 95% recall on hand-made distance lists.
#include <catch2/catch.hpp>

#include "train/metrics/descriptor_metrics.h"

using namespace oc;

TEST_CASE("descriptor metrics: FPR95 by hand", "[lift]") {
  // 20 positives 0.1 .. 2.0: 95% recall needs 19 of them, threshold 1.9.
  std::vector<double> pos;
  for (int i = 1; i <= 20; ++i) pos.push_back(0.1 * i);
  std::vector<double> neg = {0.5, 1.9, 1.95, 3.0};  // two at or below 1.9
  CHECK(fpr_at_recall(pos, neg) == Approx(0.5));
  CHECK(fpr_at_recall(pos, neg, 1.0) == Approx(0.75));  // threshold 2.0
  CHECK(fpr_at_recall(pos, {2.5, 3.0}) == 0.0);         // separated
  // Order does not matter.
  std::vector<double> shuffled(pos.rbegin(), pos.rend());
  CHECK(fpr_at_recall(shuffled, neg) == Approx(0.5));
  CHECK_THROWS_WITH(fpr_at_recall({}, neg), Catch::Contains("needs positive"));
}
