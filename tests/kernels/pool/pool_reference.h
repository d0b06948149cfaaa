// Pooling by PyTorch's definitions, as plain double loops (written from the definitions, not from
// pool_math.h): the references of the pool case table (pool_cases.cpp) and of the hand tests.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/ops.h"

namespace oc::test {

enum class RefPoolMode { max, avg_incl, avg_excl };

inline int64_t ref_pool_out_size(int64_t in, int64_t k, int64_t s, int64_t pad, bool ceil_mode) {
  const double span = static_cast<double>(in + 2 * pad - k) / static_cast<double>(s);
  int64_t out = static_cast<int64_t>(ceil_mode ? std::ceil(span) : std::floor(span)) + 1;
  if (ceil_mode && (out - 1) * s >= in + pad) --out;  // no window may start in the right padding
  return out;
}

// Pooling of P = N*C planes of H x W, by brute force over each window's positions.
inline std::vector<double> ref_pool(const std::vector<double>& x, int64_t P, int64_t H, int64_t W, RefPoolMode mode,
                                    const Pool2dParams& p, int64_t* Ho, int64_t* Wo) {
  *Ho = ref_pool_out_size(H, p.kernel_h, p.stride_h, p.pad_h, p.ceil_mode);
  *Wo = ref_pool_out_size(W, p.kernel_w, p.stride_w, p.pad_w, p.ceil_mode);
  std::vector<double> out;
  for (int64_t pl = 0; pl < P; ++pl)
    for (int64_t oh = 0; oh < *Ho; ++oh)
      for (int64_t ow = 0; ow < *Wo; ++ow) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0;
        int64_t in_padded = 0, in_input = 0;
        for (int64_t kh = 0; kh < p.kernel_h; ++kh)
          for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
            const int64_t h = oh * p.stride_h - p.pad_h + kh, w = ow * p.stride_w - p.pad_w + kw;
            if (h >= -p.pad_h && h < H + p.pad_h && w >= -p.pad_w && w < W + p.pad_w) ++in_padded;
            if (h < 0 || h >= H || w < 0 || w >= W) continue;
            ++in_input;
            const double v = x[(pl * H + h) * W + w];
            best = std::max(best, v);
            sum += v;
          }
        if (mode == RefPoolMode::max) out.push_back(best);
        else out.push_back(sum / static_cast<double>(mode == RefPoolMode::avg_incl ? in_padded : in_input));
      }
  return out;
}

inline Tensor ref_pool(const Tensor& x, RefPoolMode mode, const Pool2dParams& p) {
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  int64_t Ho, Wo;
  std::vector<double> out = ref_pool(to_vector<double>(contiguous(x)), N * C, H, W, mode, p, &Ho, &Wo);
  return from_vector(out, {N, C, Ho, Wo});
}

// Adaptive average pooling by its definition: bin i covers [floor(i*in/out), ceil((i+1)*in/out)).
inline std::vector<double> ref_adaptive(const std::vector<double>& x, int64_t P, int64_t H, int64_t W, int64_t Ho,
                                        int64_t Wo) {
  std::vector<double> out;
  for (int64_t pl = 0; pl < P; ++pl)
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        const auto h0 = static_cast<int64_t>(std::floor(static_cast<double>(oh * H) / Ho));
        const auto h1 = static_cast<int64_t>(std::ceil(static_cast<double>((oh + 1) * H) / Ho));
        const auto w0 = static_cast<int64_t>(std::floor(static_cast<double>(ow * W) / Wo));
        const auto w1 = static_cast<int64_t>(std::ceil(static_cast<double>((ow + 1) * W) / Wo));
        double s = 0;
        for (int64_t h = h0; h < h1; ++h)
          for (int64_t w = w0; w < w1; ++w) s += x[(pl * H + h) * W + w];
        out.push_back(s / static_cast<double>((h1 - h0) * (w1 - w0)));
      }
  return out;
}

inline Tensor ref_adaptive(const Tensor& x, int64_t Ho, int64_t Wo) {
  const int64_t N = x.size(0), C = x.size(1);
  return from_vector(ref_adaptive(to_vector<double>(contiguous(x)), N * C, x.size(2), x.size(3), Ho, Wo),
                     {N, C, Ho, Wo});
}

}  // namespace oc::test
