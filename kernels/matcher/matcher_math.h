// Matching and sampling arithmetic written once for the CPU reference and the CUDA kernels.
//
// Matcher (torchvision's detection/_utils.py Matcher), one anchor a over the IoU column iou[:, a]:
//     best = the first maximum over ground truths g, arg = its g
//     best < low          -> -1 (BELOW_LOW_THRESHOLD)
//     low <= best < high  -> -2 (BETWEEN_THRESHOLDS)
//     otherwise           -> arg
// and with allow_low_quality, an anchor that ties some ground truth's best IoU (iou[g, a] ==
// max over a' of iou[g, a']) gets arg back: torchvision restores the anchor's own argmax, not g.
// The thresholds are compared in the IoU's dtype, as PyTorch compares a tensor with a Python float.
//
// Balanced sampler: element i gets the 64-bit key (philox word << 32) | i, the word being draw i of
// the Philox stream at (seed, offset) (block offset + i / 4, word i % 4, as the uniform draws). The
// keys are distinct (i < 2^32), so "the k smallest keys" is one set on every device: a uniform
// random k-subset, ties in the 32 random bits broken by the lower index.
#pragma once
#include <cstdint>

#include "core/hd.h"
#include "kernels/random/philox.h"

namespace oc {

constexpr int64_t kMatchBelowLow = -1;
constexpr int64_t kMatchBetween = -2;

// iou [G, A] contiguous, row_max [G] (each ground truth's best IoU); G >= 1.
template <class T>
OC_HD int64_t match_anchor(const T* iou, const T* row_max, int64_t num_gt, int64_t num_anchors, int64_t a, T high,
                           T low, bool allow_low_quality) {
  T best = iou[a];
  int64_t arg = 0;
  bool ties_a_best = allow_low_quality && best == row_max[0];
  for (int64_t g = 1; g < num_gt; ++g) {
    const T v = iou[g * num_anchors + a];
    if (v > best) {  // strictly greater: the first maximum wins
      best = v;
      arg = g;
    }
    if (allow_low_quality && v == row_max[g]) ties_a_best = true;
  }
  if (ties_a_best) return arg;
  if (best < low) return kMatchBelowLow;
  if (best < high) return kMatchBetween;
  return arg;
}

// The sampler's classes: 0 positive (label >= 1), 1 negative (label == 0), -1 neither.
OC_HD int sample_class(int64_t label) { return label >= 1 ? 0 : (label == 0 ? 1 : -1); }

OC_HD uint64_t sample_key(uint64_t seed, uint64_t offset, int64_t i) {
  const PhiloxBlock blk = philox4x32_10(offset + static_cast<uint64_t>(i / 4), seed);
  return (static_cast<uint64_t>(blk.w[i % 4]) << 32) | static_cast<uint64_t>(i);
}

// Philox blocks one sampling of n elements consumes (the generator's offset advances by this).
OC_HD uint64_t sample_blocks(int64_t n) { return static_cast<uint64_t>((n + 3) / 4); }

}  // namespace oc
