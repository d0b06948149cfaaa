// CUDA batched GEMM: a shared-memory tiled kernel (each thread a TM x TN micro-tile in registers) that
// reads A and B through their strides, so transposed and batch-broadcast operands need no copy.
#include <algorithm>
#include <type_traits>

#include "core/cuda_context.h"
#include "kernels/gemm/gemm_kernels.h"

namespace oc {
namespace {

// [B,M,K] x [B,K,N] -> [B,M,N].
//   A(z, m, k) = A[z*sa0 + m*sa1 + k*sa2], B(z, k, n) = B[z*sb0 + k*sb1 + n*sb2]; batch strides may be 0.
//   C is contiguous and written (not accumulated); K == 0 writes zeros.
// Block: a BM x BN tile of C for one batch entry; it walks K in steps of BK, staging A's BM x BK and
// B's BK x BN tiles in shared memory (zeros past the edges), while the next tiles already load into
// registers. Thread (ty, tx) of a TY x TX grid owns rows ty + TY*i and columns tx + TX*j of the tile
// (i < TM, j < TN): a warp then reads two broadcast A values and 16 consecutive B values per step
// (no bank conflicts) and writes C in runs of 16 consecutive columns.
// Grid: x = column tiles, y = row tiles (looping past 65535), z = batch entries (likewise).
// A_K_UNIT: A's unit stride is along k (else along m); B_N_UNIT: B's is along n (else along k).
// Consecutive threads load consecutive addresses along that dim.
template <class T, int BM, int BN, int BK, int TM, int TN, bool A_K_UNIT, bool B_N_UNIT>
__global__ void __launch_bounds__((BM / TM) * (BN / TN), 2)  // 2 blocks per SM: at most 128 registers
    gemm_tiled_kernel(int64_t batch, int64_t M, int64_t N, int64_t K, const T* __restrict__ A, int64_t sa0,
                      int64_t sa1, int64_t sa2, const T* __restrict__ B, int64_t sb0, int64_t sb1, int64_t sb2,
                      T* __restrict__ C) {
  constexpr int TX = BN / TN, TY = BM / TM, NT = TX * TY;
  static_assert(NT % BM == 0 && NT % BN == 0 && NT % BK == 0, "tile loads must split evenly over the threads");
  // Each thread loads LA elements of the A tile at (am + l*dam, ak + l*dak), l < LA, and likewise
  // LB of the B tile: whole rows of threads along the unit-stride dim.
  constexpr int LA = BM * BK / NT, LB = BK * BN / NT;
  constexpr int dam = A_K_UNIT ? NT / BK : 0, dak = A_K_UNIT ? 0 : NT / BM;
  constexpr int dbk = B_N_UNIT ? NT / BN : 0, dbn = B_N_UNIT ? 0 : NT / BK;
  // +4 padding: the k-fastest tile stores hit distinct banks, and rows stay 16-byte aligned.
  OC_SHARED(T, As, [BK][BM + 4]);
  OC_SHARED(T, Bs, [BK][BN + 4]);
  const int tid = threadIdx.x, tx = tid % TX, ty = tid / TX;
  const int am = A_K_UNIT ? tid / BK : tid % BM, ak = A_K_UNIT ? tid % BK : tid / BM;
  const int bk = B_N_UNIT ? tid / BN : tid % BK, bn = B_N_UNIT ? tid % BN : tid / BK;
  const int64_t m_tiles = (M + BM - 1) / BM;
  const int64_t n0 = static_cast<int64_t>(blockIdx.x) * BN;
  const int64_t a_l_step = dam * sa1 + dak * sa2, b_l_step = dbk * sb1 + dbn * sb2;

  for (int64_t z = blockIdx.z; z < batch; z += gridDim.z) {
    T* Cz = C + z * M * N;
    for (int64_t mt = blockIdx.y; mt < m_tiles; mt += gridDim.y) {
      const int64_t m0 = mt * BM;
      // Source of element l = 0 at k0 = 0; dereferenced only inside the matrix.
      const T* pa = A + z * sa0 + (m0 + am) * sa1 + ak * sa2;
      const T* pb = B + z * sb0 + bk * sb1 + (n0 + bn) * sb2;

      T ra[LA], rb[LB];
      auto load_tiles = [&](int64_t k0) {
#pragma unroll
        for (int l = 0; l < LA; ++l)
          ra[l] = (m0 + am + l * dam < M && k0 + ak + l * dak < K) ? pa[l * a_l_step] : T(0);
#pragma unroll
        for (int l = 0; l < LB; ++l)
          rb[l] = (k0 + bk + l * dbk < K && n0 + bn + l * dbn < N) ? pb[l * b_l_step] : T(0);
        pa += BK * sa2;
        pb += BK * sb1;
      };

      T acc[TM][TN];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

      if (K > 0) load_tiles(0);
      for (int64_t k0 = 0; k0 < K; k0 += BK) {
#pragma unroll
        for (int l = 0; l < LA; ++l) As[ak + l * dak][am + l * dam] = ra[l];
#pragma unroll
        for (int l = 0; l < LB; ++l) Bs[bk + l * dbk][bn + l * dbn] = rb[l];
        __syncthreads();
        if (k0 + BK < K) load_tiles(k0 + BK);  // overlaps the multiply below
#pragma unroll
        for (int kk = 0; kk < BK; ++kk) {
          T a[TM], b[TN];
#pragma unroll
          for (int i = 0; i < TM; ++i) a[i] = As[kk][ty + TY * i];
#pragma unroll
          for (int j = 0; j < TN; ++j) b[j] = Bs[kk][tx + TX * j];
#pragma unroll
          for (int i = 0; i < TM; ++i)
#pragma unroll
            for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
        }
        __syncthreads();  // before the next step overwrites the tiles
      }

#pragma unroll
      for (int i = 0; i < TM; ++i) {
        const int64_t gm = m0 + ty + TY * i;
        if (gm >= M) continue;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
          const int64_t gn = n0 + tx + TX * j;
          if (gn < N) Cz[gm * N + gn] = acc[i][j];
        }
      }
    }
  }
}

template <class T, int BM, int BN, int BK, int TM, int TN, bool A_K_UNIT, bool B_N_UNIT>
void gemm_launch_layout(const Tensor& a, const Tensor& b, const Tensor& c) {
  const int64_t batch = c.size(0), M = c.size(1), N = c.size(2), K = a.size(2);
  constexpr int threads = (BM / TM) * (BN / TN);
  const int64_t n_tiles = (N + BN - 1) / BN, m_tiles = (M + BM - 1) / BM;
  OC_CHECK(n_tiles <= 0x7fffffffLL, "matmul: N = ", N, " is too large for the CUDA kernel");
  dim3 grid(static_cast<unsigned>(n_tiles), cap_grid_yz(m_tiles), cap_grid_yz(batch));
  launch<gemm_tiled_kernel<T, BM, BN, BK, TM, TN, A_K_UNIT, B_N_UNIT>>(grid, threads, 0, current_stream(),
      batch, M, N, K, static_cast<const T*>(a.raw_data()), a.stride(0), a.stride(1), a.stride(2),
      static_cast<const T*>(b.raw_data()), b.stride(0), b.stride(1), b.stride(2), static_cast<T*>(c.raw_data()));
  CUDA_CHECK_LAUNCH();
}

// Picks the kernel for the operands' layouts (either is correct for any strides; this one coalesces).
template <class T, int BM, int BN, int BK, int TM, int TN>
void gemm_launch(const Tensor& a, const Tensor& b, const Tensor& c) {
  const bool a_k_unit = a.stride(2) == 1, b_n_unit = b.stride(2) == 1;
  if (a_k_unit && b_n_unit) gemm_launch_layout<T, BM, BN, BK, TM, TN, true, true>(a, b, c);
  else if (a_k_unit) gemm_launch_layout<T, BM, BN, BK, TM, TN, true, false>(a, b, c);
  else if (b_n_unit) gemm_launch_layout<T, BM, BN, BK, TM, TN, false, true>(a, b, c);
  else gemm_launch_layout<T, BM, BN, BK, TM, TN, false, false>(a, b, c);
}

}  // namespace

void gemm_batched_cuda(const Tensor& a, const Tensor& b, const Tensor& c) {
  const int64_t batch = c.size(0), M = c.size(1), N = c.size(2);
  if (batch == 0 || M == 0 || N == 0) return;
  OC_DISPATCH_FLOATING(c.dtype(), "matmul", [&] {
    if constexpr (std::is_same_v<scalar_t, float>) {
      // 128 x 128 tiles (8 x 8 per thread) when they alone fill the GPU; 64 x 64 (4 x 4) otherwise.
      const int64_t big_tiles = batch * ((M + 127) / 128) * ((N + 127) / 128);
      if (big_tiles >= multiprocessor_count()) gemm_launch<float, 128, 128, 8, 8, 8>(a, b, c);
      else gemm_launch<float, 64, 64, 16, 4, 4>(a, b, c);
    } else {
      gemm_launch<double, 64, 64, 16, 4, 4>(a, b, c);
    }
  });
}

}  // namespace oc
