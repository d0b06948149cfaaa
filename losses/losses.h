// Losses on tensors: cross-entropy / NLL (class weights, ignore index, label smoothing, spatial
// targets), MSE, L1, smooth L1 and BCE-with-logits, each with reduction none / mean / sum.
// They are composites of differentiable kernels/ ops, so their gradients come from those ops' rules;
// class weights and pos_weight are constants (no gradient), as in PyTorch.
#pragma once
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace oc {

enum class Reduction { none, mean, sum };

struct CrossEntropyOptions {
  Tensor weight;               // [C] class weights (same dtype and device as the logits), or undefined
  int64_t ignore_index = -100; // targets equal to this contribute nothing (to the loss nor to the mean's divisor)
  double label_smoothing = 0;  // in [0, 1]; cross_entropy only
  Reduction reduction = Reduction::mean;
};

// logits [N,C] or [N,C,d1,...] (class dim 1), target int64 [N] or [N,d1,...] with values in [0, C) or
// ignore_index. Per element: (1-e) * w[t] * -log_softmax(x)[t] + (e/C) * sum_c w[c] * -log_softmax(x)[c]
// (w = 1 without weights, e = label_smoothing; 0 where t == ignore_index). reduction none: shaped
// like target; sum; mean: the sum divided by the sum of w[t] over non-ignored targets (PyTorch's rule,
// NaN when every target is ignored).
Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& opt = {});
// The same on log-probabilities (no log_softmax); opt.label_smoothing must be 0.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const CrossEntropyOptions& opt = {});

// input and target have one shape and one floating dtype; both get gradients.
// (x - y)^2
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction r = Reduction::mean);
// |x - y|   (gradient 0 where x == y, as PyTorch)
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction r = Reduction::mean);
// 0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta; beta = 0 is l1_loss.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, double beta = 1.0, Reduction r = Reduction::mean);
// -[p t log s(x) + (1 - t) log(1 - s(x))] with p = 1 + (pos_weight - 1) t, computed as
// (1 - t) x + p (m + log(e^-m + e^(-x-m))), m = max(-x, 0): never overflows, the log-sum-exp form.
// pos_weight (undefined, or broadcastable to target's shape, e.g. [C] for [N,C]) weights positives.
Tensor bce_with_logits(const Tensor& logits, const Tensor& target, Reduction r = Reduction::mean,
                       const Tensor& pos_weight = Tensor());

// "none" | "mean" | "sum"; anything else is an oc::Error naming the value.
Reduction parse_reduction(const std::string& s);
const char* reduction_name(Reduction r);

}  // namespace oc
