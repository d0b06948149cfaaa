// Small layers: Linear, BatchNorm2d, pooling, activations, Dropout, Upsample, Flatten.
#pragma once
#include "kernels/batch_norm/batch_norm.h"
#include "kernels/dropout/dropout.h"
#include "kernels/pool/pool.h"
#include "kernels/upsample/upsample.h"
#include "layers/module.h"

namespace oc {

// y = x W^T + b, W [out, in] as PyTorch; x [..., in].
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "linear"; }

 private:
  Tensor& weight_;
  Tensor* bias_ = nullptr;
};

// weight/bias [C] (affine), running_mean/var [C] buffers; batch statistics in training mode.
class BatchNorm2d : public Module {
 public:
  BatchNorm2d(int64_t channels, double momentum = 0.1, double eps = 1e-5);
  Tensor forward(const Tensor& x) override;
  // relu(forward(x)) by the fused kernels (batch_norm_relu): what a network runs when a relu alone
  // reads this layer's output.
  Tensor forward_relu(const Tensor& x);
  std::string type() const override { return "batchnorm2d"; }

 private:
  double momentum_, eps_;
  Tensor &weight_, &bias_, &running_mean_, &running_var_;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(const Pool2dParams& p) : p_(p) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, p_); }
  std::string type() const override { return "maxpool2d"; }

 private:
  Pool2dParams p_;
};

class AvgPool2d : public Module {
 public:
  AvgPool2d(const Pool2dParams& p, bool count_include_pad) : p_(p), count_include_pad_(count_include_pad) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, p_, count_include_pad_); }
  std::string type() const override { return "avgpool2d"; }

 private:
  Pool2dParams p_;
  bool count_include_pad_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  AdaptiveAvgPool2d(int64_t out_h, int64_t out_w) : h_(out_h), w_(out_w) {}
  Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, h_, w_); }
  std::string type() const override { return "adaptive_avgpool2d"; }

 private:
  int64_t h_, w_;
};

enum class ActivationKind { relu, leaky_relu, sigmoid, tanh };

class Activation : public Module {
 public:
  explicit Activation(ActivationKind kind, double negative_slope = 0.01) : kind_(kind), slope_(negative_slope) {}
  Tensor forward(const Tensor& x) override;
  std::string type() const override;

 private:
  ActivationKind kind_;
  double slope_;
};

// Inverted dropout; its own seeded generator so that training runs are reproducible.
class Dropout : public Module {
 public:
  Dropout(double p, uint64_t seed) : p_(p), gen_(seed) {}
  Tensor forward(const Tensor& x) override { return dropout(x, p_, is_training(), &gen_); }
  std::string type() const override { return "dropout"; }
  Generator& generator() { return gen_; }

 private:
  double p_;
  Generator gen_;
};

class Upsample : public Module {
 public:
  // mode "nearest" or "bilinear"; output size = input size * scale.
  Upsample(int64_t scale, const std::string& mode, bool align_corners)
      : scale_(scale), mode_(mode), align_corners_(align_corners) {}
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "upsample"; }

 private:
  int64_t scale_;
  std::string mode_;
  bool align_corners_;
};

// [N, ...] -> [N, prod(...)]
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return flatten(x, 1); }
  std::string type() const override { return "flatten"; }
};

}  // namespace oc
