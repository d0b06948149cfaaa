// float32 GEMM microkernel for AVX-512F: a 12x32 tile of C held in 24 zmm registers.
// Compiled with per-function target attributes, so the file builds without -march flags.
#include <immintrin.h>

#include "kernels/gemm/gemm_cpu.h"

namespace oc::gemm_detail {

namespace {
constexpr int MR = kAvx512MR, NR = kAvx512NR;
}

// Ap: [K][12], Bp: [K][32] -> C[12,32] tile (m x n valid), see SgemmMicrokernel.
__attribute__((target("avx512f"))) void sgemm_microkernel_avx512(
    int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, int64_t m, int64_t n,
    float alpha, float beta) {
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();

  // Each k: two 16-wide rows of B, one broadcast of A per C row, 24 independent FMAs.
  for (int64_t k = 0; k < K; ++k) {
    const __m512 b0 = _mm512_load_ps(Bp), b1 = _mm512_load_ps(Bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(Bp + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      const __m512 a = _mm512_set1_ps(Ap[i]);
      acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
    }
    Ap += MR;
    Bp += NR;
  }

  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  if (m == MR && n == NR) {
#pragma GCC unroll 12
    for (int i = 0; i < MR; ++i) {
      float* c = C + i * ldc;
      for (int h = 0; h < 2; ++h) {
        __m512 r = _mm512_mul_ps(va, acc[i][h]);
        if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + 16 * h), r);
        _mm512_storeu_ps(c + 16 * h, r);
      }
    }
    return;
  }
  // Edge tile: masked loads/stores touch only the n valid columns of the m valid rows.
  const __mmask16 mask0 = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 mask1 = n >= 32 ? __mmask16(0xFFFF) : n <= 16 ? __mmask16(0)
                                                               : __mmask16((1u << (n - 16)) - 1);
  const __mmask16 masks[2] = {mask0, mask1};
#pragma GCC unroll 12
  for (int i = 0; i < MR; ++i) {
    if (i >= m) break;
    float* c = C + i * ldc;
    for (int h = 0; h < 2; ++h) {
      __m512 r = _mm512_mul_ps(va, acc[i][h]);
      if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(masks[h], c + 16 * h), r);
      _mm512_mask_storeu_ps(c + 16 * h, masks[h], r);
    }
  }
}

}  // namespace oc::gemm_detail
