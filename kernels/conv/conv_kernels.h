// The three convolution kernels, CPU and CUDA side by side. Every one is stated in terms of a
// conv2d geometry: x [N,C,H,W] * w [K,Cg,R,S] -> y [N,K,Ho,Wo] with G groups (Cg = C/G, Kg = K/G;
// output channel k of group g = k / Kg reads input channels g*Cg .. g*Cg+Cg-1). conv_transpose2d is
// conv2d's input gradient, so it runs on these kernels with the roles of x and y swapped.
// All tensors are contiguous, of one floating dtype, on the kernel's device; outputs are written,
// never accumulated into. Ho and Wo are given, not derived (conv_transpose2d's output padding makes
// H larger than conv2d would need); taps that fall outside x read zeros.
#pragma once
#include <cstdint>

#include "core/hd.h"
#include "core/tensor.h"

namespace oc {

struct ConvGeom {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input x
  int64_t K = 0, R = 0, S = 0;         // weight [K, C/G, R, S]
  int64_t Ho = 0, Wo = 0;              // output y
  int64_t sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1;  // stride, padding, dilation
  int64_t G = 1;                       // groups

  OC_HD int64_t Cg() const { return C / G; }
  OC_HD int64_t Kg() const { return K / G; }
  OC_HD int64_t P() const { return Ho * Wo; }        // output pixels per image
  OC_HD int64_t HW() const { return H * W; }         // input pixels per image
  OC_HD int64_t CRS() const { return C / G * R * S; }  // taps per output value
  // 1x1 kernel, stride 1, no padding, same size: the input already is the im2col matrix.
  OC_HD bool pointwise() const {
    return R == 1 && S == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 && Ho == H && Wo == W;
  }
};

// y[n,k,ho,wo] = bias[k] + sum_{c,r,s} w[k,c,r,s] x[n, g*Cg + c, ho*sh - ph + r*dh, wo*sw - pw + s*dw]
//   x [N,C,H,W], w [K,Cg,R,S], bias [K] or undefined -> y [N,K,Ho,Wo]
void conv2d_forward_cpu(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y);
void conv2d_forward_cuda(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y);

// dx = d(sum gy * y)/dx, plus bias[c] on channel c (conv_transpose2d's bias; undefined for conv2d):
//   gy [N,K,Ho,Wo], w [K,Cg,R,S], bias [C] or undefined -> gx [N,C,H,W]
void conv2d_input_grad_cpu(const ConvGeom& g, const Tensor& gy, const Tensor& w, const Tensor& bias,
                           const Tensor& gx);
void conv2d_input_grad_cuda(const ConvGeom& g, const Tensor& gy, const Tensor& w, const Tensor& bias,
                            const Tensor& gx);

// dw = d(sum gy * y)/dw, summed over the batch:
//   x [N,C,H,W], gy [N,K,Ho,Wo] -> gw [K,Cg,R,S]
void conv2d_weight_grad_cpu(const ConvGeom& g, const Tensor& x, const Tensor& gy, const Tensor& gw);
void conv2d_weight_grad_cuda(const ConvGeom& g, const Tensor& x, const Tensor& gy, const Tensor& gw);

}  // namespace oc
