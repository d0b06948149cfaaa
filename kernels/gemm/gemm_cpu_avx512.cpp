// float32 GEMM microkernel for AVX-512F: a 12x32 tile of C held in 24 zmm registers.
// Compiled with per-function target attributes, so the file builds without -march flags.
#include "kernels/gemm/gemm_cpu.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace oc::gemm_detail {

namespace {

constexpr int MR = kAvx512MR, NR = kAvx512NR;

// The first ROWS rows of a 12x32 tile; edge tiles with m < 12 skip the FMAs of absent rows.
template <int ROWS>
__attribute__((target("avx512f"))) void tile_12x32(int64_t K, const float* Ap, const float* Bp,
                                                    float* C, int64_t ldc, int64_t n, float alpha,
                                                    float beta) {
  __m512 acc[ROWS][2];
#pragma GCC unroll 12
  for (int i = 0; i < ROWS; ++i) {
    acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    // C rows are far apart (ldc); start fetching the tile now so the final update does not stall.
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + i * ldc + 16), _MM_HINT_T0);
  }

  // Each k: two 16-wide rows of B, one broadcast of A per C row, 2*ROWS independent FMAs.
  for (int64_t k = 0; k < K; ++k) {
    const __m512 b0 = _mm512_load_ps(Bp), b1 = _mm512_load_ps(Bp + 16);
    _mm_prefetch(reinterpret_cast<const char*>(Bp + 8 * NR), _MM_HINT_T0);
#pragma GCC unroll 12
    for (int i = 0; i < ROWS; ++i) {
      const __m512 a = _mm512_set1_ps(Ap[i]);
      acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
    }
    Ap += MR;
    Bp += NR;
  }

  // beta == 0 never reads C; a narrow tile uses masked loads/stores on its n valid columns.
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  if (n == NR) {  // full width: plain stores
#pragma GCC unroll 12
    for (int i = 0; i < ROWS; ++i) {
      float* c = C + i * ldc;
      __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);
      if (beta != 0.0f) {
        r0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(c), r0);
        r1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(c + 16), r1);
      }
      _mm512_storeu_ps(c, r0);
      _mm512_storeu_ps(c + 16, r1);
    }
    return;
  }
  const __mmask16 m0 = n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
  const __mmask16 m1 = n <= 16 ? __mmask16(0) : __mmask16((1u << (n - 16)) - 1);
#pragma GCC unroll 12
  for (int i = 0; i < ROWS; ++i) {
    float* c = C + i * ldc;
    __m512 r0 = _mm512_mul_ps(va, acc[i][0]), r1 = _mm512_mul_ps(va, acc[i][1]);
    if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), r1);
    }
    _mm512_mask_storeu_ps(c, m0, r0);
    _mm512_mask_storeu_ps(c + 16, m1, r1);
  }
}

}  // namespace

// Ap: [K][12], Bp: [K][32] -> C[12,32] tile (m x n valid), see SgemmMicrokernel.
__attribute__((target("avx512f"))) void sgemm_microkernel_avx512(
    int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc, int64_t m, int64_t n,
    float alpha, float beta) {
  switch (m) {
    case 1: return tile_12x32<1>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 2: return tile_12x32<2>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 3: return tile_12x32<3>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 4: return tile_12x32<4>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 5: return tile_12x32<5>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 6: return tile_12x32<6>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 7: return tile_12x32<7>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 8: return tile_12x32<8>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 9: return tile_12x32<9>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 10: return tile_12x32<10>(K, Ap, Bp, C, ldc, n, alpha, beta);
    case 11: return tile_12x32<11>(K, Ap, Bp, C, ldc, n, alpha, beta);
    default: return tile_12x32<12>(K, Ap, Bp, C, ldc, n, alpha, beta);
  }
}

}  // namespace oc::gemm_detail

#endif  // __x86_64__
