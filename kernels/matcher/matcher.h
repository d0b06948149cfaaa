// Matching anchors to ground truths and sampling them for training, as torchvision's Matcher and
// BalancedPositiveNegativeSampler (detection/_utils.py); the sampler draws from the engine's Philox
// generator, so the CPU and CUDA choose the same elements for the same generator state.
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "kernels/random/random.h"

namespace oc {

// iou [G, A] (float32/64; ground truths x anchors) -> int64 [A]: the matched ground truth, -1 (IoU
// below `low`) or -2 (low <= IoU < high). With allow_low_quality every anchor tying a ground truth's
// best IoU keeps its argmax (all ties, as torchvision; ties between ground truths go to the first).
// Differences from torchvision, on purpose: G = 0 gives all -1 (torchvision raises; an image without
// objects is all background); A = 0 gives an empty result; a NaN IoU is an error naming its ground
// truth (torchvision would let it match). Needs finite low <= high.
Tensor match(const Tensor& iou, double high, double low, bool allow_low_quality);

struct BalancedSample {
  Tensor positive, negative;  // bool [A] masks
};

// labels int64 [A] (>= 1 positive, 0 negative, anything else ignored) -> masks of the chosen
// elements: min(#positives, int(batch_size * positive_fraction)) positives, then
// min(#negatives, batch_size - positives chosen) negatives, each a uniform random subset. The
// generator's offset advances by ceil(A / 4) blocks on every call, on every device.
BalancedSample sample_balanced(const Tensor& labels, int64_t batch_size, double positive_fraction,
                               Generator* gen = nullptr);

}  // namespace oc
