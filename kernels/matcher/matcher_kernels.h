// Matcher and sampler kernels, _cpu and _cuda side by side; tensors contiguous on one device.
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "kernels/matcher/matcher_math.h"

namespace oc {

// iou [G, A] (G >= 1), row_max [G] -> out int64 [A]
void match_cpu(const Tensor& iou, const Tensor& row_max, const Tensor& out, double high, double low,
               bool allow_low_quality);
void match_cuda(const Tensor& iou, const Tensor& row_max, const Tensor& out, double high, double low,
                bool allow_low_quality);

// labels int64 [A] -> pos, neg bool [A]: the min(#pos, pos_target) positives and then
// min(#neg, batch_size - chosen positives) negatives with the smallest sample_key.
void sample_balanced_cpu(const Tensor& labels, const Tensor& pos, const Tensor& neg, int64_t batch_size,
                         int64_t pos_target, uint64_t seed, uint64_t offset);
void sample_balanced_cuda(const Tensor& labels, const Tensor& pos, const Tensor& neg, int64_t batch_size,
                          int64_t pos_target, uint64_t seed, uint64_t offset);

}  // namespace oc
