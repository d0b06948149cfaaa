// The AVX-512 tiles of the direct convolution (conv_direct_cpu.h): the GEMM microkernel's shape, 12
// rows by 32 columns in 24 zmm accumulators, with the input read where it lies instead of packed.
// Compiled with per-function target attributes, so the file builds without -march flags.
#include "kernels/conv/conv_direct_cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace oc::conv_direct_detail {
namespace {

template <int ROWS>
__attribute__((target("avx512f"))) void forward_tile(int64_t taps, const float* w, const int64_t* off,
                                                     const float* in0, const float* in1, float* out0, float* out1,
                                                     int64_t out_stride, __mmask16 m0, __mmask16 m1,
                                                     const float* bias) {
  __m512 acc[ROWS][2];
#pragma GCC unroll 12
  for (int i = 0; i < ROWS; ++i) acc[i][0] = acc[i][1] = bias ? _mm512_set1_ps(bias[i]) : _mm512_setzero_ps();
  // Each tap: 16 pixels of each vector's input, one broadcast weight per output channel.
  for (int64_t t = 0; t < taps; ++t) {
    const __m512 a = _mm512_loadu_ps(in0 + off[t]), b = _mm512_loadu_ps(in1 + off[t]);
#pragma GCC unroll 12
    for (int i = 0; i < ROWS; ++i) {
      const __m512 wv = _mm512_set1_ps(w[i]);
      acc[i][0] = _mm512_fmadd_ps(wv, a, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(wv, b, acc[i][1]);
    }
    w += kRows;
  }
#pragma GCC unroll 12
  for (int i = 0; i < ROWS; ++i) {
    _mm512_mask_storeu_ps(out0 + i * out_stride, m0, acc[i][0]);
    _mm512_mask_storeu_ps(out1 + i * out_stride, m1, acc[i][1]);
  }
}

template <int TAPS>
__attribute__((target("avx512f"))) void weight_grad_tile(int64_t rows_out, int64_t cols_out, int64_t row_step,
                                                         int64_t col_step, const float* x, const int64_t* off,
                                                         const float* g, float* acc_out) {
  __m512 acc[TAPS][2];
#pragma GCC unroll 12
  for (int i = 0; i < TAPS; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  int64_t o[TAPS];
  for (int i = 0; i < TAPS; ++i) o[i] = off[i];
  for (int64_t a = 0; a < rows_out; ++a) {
    const float* xr = x + a * row_step;
    for (int64_t b = 0; b < cols_out; ++b) {
      const __m512 g0 = _mm512_loadu_ps(g), g1 = _mm512_loadu_ps(g + 16);
      const float* xp = xr + b * col_step;
#pragma GCC unroll 12
      for (int i = 0; i < TAPS; ++i) {
        const __m512 xv = _mm512_set1_ps(xp[o[i]]);
        acc[i][0] = _mm512_fmadd_ps(xv, g0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(xv, g1, acc[i][1]);
      }
      g += 32;
    }
  }
#pragma GCC unroll 12
  for (int i = 0; i < TAPS; ++i) {
    float* r = acc_out + i * 32;
    _mm512_storeu_ps(r, _mm512_add_ps(_mm512_loadu_ps(r), acc[i][0]));
    _mm512_storeu_ps(r + 16, _mm512_add_ps(_mm512_loadu_ps(r + 16), acc[i][1]));
  }
}

}  // namespace

__attribute__((target("avx512f"))) void forward_tile_avx512(int64_t taps, const float* w, const int64_t* off,
                                                            const float* in0, const float* in1, float* out0,
                                                            float* out1, int64_t out_stride, int rows, uint32_t mask0,
                                                            uint32_t mask1, const float* bias) {
  const __mmask16 m0 = static_cast<__mmask16>(mask0), m1 = static_cast<__mmask16>(mask1);
#define OC_FORWARD_TILE(R) return forward_tile<R>(taps, w, off, in0, in1, out0, out1, out_stride, m0, m1, bias)
  switch (rows) {
    case 1: OC_FORWARD_TILE(1);
    case 2: OC_FORWARD_TILE(2);
    case 3: OC_FORWARD_TILE(3);
    case 4: OC_FORWARD_TILE(4);
    case 5: OC_FORWARD_TILE(5);
    case 6: OC_FORWARD_TILE(6);
    case 7: OC_FORWARD_TILE(7);
    case 8: OC_FORWARD_TILE(8);
    case 9: OC_FORWARD_TILE(9);
    case 10: OC_FORWARD_TILE(10);
    case 11: OC_FORWARD_TILE(11);
    default: OC_FORWARD_TILE(12);
  }
#undef OC_FORWARD_TILE
}

__attribute__((target("avx512f"))) void weight_grad_tile_avx512(int64_t rows_out, int64_t cols_out, int64_t row_step,
                                                                int64_t col_step, const float* x, const int64_t* off,
                                                                int taps, const float* g, float* acc) {
#define OC_WGRAD_TILE(T) return weight_grad_tile<T>(rows_out, cols_out, row_step, col_step, x, off, g, acc)
  switch (taps) {
    case 1: OC_WGRAD_TILE(1);
    case 2: OC_WGRAD_TILE(2);
    case 3: OC_WGRAD_TILE(3);
    case 4: OC_WGRAD_TILE(4);
    case 5: OC_WGRAD_TILE(5);
    case 6: OC_WGRAD_TILE(6);
    case 7: OC_WGRAD_TILE(7);
    case 8: OC_WGRAD_TILE(8);
    case 9: OC_WGRAD_TILE(9);
    case 10: OC_WGRAD_TILE(10);
    case 11: OC_WGRAD_TILE(11);
    default: OC_WGRAD_TILE(12);
  }
#undef OC_WGRAD_TILE
}

}  // namespace oc::conv_direct_detail

#endif  // __x86_64__
