// Front end of the matcher and the balanced sampler: checks naming the op and the bad value, the
// ground truths' best IoUs (a reduction, also where a NaN shows), dispatch, the generator's offset.
#include "kernels/matcher/matcher.h"

#include <cmath>

#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"
#include "kernels/matcher/matcher_kernels.h"
#include "kernels/reduce/reduce.h"

namespace oc {

Tensor match(const Tensor& iou, double high, double low, bool allow_low_quality) {
  check_defined("match", {&iou});
  check_floating("match", iou);
  OC_CHECK(iou.dim() == 2, "match: expected an IoU matrix [ground truths, anchors], got ", shape_str(iou.shape()));
  OC_CHECK(std::isfinite(low) && std::isfinite(high) && low <= high, "match: need finite low <= high thresholds, got low ",
           low, ", high ", high);
  const int64_t num_gt = iou.size(0), num_anchors = iou.size(1);
  if (num_gt == 0 || num_anchors == 0) return full({num_anchors}, static_cast<double>(kMatchBelowLow), DType::i64, iou.device());
  Tensor x = contiguous(iou.detach());
  // Each ground truth's best IoU; max propagates NaN, so this also finds a NaN anywhere in the matrix.
  Tensor row_max = max(x, {1});
  const std::vector<double> best = to_vector<double>(row_max);
  for (int64_t g = 0; g < num_gt; ++g)
    OC_CHECK(!std::isnan(best[g]), "match: iou ", shape_str(iou.shape()), " has a NaN in row ", g,
             " (ground truth ", g, ")");
  Tensor out = Tensor::empty({num_anchors}, DType::i64, iou.device());
  OC_ON_DEVICE(iou.device(), match, x, row_max, out, high, low, allow_low_quality);
  return out;
}

BalancedSample sample_balanced(const Tensor& labels, int64_t batch_size, double positive_fraction, Generator* gen) {
  check_defined("sample_balanced", {&labels});
  check_dtype("sample_balanced", labels, DType::i64, "labels");
  OC_CHECK(labels.dim() == 1, "sample_balanced: expected labels [A], got ", shape_str(labels.shape()));
  OC_CHECK(batch_size >= 0, "sample_balanced: batch_size ", batch_size, " must be non-negative");
  OC_CHECK(positive_fraction >= 0 && positive_fraction <= 1, "sample_balanced: positive_fraction ", positive_fraction,
           " must be in [0, 1]");
  const int64_t n = labels.size(0);
  // The keys put the index in their low 32 bits.
  OC_CHECK(n <= (int64_t(1) << 32), "sample_balanced: labels ", shape_str(labels.shape()),
           " has more than 2^32 elements");
  Generator& g = gen ? *gen : default_generator();
  BalancedSample s{Tensor::empty({n}, DType::b8, labels.device()), Tensor::empty({n}, DType::b8, labels.device())};
  // int(batch_size * positive_fraction), as torchvision truncates it.
  const int64_t pos_target = static_cast<int64_t>(static_cast<double>(batch_size) * positive_fraction);
  if (n > 0)
    OC_ON_DEVICE(labels.device(), sample_balanced, contiguous(labels), s.positive, s.negative, batch_size, pos_target,
                 g.seed, g.offset);
  g.offset += sample_blocks(n);
  return s;
}

}  // namespace oc
