// float32 GEMM microkernel for AVX2+FMA: a 6x16 tile of C held in 12 ymm registers.
// Compiled with per-function target attributes, so the file builds without -march flags.
#include "kernels/gemm/gemm_cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace oc::gemm_detail {

namespace {

constexpr int MR = kAvx2MR, NR = kAvx2NR;

// The first ROWS rows of a 6x16 tile; edge tiles with m < 6 skip the FMAs of absent rows.
template <int ROWS>
__attribute__((target("avx2,fma"))) void tile_6x16(int64_t K, const float* Ap, const float* Bp,
                                                   float* C, int64_t ldc, int64_t n, float alpha,
                                                   float beta) {
  __m256 acc[ROWS][2];
#pragma GCC unroll 6
  for (int i = 0; i < ROWS; ++i) {
    acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    // C rows are far apart (ldc); start fetching the tile now so the final update does not stall.
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
  }

  // Each k: two 8-wide rows of B, one broadcast of A per C row, 2*ROWS independent FMAs.
  for (int64_t k = 0; k < K; ++k) {
    const __m256 b0 = _mm256_load_ps(Bp), b1 = _mm256_load_ps(Bp + 8);
    _mm_prefetch(reinterpret_cast<const char*>(Bp + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; ++i) {
      const __m256 a = _mm256_broadcast_ss(Ap + i);
      acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
    }
    Ap += MR;
    Bp += NR;
  }

  // beta == 0 never reads C.
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (n == NR) {  // full width: plain stores
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; ++i) {
      float* c = C + i * ldc;
      __m256 r0 = _mm256_mul_ps(va, acc[i][0]), r1 = _mm256_mul_ps(va, acc[i][1]);
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(c + 8), r1);
      }
      _mm256_storeu_ps(c, r0);
      _mm256_storeu_ps(c + 8, r1);
    }
    return;
  }
  // Narrow tile: spill it and write only the n valid columns (C past them is not touched).
  alignas(32) float tile[ROWS][NR];
#pragma GCC unroll 6
  for (int i = 0; i < ROWS; ++i) {
    _mm256_store_ps(tile[i], _mm256_mul_ps(va, acc[i][0]));
    _mm256_store_ps(tile[i] + 8, _mm256_mul_ps(va, acc[i][1]));
  }
  for (int i = 0; i < ROWS; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; ++j) c[j] = tile[i][j];
    } else {
      for (int64_t j = 0; j < n; ++j) c[j] = tile[i][j] + beta * c[j];
    }
  }
}

}  // namespace

// Ap: [K][6], Bp: [K][16] -> C[6,16] tile (m x n valid), see SgemmMicrokernel.
__attribute__((target("avx2,fma"))) void sgemm_microkernel_avx2(
    int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, int64_t m, int64_t n,
    float alpha, float beta) {
  switch (m) {
    case 1: return tile_6x16<1>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 2: return tile_6x16<2>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 3: return tile_6x16<3>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 4: return tile_6x16<4>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 5: return tile_6x16<5>(K, Ap, Bp, C, ldc, n, alpha, beta);
    default: return tile_6x16<6>(K, Ap, Bp, C, ldc, n, alpha, beta);
  }
}

}  // namespace oc::gemm_detail

#endif  // __x86_64__
