// Direct convolution on the CPU for the float32 shapes where im2col + GEMM spends as long copying as
// multiplying (few channels, small images): the AVX-512 tiles of conv_direct_avx512.cpp read the
// (padded) input in place. Forward for stride 1 or 2, input gradient for stride 1, weight gradient
// for any stride; one group, not 1x1. conv_cpu.cpp calls these when conv_direct_applies says so.
#pragma once
#include <cstdint>

#include "kernels/conv/conv_math.h"

namespace oc {

enum class ConvPass { forward, input_grad, weight_grad };

// Whether the direct kernels run this pass of g on this CPU: AVX-512 chosen by the GEMM's dispatch
// (so OCELLUS_GEMM_ISA=avx2 turns them off), one group, not pointwise, and a stride they handle.
// Env OCELLUS_CONV_DIRECT=0 turns them off (im2col + GEMM everywhere).
bool conv_direct_applies(const ConvGeom& g, ConvPass pass);

// Testing and benchmark hook: turn the direct kernels off (false) or back on. Process-wide; do not
// call while convolutions run.
void conv_direct_enable(bool on);

// The three passes with conv_kernels.h's meaning (outputs written, bias optional).
void conv_direct_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y);
void conv_direct_input_grad(const ConvGeom& g, const float* gy, const float* w, const float* bias, float* gx);
void conv_direct_weight_grad(const ConvGeom& g, const float* x, const float* gy, float* gw);

namespace conv_direct_detail {

constexpr int kRows = 12;  // output channels (forward) or taps (weight gradient) per tile
constexpr int kLanes = 16; // pixels (forward) or output channels (weight gradient) per vector

// out_v[i * out_stride + j] = bias[i] (or 0) + sum_t w[t * kRows + i] * in_v[off[t] + j]
// for i < rows, v in {0, 1}, j < 16 where mask_v has bit j. Loads ignore the masks: in_v + off[t]
// must be readable for 16 floats.
void forward_tile_avx512(int64_t taps, const float* w, const int64_t* off, const float* in0, const float* in1,
                         float* out0, float* out1, int64_t out_stride, int rows, uint32_t mask0, uint32_t mask1,
                         const float* bias);

// The weight gradient's tiles hold vecs (1..3) vectors of 16 output channels by
// weight_grad_taps(vecs) taps: 24 accumulators, so 48 channels need no padding to 64.
constexpr int weight_grad_taps(int vecs) { return 24 / vecs; }

// acc[i * cols + j] += sum over pixels (a, b) < (rows_out, cols_out) of
//   x[a * row_step + b * col_step + off[i]] * g[(a * cols_out + b) * cols + j]
// for i < taps (<= weight_grad_taps(vecs)), j < cols = 16 * vecs: g holds the output gradient of
// cols channels, pixel-major.
void weight_grad_tile_avx512(int64_t rows_out, int64_t cols_out, int64_t row_step, int64_t col_step, const float* x,
                             const int64_t* off, int taps, int vecs, const float* g, float* acc);

}  // namespace conv_direct_detail
}  // namespace oc
