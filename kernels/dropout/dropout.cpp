// Dropout, composed of existing ops: a Philox bernoulli mask (kernels/random, the same numbers on
// CPU and CUDA) scaled by 1 / (1 - p), times x. The gradient is mul's: g * mask / (1 - p).
// A fused kernel would save one pass over the mask; the mask draw dominates either way.
#include "kernels/dropout/dropout.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/elementwise/elementwise.h"

namespace oc {

Tensor dropout(const Tensor& x, double p, bool training, Generator* gen) {
  check_floating("dropout", x);
  OC_CHECK(p >= 0 && p <= 1, "dropout: probability p must be in [0, 1], got ", p);
  if (!training || p == 0) return x;
  if (p == 1) return mul(x, 0.0);  // every element dropped; the gradient is zero too
  Tensor keep;
  {
    NoGradGuard no_grad;
    keep = mul(bernoulli(x.shape(), 1 - p, gen, x.dtype(), x.device()), 1.0 / (1.0 - p));
  }
  return mul(x, keep);
}

}  // namespace oc
