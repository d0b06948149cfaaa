// Convolution layers over kernels/conv.
#include "layers/conv.h"

namespace oc {

Conv2d::Conv2d(const Conv2dOptions& o, Generator& gen)
    : o_(o),
      weight_(register_parameter("weight",
                                 init_uniform_fan_in({o.out_channels, o.in_channels / o.params.groups, o.kernel_h, o.kernel_w},
                                                     o.in_channels / o.params.groups * o.kernel_h * o.kernel_w, gen))) {
  if (o.bias)
    bias_ = &register_parameter("bias", init_uniform_fan_in({o.out_channels},
                                                            o.in_channels / o.params.groups * o.kernel_h * o.kernel_w, gen));
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight_, bias_ ? *bias_ : Tensor(), o_.params); }

ConvTranspose2d::ConvTranspose2d(const ConvTranspose2dOptions& o, Generator& gen)
    : o_(o),
      // PyTorch computes fan_in of a transposed conv from weight.size(1) * R * S.
      weight_(register_parameter("weight",
                                 init_uniform_fan_in({o.in_channels, o.out_channels / o.params.groups, o.kernel_h, o.kernel_w},
                                                     o.out_channels / o.params.groups * o.kernel_h * o.kernel_w, gen))) {
  if (o.bias)
    bias_ = &register_parameter(
        "bias", init_uniform_fan_in({o.out_channels}, o.out_channels / o.params.groups * o.kernel_h * o.kernel_w, gen));
}

Tensor ConvTranspose2d::forward(const Tensor& x) {
  return conv_transpose2d(x, weight_, bias_ ? *bias_ : Tensor(), o_.params);
}

}  // namespace oc
