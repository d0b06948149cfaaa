// Losses of learned local descriptors (LIFT, Yi et al. 2016) and of a keypoint classifier, composites
// of differentiable ops. Descriptors are rows of [N, D], L2-normalized by the caller.
#pragma once
#include "core/tensor.h"

namespace oc {

// Euclidean distance of each row pair, [N, D] x [N, D] -> [N]; sqrt(sum (a - b)^2 + 1e-12), so the
// gradient stays finite when a == b.
Tensor row_distances(const Tensor& a, const Tensor& b);

// LIFT's pair hinge: mean over i of ||a_i - p_i|| + max(0, margin - ||a_i - n_i||), anchors a,
// positives p (the same point seen in the other view) and negatives n (a different point).
Tensor pair_hinge_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin);

// The triplet margin loss with the hardest negative in the batch (HardNet's mining): for each i,
// the negative is the closest of {p_j : j != i} and {a_j : j != i} to a_i or p_i, and the loss is
// the mean of max(0, margin + ||a_i - p_i|| - ||hardest negative||). Needs N >= 2.
// same_point (optional, [N, N], symmetric, 1 or 0): rows i and j show one physical point (e.g. two
// pairs of one photo), so j's descriptors are no negatives of i's; a row left without any negative
// contributes 0.
Tensor hardest_triplet_loss(const Tensor& anchor, const Tensor& positive, double margin,
                            const Tensor& same_point = Tensor());

// The logistic loss of classifying scores: mean of softplus(-s) over keypoint scores and of
// softplus(s) over non-keypoint scores, each group weighted equally; softplus computed without
// overflow. Either may be empty (undefined); not both.
Tensor keypoint_classification_loss(const Tensor& keypoint_scores, const Tensor& non_keypoint_scores);

}  // namespace oc
