// CPU reference of the matcher (one anchor per match_anchor call) and of the balanced sampler (the
// k smallest keys of each class by nth_element; the CUDA twin finds them by radix selection).
#include <algorithm>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/matcher/matcher_kernels.h"

namespace oc {

void match_cpu(const Tensor& iou, const Tensor& row_max, const Tensor& out, double high, double low,
               bool allow_low_quality) {
  const int64_t num_gt = iou.size(0), num_anchors = iou.size(1);
  int64_t* o = out.data<int64_t>();
  OC_DISPATCH_FLOATING(iou.dtype(), "match", [&] {
    const scalar_t* x = static_cast<const scalar_t*>(iou.raw_data());
    const scalar_t* rm = static_cast<const scalar_t*>(row_max.raw_data());
    const scalar_t hi = static_cast<scalar_t>(high), lo = static_cast<scalar_t>(low);
    parallel_for(0, num_anchors, 1024, [&](int64_t s, int64_t e) {
      for (int64_t a = s; a < e; ++a) o[a] = match_anchor(x, rm, num_gt, num_anchors, a, hi, lo, allow_low_quality);
    });
  });
}

namespace {

// Marks the k elements of `keys` with the smallest keys (keys hold their index in the low 32 bits).
void mark_smallest(std::vector<uint64_t>& keys, int64_t k, bool* mask) {
  if (k <= 0) return;
  if (k < static_cast<int64_t>(keys.size())) std::nth_element(keys.begin(), keys.begin() + (k - 1), keys.end());
  for (int64_t j = 0; j < k; ++j) mask[keys[j] & 0xFFFFFFFFull] = true;
}

}  // namespace

void sample_balanced_cpu(const Tensor& labels, const Tensor& pos, const Tensor& neg, int64_t batch_size,
                         int64_t pos_target, uint64_t seed, uint64_t offset) {
  const int64_t n = labels.size(0);
  const int64_t* lab = labels.data<int64_t>();
  bool* pm = static_cast<bool*>(pos.raw_data());
  bool* nm = static_cast<bool*>(neg.raw_data());
  std::vector<uint64_t> keys[2];
  for (int64_t i = 0; i < n; ++i) {
    pm[i] = nm[i] = false;
    const int c = sample_class(lab[i]);
    if (c >= 0) keys[c].push_back(sample_key(seed, offset, i));
  }
  const int64_t num_pos = std::min(static_cast<int64_t>(keys[0].size()), pos_target);
  const int64_t num_neg = std::min(static_cast<int64_t>(keys[1].size()), batch_size - num_pos);
  mark_smallest(keys[0], num_pos, pm);
  mark_smallest(keys[1], num_neg, nm);
}

}  // namespace oc
