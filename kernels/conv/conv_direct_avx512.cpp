// The AVX-512 tiles of the direct convolution (conv_direct_cpu.h): the GEMM microkernel's budget of
// 24 zmm accumulators (12 rows by 32 columns, or 24 x 16, or 8 x 48 for the weight gradient), with
// the input read where it lies instead of packed.
// Compiled with per-function target attributes, so the file builds without -march flags.
#include "kernels/conv/conv_direct_cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <array>
#include <utility>

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

template <int TAPS, int VECS>
__attribute__((target("avx512f"))) void weight_grad_tile(int64_t rows_out, int64_t cols_out, int64_t row_step,
                                                         int64_t col_step, const float* x, const int64_t* off,
                                                         const float* g, float* acc_out) {
  constexpr int kCols = VECS * kLanes;
  __m512 acc[TAPS][VECS];
#pragma GCC unroll 24
  for (int i = 0; i < TAPS; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < VECS; ++v) acc[i][v] = _mm512_setzero_ps();
  int64_t o[TAPS];
  for (int i = 0; i < TAPS; ++i) o[i] = off[i];
  // Each pixel: VECS vectors of 16 output channels' gradients, one broadcast input value per tap.
  for (int64_t a = 0; a < rows_out; ++a) {
    const float* xr = x + a * row_step;
    for (int64_t b = 0; b < cols_out; ++b) {
      __m512 gv[VECS];
#pragma GCC unroll 3
      for (int v = 0; v < VECS; ++v) gv[v] = _mm512_loadu_ps(g + v * kLanes);
      const float* xp = xr + b * col_step;
#pragma GCC unroll 24
      for (int i = 0; i < TAPS; ++i) {
        const __m512 xv = _mm512_set1_ps(xp[o[i]]);
#pragma GCC unroll 3
        for (int v = 0; v < VECS; ++v) acc[i][v] = _mm512_fmadd_ps(xv, gv[v], acc[i][v]);
      }
      g += kCols;
    }
  }
#pragma GCC unroll 24
  for (int i = 0; i < TAPS; ++i)
#pragma GCC unroll 3
    for (int v = 0; v < VECS; ++v) {
      float* r = acc_out + i * kCols + v * kLanes;
      _mm512_storeu_ps(r, _mm512_add_ps(_mm512_loadu_ps(r), acc[i][v]));
    }
}

using WeightGradTile = void (*)(int64_t, int64_t, int64_t, int64_t, const float*, const int64_t*, const float*,
                                float*);

// The instantiations for 1..MAX taps of VECS vectors, indexed by taps - 1.
template <int VECS, int... I>
constexpr std::array<WeightGradTile, sizeof...(I)> weight_grad_tiles(std::integer_sequence<int, I...>) {
  return {&weight_grad_tile<I + 1, VECS>...};
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

void weight_grad_tile_avx512(int64_t rows_out, int64_t cols_out, int64_t row_step, int64_t col_step, const float* x,
                             const int64_t* off, int taps, int vecs, const float* g, float* acc) {
  static constexpr auto one = weight_grad_tiles<1>(std::make_integer_sequence<int, weight_grad_taps(1)>());
  static constexpr auto two = weight_grad_tiles<2>(std::make_integer_sequence<int, weight_grad_taps(2)>());
  static constexpr auto three = weight_grad_tiles<3>(std::make_integer_sequence<int, weight_grad_taps(3)>());
  const WeightGradTile f = vecs == 1 ? one[taps - 1] : vecs == 2 ? two[taps - 1] : three[taps - 1];
  f(rows_out, cols_out, row_step, col_step, x, off, g, acc);
}

}  // namespace oc::conv_direct_detail

#endif  // __x86_64__
