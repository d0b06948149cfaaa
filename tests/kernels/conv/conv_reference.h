// conv2d and conv_transpose2d by their definitions, as plain loops in double: the references of the
// conv case table (conv_cases.cpp) and of the hand tests (test_conv.cpp), and square-parameter
// shorthands.
#pragma once
#include <functional>
#include <vector>

#include "kernels/conv/conv.h"
#include "kernels/ops.h"

namespace oc::test {

// Square stride, padding and dilation.
inline Conv2dParams conv_params(int64_t stride, int64_t pad, int64_t dilation = 1, int64_t groups = 1) {
  Conv2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  p.dilation_h = p.dilation_w = dilation;
  p.groups = groups;
  return p;
}

inline Conv2dParams conv_params(int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                                int64_t groups) {
  Conv2dParams p;
  p.stride_h = sh, p.stride_w = sw, p.pad_h = ph, p.pad_w = pw, p.dilation_h = dh, p.dilation_w = dw;
  p.groups = groups;
  return p;
}

inline ConvTranspose2dParams tconv_params(int64_t stride, int64_t pad, int64_t out_pad, int64_t dilation = 1,
                                          int64_t groups = 1) {
  ConvTranspose2dParams p;
  p.stride_h = p.stride_w = stride;
  p.pad_h = p.pad_w = pad;
  p.output_pad_h = p.output_pad_w = out_pad;
  p.dilation_h = p.dilation_w = dilation;
  p.groups = groups;
  return p;
}

struct ConvDims {
  int64_t N, C, H, W, K, Cg, R, S, Ho, Wo, G;
};

// Ho and Wo from the formula, or as given (conv_transpose2d's gradients: a conv2d whose output is
// cropped to the transposed convolution's input size).
inline ConvDims conv_dims(const Tensor& x, const Tensor& w, const Conv2dParams& p, int64_t Ho = -1, int64_t Wo = -1) {
  ConvDims d{x.size(0), x.size(1), x.size(2), x.size(3), w.size(0), w.size(1), w.size(2), w.size(3), Ho, Wo, p.groups};
  if (Ho < 0) d.Ho = (d.H + 2 * p.pad_h - p.dilation_h * (d.R - 1) - 1) / p.stride_h + 1;
  if (Wo < 0) d.Wo = (d.W + 2 * p.pad_w - p.dilation_w * (d.S - 1) - 1) / p.stride_w + 1;
  return d;
}

// Calls f(n, k, ho, wo, ci, c, r, s, h, w) for every (output value, tap) pair that reads inside x:
// input channel ci (global) = g*Cg + c of weight w[k, c, r, s]. The seven loops of the definition.
inline void conv_for_each_tap(const ConvDims& d, const Conv2dParams& p,
                              const std::function<void(int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                                                       int64_t, int64_t, int64_t)>& f) {
  const int64_t Kg = d.K / d.G;
  for (int64_t n = 0; n < d.N; ++n)
    for (int64_t k = 0; k < d.K; ++k)
      for (int64_t ho = 0; ho < d.Ho; ++ho)
        for (int64_t wo = 0; wo < d.Wo; ++wo)
          for (int64_t c = 0; c < d.Cg; ++c)
            for (int64_t r = 0; r < d.R; ++r)
              for (int64_t s = 0; s < d.S; ++s) {
                const int64_t h = ho * p.stride_h - p.pad_h + r * p.dilation_h;
                const int64_t w = wo * p.stride_w - p.pad_w + s * p.dilation_w;
                if (h < 0 || h >= d.H || w < 0 || w >= d.W) continue;
                f(n, k, ho, wo, (k / Kg) * d.Cg + c, c, r, s, h, w);
              }
}

inline Tensor ref_conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dParams& p, int64_t Ho = -1,
                         int64_t Wo = -1) {
  const ConvDims d = conv_dims(x, w, p, Ho, Wo);
  std::vector<double> xv = to_vector<double>(x), wv = to_vector<double>(w), y(d.N * d.K * d.Ho * d.Wo, 0);
  if (bias.defined()) {
    std::vector<double> bv = to_vector<double>(bias);
    for (size_t i = 0; i < y.size(); ++i) y[i] = bv[(i / (d.Ho * d.Wo)) % d.K];
  }
  conv_for_each_tap(d, p, [&](auto n, auto k, auto ho, auto wo, auto ci, auto c, auto r, auto s, auto h, auto ww) {
    y[((n * d.K + k) * d.Ho + ho) * d.Wo + wo] +=
        wv[((k * d.Cg + c) * d.R + r) * d.S + s] * xv[((n * d.C + ci) * d.H + h) * d.W + ww];
  });
  return from_vector(y, {d.N, d.K, d.Ho, d.Wo});
}

