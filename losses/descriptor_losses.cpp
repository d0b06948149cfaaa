// Descriptor and keypoint losses (see descriptor_losses.h).
#include "losses/descriptor_losses.h"

#include "core/error.h"
#include "kernels/ops.h"

namespace oc {
namespace {

void check_rows(const Tensor& a, const Tensor& b, const char* who) {
  OC_CHECK(a.dim() == 2 && a.shape() == b.shape(), who, ": expected two [N, D] descriptors of one shape, got ",
           a.str(), " and ", b.str());
}

// log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): never overflows.
Tensor softplus(const Tensor& x) { return add(relu(x), log(add(exp(neg(abs(x))), 1.0))); }

}  // namespace

Tensor row_distances(const Tensor& a, const Tensor& b) {
  check_rows(a, b, "row_distances");
  Tensor d = sub(a, b);
  return sqrt(add(sum(mul(d, d), {1}), 1e-12));
}

Tensor pair_hinge_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin) {
  check_rows(anchor, positive, "pair_hinge_loss");
  check_rows(anchor, negative, "pair_hinge_loss");
  return mean(add(row_distances(anchor, positive), relu(rsub(margin, row_distances(anchor, negative)))));
}

Tensor hardest_triplet_loss(const Tensor& anchor, const Tensor& positive, double margin, const Tensor& same_point) {
  check_rows(anchor, positive, "hardest_triplet_loss");
  const int64_t n = anchor.size(0);
  OC_CHECK(n >= 2, "hardest_triplet_loss: needs at least 2 pairs in the batch, got ", n);
  // Squared distances from the Gram matrices: |x|^2 + |y|^2 - 2 x.y, clamped at 0 against rounding.
  auto pairwise = [](const Tensor& x, const Tensor& y) {
    Tensor xx = sum(mul(x, x), {1}, true), yy = transpose(sum(mul(y, y), {1}, true), 0, 1);
    Tensor d2 = sub(add(xx, yy), mul(matmul(x, transpose(y, 0, 1)), 2.0));
    return sqrt(add(clamp(d2, 0, 1e30), 1e-12));
  };
  // Own pairs (the diagonal) and other views of the same point are never negatives: push them out
  // of the minimum, beyond any hinge.
  Tensor diag = mul(eye(n, n, anchor.dtype(), anchor.device()), 1e6);
  if (same_point.defined()) {
    OC_CHECK(same_point.shape() == (Shape{n, n}), "hardest_triplet_loss: same_point must be [", n, ", ", n,
             "], got ", same_point.str());
    diag = add(diag, mul(to(to(same_point, anchor.dtype()), anchor.device()), 1e6));
  }
  Tensor ap = add(pairwise(anchor, positive), diag);  // a_i to p_j
  Tensor aa = add(pairwise(anchor, anchor), diag);    // a_i to a_j
  Tensor pp = add(pairwise(positive, positive), diag);
  Tensor hardest = minimum(minimum(min(ap, {1}), min(ap, {0})), minimum(min(aa, {1}), min(pp, {1})));
  return mean(relu(add(sub(row_distances(anchor, positive), hardest), margin)));
}

Tensor keypoint_classification_loss(const Tensor& keypoint_scores, const Tensor& non_keypoint_scores) {
  OC_CHECK(keypoint_scores.defined() || non_keypoint_scores.defined(),
           "keypoint_classification_loss: no scores given");
  Tensor pos = keypoint_scores.defined() ? mean(softplus(neg(keypoint_scores))) : Tensor();
  Tensor negs = non_keypoint_scores.defined() ? mean(softplus(non_keypoint_scores)) : Tensor();
  if (!pos.defined()) return negs;
  if (!negs.defined()) return pos;
  return mul(add(pos, negs), 0.5);
}

}  // namespace oc
