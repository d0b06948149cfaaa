// Convolution layers: weight [K, C/groups, R, S] (PyTorch's layout), optional bias [K].
#pragma once
#include "kernels/conv/conv.h"
#include "layers/module.h"

namespace oc {

struct Conv2dOptions {
  int64_t in_channels = 0, out_channels = 0, kernel_h = 3, kernel_w = 3;
  Conv2dParams params;
  bool bias = true;
};

class Conv2d : public Module {
 public:
  Conv2d(const Conv2dOptions& o, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "conv2d"; }
  const Conv2dOptions& options() const { return o_; }

 private:
  Conv2dOptions o_;
  Tensor& weight_;
  Tensor* bias_ = nullptr;
};

struct ConvTranspose2dOptions {
  int64_t in_channels = 0, out_channels = 0, kernel_h = 3, kernel_w = 3;
  ConvTranspose2dParams params;
  bool bias = true;
};

// weight [C, K/groups, R, S] as PyTorch's ConvTranspose2d.
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(const ConvTranspose2dOptions& o, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "conv_transpose2d"; }

 private:
  ConvTranspose2dOptions o_;
  Tensor& weight_;
  Tensor* bias_ = nullptr;
};

}  // namespace oc