// d(sum gy * conv2d(x, w))/dx and /dw.
inline Tensor ref_conv2d_input_grad(const Tensor& x, const Tensor& w, const Tensor& gy, const Conv2dParams& p) {
  const ConvDims d = conv_dims(x, w, p, gy.size(2), gy.size(3));
  std::vector<double> wv = to_vector<double>(w), gv = to_vector<double>(gy), gx(x.numel(), 0);
  conv_for_each_tap(d, p, [&](auto n, auto k, auto ho, auto wo, auto ci, auto c, auto r, auto s, auto h, auto ww) {
    gx[((n * d.C + ci) * d.H + h) * d.W + ww] +=
        wv[((k * d.Cg + c) * d.R + r) * d.S + s] * gv[((n * d.K + k) * d.Ho + ho) * d.Wo + wo];
  });
  return from_vector(gx, x.shape());
}

inline Tensor ref_conv2d_weight_grad(const Tensor& x, const Tensor& w, const Tensor& gy, const Conv2dParams& p) {
  const ConvDims d = conv_dims(x, w, p, gy.size(2), gy.size(3));
  std::vector<double> xv = to_vector<double>(x), gv = to_vector<double>(gy), gw(w.numel(), 0);
  conv_for_each_tap(d, p, [&](auto n, auto k, auto ho, auto wo, auto ci, auto c, auto r, auto s, auto h, auto ww) {
    gw[((k * d.Cg + c) * d.R + r) * d.S + s] +=
        xv[((n * d.C + ci) * d.H + h) * d.W + ww] * gv[((n * d.K + k) * d.Ho + ho) * d.Wo + wo];
  });
  return from_vector(gw, w.shape());
}

// The transposed convolution by its own definition (a scatter): input pixel (h, w) of channel ci
// adds x * w[ci, k, r, s] at output (h*sh - ph + r*dh, w*sw - pw + s*dw) of channel g*Kg + k.
inline Tensor ref_conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& bias,
                                   const ConvTranspose2dParams& p) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t Kg = w.size(1), R = w.size(2), S = w.size(3), G = p.groups, K = Kg * G, Cg = C / G;
  const int64_t Ho = (H - 1) * p.stride_h - 2 * p.pad_h + p.dilation_h * (R - 1) + p.output_pad_h + 1;
  const int64_t Wo = (W - 1) * p.stride_w - 2 * p.pad_w + p.dilation_w * (S - 1) + p.output_pad_w + 1;
  std::vector<double> xv = to_vector<double>(x), wv = to_vector<double>(w), y(N * K * Ho * Wo, 0);
  if (bias.defined()) {
    std::vector<double> bv = to_vector<double>(bias);
    for (size_t i = 0; i < y.size(); ++i) y[i] = bv[(i / (Ho * Wo)) % K];
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t ci = 0; ci < C; ++ci)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t ww = 0; ww < W; ++ww)
          for (int64_t k = 0; k < Kg; ++k)
            for (int64_t r = 0; r < R; ++r)
              for (int64_t s = 0; s < S; ++s) {
                const int64_t oh = h * p.stride_h - p.pad_h + r * p.dilation_h;
                const int64_t ow = ww * p.stride_w - p.pad_w + s * p.dilation_w;
                if (oh < 0 || oh >= Ho || ow < 0 || ow >= Wo) continue;
                const int64_t ko = (ci / Cg) * Kg + k;
                y[((n * K + ko) * Ho + oh) * Wo + ow] +=
                    xv[((n * C + ci) * H + h) * W + ww] * wv[((ci * Kg + k) * R + r) * S + s];
              }
  return from_vector(y, {N, K, Ho, Wo});
}

// The bias of a case's inputs (x, w[, bias]), or none.
inline Tensor conv_bias_of(const std::vector<Tensor>& in) { return in.size() > 2 ? in[2] : Tensor(); }

}  // namespace oc::test
