// float32 GEMM microkernel for AVX2+FMA: a 6x16 tile of C held in 12 ymm registers.
// Compiled with per-function target attributes, so the file builds without -march flags.
#include <immintrin.h>

#include "kernels/gemm/gemm_cpu.h"

namespace oc::gemm_detail {

namespace {
constexpr int MR = kAvx2MR, NR = kAvx2NR;
}

// Ap: [K][6], Bp: [K][16] -> C[6,16] tile (m x n valid), see SgemmMicrokernel.
__attribute__((target("avx2,fma"))) void sgemm_microkernel_avx2(
    int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, int64_t m, int64_t n,
    float alpha, float beta) {
  __m256 acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();

  // Each k: two 8-wide rows of B, one broadcast of A per C row, 12 independent FMAs.
  for (int64_t k = 0; k < K; ++k) {
    const __m256 b0 = _mm256_load_ps(Bp), b1 = _mm256_load_ps(Bp + 8);
    _mm_prefetch(reinterpret_cast<const char*>(Bp + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 a = _mm256_broadcast_ss(Ap + i);
      acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
    }
    Ap += MR;
    Bp += NR;
  }

  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (m == MR && n == NR) {
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      float* c = C + i * ldc;
      for (int h = 0; h < 2; ++h) {
        __m256 r = _mm256_mul_ps(va, acc[i][h]);
        if (beta != 0.0f) r = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8 * h), r);
        _mm256_storeu_ps(c + 8 * h, r);
      }
    }
    return;
  }
  // Edge tile: spill the tile and write only the m x n valid part (C outside it is not touched).
  alignas(32) float tile[MR][NR];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    _mm256_store_ps(tile[i], _mm256_mul_ps(va, acc[i][0]));
    _mm256_store_ps(tile[i] + 8, _mm256_mul_ps(va, acc[i][1]));
  }
  for (int64_t i = 0; i < m; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; ++j) c[j] = tile[i][j];
    } else {
      for (int64_t j = 0; j < n; ++j) c[j] = tile[i][j] + beta * c[j];
    }
  }
}

}  // namespace oc::gemm_detail
