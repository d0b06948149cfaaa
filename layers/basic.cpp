// Small layers over the kernels.
#include "layers/basic.h"

#include "layers/batch_norm_sync.h"

namespace oc {

Linear::Linear(int64_t in, int64_t out, bool bias, Generator& gen)
    : weight_(register_parameter("weight", init_uniform_fan_in({out, in}, in, gen))) {
  if (bias) bias_ = &register_parameter("bias", init_uniform_fan_in({out}, in, gen));
}

Tensor Linear::forward(const Tensor& x) {
  Tensor y = matmul(x, transpose(weight_, 0, 1));
  return bias_ ? add(y, *bias_) : y;
}

BatchNorm2d::BatchNorm2d(int64_t c, double momentum, double eps)
    : momentum_(momentum),
      eps_(eps),
      weight_(register_parameter("weight", ones({c}))),
      bias_(register_parameter("bias", zeros({c}))),
      running_mean_(register_buffer("running_mean", zeros({c}))),
      running_var_(register_buffer("running_var", ones({c}))) {}

Tensor BatchNorm2d::forward(const Tensor& x) {
  if (is_training() && batch_norm_process_sum())
    return sync_batch_norm(x, weight_, bias_, running_mean_, running_var_, momentum_, eps_, false,
                           batch_norm_process_sum());
  return batch_norm(x, weight_, bias_, running_mean_, running_var_, is_training(), momentum_, eps_);
}

Tensor BatchNorm2d::forward_relu(const Tensor& x) {
  if (is_training() && batch_norm_process_sum())
    return sync_batch_norm(x, weight_, bias_, running_mean_, running_var_, momentum_, eps_, true,
                           batch_norm_process_sum());
  return batch_norm_relu(x, weight_, bias_, running_mean_, running_var_, is_training(), momentum_, eps_);
}

Tensor Activation::forward(const Tensor& x) {
  switch (kind_) {
    case ActivationKind::relu: return relu(x);
    case ActivationKind::leaky_relu: return leaky_relu(x, slope_);
    case ActivationKind::sigmoid: return sigmoid(x);
    case ActivationKind::tanh: return tanh(x);
  }
  return x;
}

std::string Activation::type() const {
  switch (kind_) {
    case ActivationKind::relu: return "relu";
    case ActivationKind::leaky_relu: return "leaky_relu";
    case ActivationKind::sigmoid: return "sigmoid";
    case ActivationKind::tanh: return "tanh";
  }
  return "?";
}

Tensor Upsample::forward(const Tensor& x) {
  OC_CHECK(x.dim() == 4, "upsample: expected [N,C,H,W], got ", x.str());
  if (mode_ == "nearest") return upsample_nearest2d(x, x.size(2) * scale_, x.size(3) * scale_);
  return upsample_bilinear2d(x, x.size(2) * scale_, x.size(3) * scale_, align_corners_);
}

}  // namespace oc
