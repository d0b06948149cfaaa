// Front end of batch_norm and batch_norm_relu: checks, statistics, the running-buffer update,
// dispatch, and one fused gradient rule (batch_norm_math.h; with the ReLU, g masked first):
//   dx = w * invstd * (g - mean(g) - xhat * mean(g * xhat))   with batch statistics
//   dx = w * invstd * g                                       with running statistics
//   dw = sum(g * xhat),  db = sum(g)                          (sums over N and the spatial dims)
#include "kernels/batch_norm/batch_norm.h"

#include <cmath>

#include "core/autograd.h"
#include "kernels/batch_norm/batch_norm_kernels.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/fill/fill.h"

namespace oc {
namespace {

// A per-channel tensor (weight, bias, running stat): undefined, or [C] of x's dtype and device.
void check_channel_param(const char* kOp, const Tensor& x, const Tensor& t, const char* what) {
  if (!t.defined()) return;
  OC_CHECK(t.dim() == 1 && t.size(0) == x.size(1), kOp, ": ", what, " ", shape_str(t.shape()),
           " does not match the ", x.size(1), " channels of input ", shape_str(x.shape()));
  OC_CHECK(t.dtype() == x.dtype(), kOp, ": ", what, " ", t.str(), " and input ", x.str(), " differ in dtype");
  OC_CHECK(t.device() == x.device(), kOp, ": ", what, " ", t.str(), " and input ", x.str(), " are on different devices");
}

// batch_norm, and batch_norm_relu when `relu`.
Tensor batch_norm_maybe_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                             const Tensor& running_var, bool training, double momentum, double eps, bool relu) {
  const char* kOp = relu ? "batch_norm_relu" : "batch_norm";
  check_floating(kOp, x);
  OC_CHECK(x.dim() >= 2, kOp, ": expected an input [N, C] or [N, C, H, W], got ", shape_str(x.shape()));
  check_channel_param(kOp, x, weight, "weight");
  check_channel_param(kOp, x, bias, "bias");
  check_channel_param(kOp, x, running_mean, "running_mean");
  check_channel_param(kOp, x, running_var, "running_var");
  OC_CHECK(running_mean.defined() == running_var.defined(), kOp,
           ": running_mean and running_var must both be given or both be undefined");
  OC_CHECK(!running_mean.defined() || (!running_mean.requires_grad() && !running_var.requires_grad()), kOp,
           ": the running statistics are buffers updated in place and must not require grad");
  OC_CHECK(std::isfinite(eps) && eps >= 0, kOp, ": eps must be finite and non-negative, got ", eps);
  OC_CHECK(std::isfinite(momentum), kOp, ": momentum must be finite, got ", momentum);

  const int64_t N = x.size(0), C = x.size(1);
  int64_t S = 1;
  for (int64_t k = 2; k < x.dim(); ++k) S *= x.size(k);
  const BnDims d{N, C, S};
  const int64_t count = N * S;  // values per channel
  const bool batch_stats = training || !running_mean.defined();
  OC_CHECK(!batch_stats || count != 1, kOp,
           ": expected more than 1 value per channel when using batch statistics, got input ", shape_str(x.shape()));
  const Device dev = x.device();
  const DType dt = x.dtype();

  // The kernels index [N, C, S] and [C] directly: contiguous copies of any strided views.
  Tensor xc = contiguous(x.detach());
  Tensor wc = weight.defined() ? contiguous(weight.detach()) : Tensor();
  Tensor bc = bias.defined() ? contiguous(bias.detach()) : Tensor();
  Tensor mean, invstd;  // [C]
  {
    NoGradGuard no_grad;
    if (batch_stats) {
      mean = Tensor::empty({C}, dt, dev);
      Tensor var = Tensor::empty({C}, dt, dev);
      if (count > 0) {
        OC_ON_DEVICE(dev, batch_norm_stats, xc, mean, var, d);
        if (training && running_mean.defined()) {
          // As PyTorch: the running variance takes the unbiased batch variance.
          const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
          copy_(running_mean, add(mul(running_mean.detach(), 1 - momentum), mul(mean, momentum)));
          copy_(running_var, add(mul(running_var.detach(), 1 - momentum), mul(var, momentum * unbias)));
        }
      } else {
        // An empty batch: nothing to normalize, and nothing learned about the statistics.
        fill_(mean, 0);
        fill_(var, 1);
      }
      invstd = rsqrt(add(var, eps));
    } else {
      // A copy: the caller may update its buffers before this graph's backward runs.
      mean = clone(running_mean.detach());
      invstd = rsqrt(add(running_var.detach(), eps));
    }
  }

  const BnAffine affine{mean, invstd, wc, bc, relu};
  Tensor y = Tensor::empty(x.shape(), dt, dev);
  if (y.numel() > 0) OC_ON_DEVICE(dev, batch_norm_apply, xc, affine, y, d);

  record_op(y, kOp, {x, weight, bias},
            [xc, affine, d, batch_stats,
             need_x = x.requires_grad(), need_w = weight.defined() && weight.requires_grad(),
             need_b = bias.defined() && bias.requires_grad()](const Tensor& gy) {
              const Device dev = gy.device();
              const DType dt = gy.dtype();
              Tensor gyc = contiguous(gy);
              Tensor sum_g, sum_gxmu;
              if (batch_stats || need_w || need_b) {
                sum_g = Tensor::empty({d.c}, dt, dev);
                sum_gxmu = Tensor::empty({d.c}, dt, dev);
                if (d.c > 0) OC_ON_DEVICE(dev, batch_norm_backward_reduce, gyc, xc, affine, sum_g, sum_gxmu, d);
              }
              Tensor gx;
              if (need_x) {
                gx = Tensor::empty(xc.shape(), dt, dev);
                if (gx.numel() > 0)
                  OC_ON_DEVICE(dev, batch_norm_backward_input, gyc, xc, affine, sum_g, sum_gxmu, gx, d, batch_stats);
              }
              return std::vector<Tensor>{gx, need_w ? mul(sum_gxmu, affine.invstd) : Tensor(), need_b ? sum_g : Tensor()};
            });
  return y;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
  return batch_norm_maybe_relu(x, weight, bias, running_mean, running_var, training, momentum, eps, false);
}

Tensor batch_norm_relu(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                       const Tensor& running_var, bool training, double momentum, double eps) {
  return batch_norm_maybe_relu(x, weight, bias, running_mean, running_var, training, momentum, eps, true);
}

}  // namespace oc
