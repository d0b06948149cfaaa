// Synchronized batch normalization (see batch_norm_sync.h), composed of differentiable ops so that
// its gradient, the process sum's included, follows from theirs.
#include "layers/batch_norm_sync.h"

#include <limits>

#include "core/autograd.h"
#include "kernels/ops.h"

namespace oc {
namespace {
ProcessSum& process_sum_slot() {
  static ProcessSum sum;
  return sum;
}
}  // namespace

void set_batch_norm_process_sum(ProcessSum sum) { process_sum_slot() = std::move(sum); }
const ProcessSum& batch_norm_process_sum() { return process_sum_slot(); }

Tensor sync_batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                       const Tensor& running_var, double momentum, double eps, bool relu, const ProcessSum& process_sum) {
  OC_CHECK(x.dim() >= 2 && is_floating(x.dtype()), "sync_batch_norm: expected a floating [N, C, ...] tensor, got ",
           x.str());
  const int64_t C = x.size(1);
  Axes axes;  // every dim but the channels
  for (int64_t d = 0; d < x.dim(); ++d)
    if (d != 1) axes.push_back(d);
  // This process's sums and count, then everyone's, in one collective.
  const Tensor x64 = to(x, DType::f64);
  const Tensor local = cat({sum(x64, axes), sum(mul(x64, x64), axes),
                            full({1}, static_cast<double>(x.numel() / std::max<int64_t>(C, 1)), DType::f64, x.device())},
                           0);
  const Tensor total = process_sum(local);
  OC_CHECK(total.defined() && total.shape() == local.shape(), "sync_batch_norm: the process sum returned ",
           total.defined() ? total.str() : "nothing", " for ", local.str());
  const double count = item<double>(slice(total, 0, 2 * C, 2 * C + 1));
  OC_CHECK(count > 1, "sync_batch_norm: training needs more than one value per channel over all processes, got ",
           count, " (input ", x.str(), ")");
  const Tensor mean = div(slice(total, 0, 0, C), count);
  // E[x^2] - E[x]^2 in float64; rounding can leave it a hair below zero.
  const Tensor var = clamp(sub(div(slice(total, 0, C, 2 * C), count), mul(mean, mean)), 0.0,
                           std::numeric_limits<double>::infinity());
  Tensor scale = rsqrt(add(var, eps));
  if (weight.defined()) scale = mul(scale, to(weight, DType::f64));
  Tensor shift = neg(mul(mean, scale));
  if (bias.defined()) shift = add(shift, to(bias, DType::f64));
  Shape per_channel(static_cast<size_t>(x.dim()), 1);
  per_channel[1] = C;
  Tensor y = add(mul(x, reshape(to(scale, x.dtype()), per_channel)), reshape(to(shift, x.dtype()), per_channel));
  if (relu) y = oc::relu(y);
  if (running_mean.defined() && running_var.defined()) {
    NoGradGuard no_grad;
    const Tensor m = to(mean.detach(), running_mean.dtype());
    const Tensor v = to(mul(var.detach(), count / (count - 1)), running_var.dtype());
    copy_(running_mean, add(mul(running_mean, 1 - momentum), mul(m, momentum)));
    copy_(running_var, add(mul(running_var, 1 - momentum), mul(v, momentum)));
  }
  return y;
}

}  // namespace oc
