// CUDA convolution: the three kernels as implicit GEMMs (conv_math.h). One shared-memory tiled GEMM
// kernel, the tiling of kernels/gemm/gemm_cuda.cu, reads its A and B tiles through a problem's
// a()/b() gathers (im2col on the fly, zeros in the padding) and writes through its store(), so no
// im2col matrix is ever built. The weight gradient, whose depth (N*Ho*Wo) dwarfs its output
// (K x Cg*R*S), splits the depth over blocks into partial results that a second kernel sums in a
// fixed order (deterministic, no atomics).
#include <algorithm>
#include <type_traits>

#include "core/cuda_context.h"
#include "kernels/conv/conv_kernels.h"
#include "kernels/conv/conv_math.h"

namespace oc {
namespace {

// C_z [rows x cols] = A_z [rows x depth] * B_z [depth x cols] for every batch entry z and depth split:
//   A(m, k) = prob.a(e, m, k), B(k, n) = prob.b(e, k, n) with e = prob.entry(z); split s covers the
//   depth range [s*split_len, min(depth, (s+1)*split_len)) and its result goes to prob.store(e, s, m, n, .).
// Block: a BM x BN tile of one (z, split); it walks the depth in steps of BK, staging A's BM x BK and
// B's BK x BN tiles in shared memory (zeros past the edges) while the next tiles load into registers.
// Thread (ty, tx) of a TY x TX grid owns rows ty + TY*i and columns tx + TX*j of the tile.
// Grid: x = column tiles, y = row tiles, z = (batch entry, split) pairs (y and z loop past 65535).
// A_K_UNIT / B_N_UNIT: which dim consecutive threads load along (the one that is closest to
// contiguous in memory for this problem), as in gemm_cuda.cu.
template <class T, class Prob, int BM, int BN, int BK, int TM, int TN, bool A_K_UNIT, bool B_N_UNIT>
__global__ void __launch_bounds__((BM / TM) * (BN / TN), 2)
    conv_igemm_kernel(Prob prob, int64_t batch, int splits, int split_len) {
  constexpr int TX = BN / TN, TY = BM / TM, NT = TX * TY;
  static_assert(NT % BM == 0 && NT % BN == 0 && NT % BK == 0, "tile loads must split evenly over the threads");
  constexpr int LA = BM * BK / NT, LB = BK * BN / NT;
  constexpr int dam = A_K_UNIT ? NT / BK : 0, dak = A_K_UNIT ? 0 : NT / BM;
  constexpr int dbk = B_N_UNIT ? NT / BN : 0, dbn = B_N_UNIT ? 0 : NT / BK;
  OC_SHARED(T, As, [BK][BM + 4]);
  OC_SHARED(T, Bs, [BK][BN + 4]);
  const int tid = threadIdx.x, tx = tid % TX, ty = tid / TX;
  const int am = A_K_UNIT ? tid / BK : tid % BM, ak = A_K_UNIT ? tid % BK : tid / BM;
  const int bk = B_N_UNIT ? tid / BN : tid % BK, bn = B_N_UNIT ? tid % BN : tid / BK;
  const int M = prob.rows(), N = prob.cols(), K = prob.depth();
  const int m_tiles = (M + BM - 1) / BM;
  const int n0 = static_cast<int>(blockIdx.x) * BN;

  for (int64_t zz = blockIdx.z; zz < batch * splits; zz += gridDim.z) {
    const int64_t z = zz / splits;
    const int split = static_cast<int>(zz - z * splits);
    const int k_begin = split * split_len, k_end = min(K, k_begin + split_len);
    const auto e = prob.entry(z);
    for (int mt = blockIdx.y; mt < m_tiles; mt += gridDim.y) {
      const int m0 = mt * BM;
      T ra[LA], rb[LB];
      auto load_tiles = [&](int k0) {
#pragma unroll
        for (int l = 0; l < LA; ++l) {
          const int m = m0 + am + l * dam, k = k0 + ak + l * dak;
          ra[l] = m < M && k < k_end ? prob.a(e, m, k) : T(0);
        }
#pragma unroll
        for (int l = 0; l < LB; ++l) {
          const int k = k0 + bk + l * dbk, n = n0 + bn + l * dbn;
          rb[l] = k < k_end && n < N ? prob.b(e, k, n) : T(0);
        }
      };

      T acc[TM][TN];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

      if (k_begin < k_end) load_tiles(k_begin);
      for (int k0 = k_begin; k0 < k_end; k0 += BK) {
#pragma unroll
        for (int l = 0; l < LA; ++l) As[ak + l * dak][am + l * dam] = ra[l];
#pragma unroll
        for (int l = 0; l < LB; ++l) Bs[bk + l * dbk][bn + l * dbn] = rb[l];
        __syncthreads();
        if (k0 + BK < k_end) load_tiles(k0 + BK);  // overlaps the multiply below
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
        const int m = m0 + ty + TY * i;
        if (m >= M) continue;
#pragma unroll
        for (int j = 0; j < TN; ++j) {
          const int n = n0 + tx + TX * j;
          if (n < N) prob.store(e, split, m, n, acc[i][j]);
        }
      }
    }
  }
}

// out[i] = sum over s < splits of part[s * n + i], in order of s.
template <class T>
__global__ void sum_splits_kernel(const T* __restrict__ part, int splits, int64_t n, T* __restrict__ out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    T s = T(0);
    for (int k = 0; k < splits; ++k) s += part[k * n + i];
    out[i] = s;
  }
}

template <class T, int BM, int BN, int BK, int TM, int TN, bool A_K_UNIT, bool B_N_UNIT, class Prob>
void launch_igemm(const Prob& prob, int64_t batch, int splits, int split_len) {
  constexpr int threads = (BM / TM) * (BN / TN);
  const int64_t n_tiles = (prob.cols() + BN - 1) / BN, m_tiles = (prob.rows() + BM - 1) / BM;
  dim3 grid(static_cast<unsigned>(n_tiles), cap_grid_yz(m_tiles), cap_grid_yz(batch * splits));
  launch<conv_igemm_kernel<T, Prob, BM, BN, BK, TM, TN, A_K_UNIT, B_N_UNIT>>(grid, threads, 0, current_stream(), prob,
                                                                          batch, splits, split_len);
  CUDA_CHECK_LAUNCH();
}

// Tile sizes as gemm_cuda.cu: float32 128 x 128 (8 x 8 per thread) when those tiles alone fill the
// GPU, 64 x 64 (4 x 4) otherwise; float64 64 x 64.
template <class T, bool A_K_UNIT, bool B_N_UNIT, class Prob>
void run_igemm(const Prob& prob, int64_t batch, int splits, int split_len) {
  if (batch == 0 || prob.rows() == 0 || prob.cols() == 0) return;
  if constexpr (std::is_same_v<T, float>) {
    const int64_t big_tiles = batch * splits * ((prob.rows() + 127) / 128) * ((prob.cols() + 127) / 128);
    if (big_tiles >= multiprocessor_count())
      launch_igemm<float, 128, 128, 8, 8, 8, A_K_UNIT, B_N_UNIT>(prob, batch, splits, split_len);
    else
      launch_igemm<float, 64, 64, 16, 4, 4, A_K_UNIT, B_N_UNIT>(prob, batch, splits, split_len);
  } else {
    launch_igemm<double, 64, 64, 16, 4, 4, A_K_UNIT, B_N_UNIT>(prob, batch, splits, split_len);
  }
}

void check_index_range(const char* op, const ConvGeom& g) {
  OC_CHECK(conv_idx_fits(g), op, " (CUDA): sizes too large for the kernel's 32-bit index math: x [", g.N, ", ",
           g.C, ", ", g.H, ", ", g.W, "], weight [", g.K, ", ", g.Cg(), ", ", g.R, ", ", g.S, "], output [", g.Ho,
           ", ", g.Wo, "]");
}

template <class T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}

}  // namespace

void conv2d_forward_cuda(const ConvGeom& g, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y) {
  check_index_range("conv2d", g);
  OC_DISPATCH_FLOATING(y.dtype(), "conv2d", [&] {
    using T = scalar_t;
    ConvFwdProblem<T> prob{conv_idx(g), static_cast<const T*>(x.raw_data()), static_cast<const T*>(w.raw_data()),
                           ptr_or_null<T>(bias), static_cast<T*>(y.raw_data())};
    // A = weights, contiguous along the depth; B = im2col(x), nearly contiguous along output pixels.
    run_igemm<T, true, true>(prob, g.N * g.G, 1, std::max(prob.depth(), 1));
  });
}

void conv2d_input_grad_cuda(const ConvGeom& g, const Tensor& gy, const Tensor& w, const Tensor& bias,
                            const Tensor& gx) {
  check_index_range("conv2d_input_grad", g);
  OC_DISPATCH_FLOATING(gx.dtype(), "conv2d_input_grad", [&] {
    using T = scalar_t;
    ConvDgradProblem<T> prob{conv_idx(g), static_cast<const T*>(gy.raw_data()), static_cast<const T*>(w.raw_data()),
                             ptr_or_null<T>(bias), static_cast<T*>(gx.raw_data())};
    // A = weights, contiguous along (r, s) of the depth; B = gy gathered, along input pixels.
    run_igemm<T, true, true>(prob, g.N * g.G, 1, std::max(prob.depth(), 1));
  });
}

void conv2d_weight_grad_cuda(const ConvGeom& g, const Tensor& x, const Tensor& gy, const Tensor& gw) {
  check_index_range("conv2d_weight_grad", g);
  OC_DISPATCH_FLOATING(gw.dtype(), "conv2d_weight_grad", [&] {
    using T = scalar_t;
    ConvWgradProblem<T> prob{conv_idx(g), static_cast<const T*>(x.raw_data()), static_cast<const T*>(gy.raw_data()),
                             static_cast<T*>(gw.raw_data()), static_cast<int>(g.N)};
    // Split the depth until about two blocks per SM are busy, keeping each split at least 512 deep.
    const int64_t depth = prob.depth();
    const int64_t tiles = g.G * ((prob.rows() + 63) / 64) * ((prob.cols() + 63) / 64);
    int64_t splits = std::clamp<int64_t>((2 * multiprocessor_count() + tiles - 1) / tiles, 1, 64);
    splits = std::max<int64_t>(1, std::min(splits, depth / 512));
    int64_t split_len = (depth + splits - 1) / splits;
    split_len = std::max<int64_t>(16, (split_len + 15) / 16 * 16);
    splits = std::max<int64_t>(1, (depth + split_len - 1) / split_len);
    Tensor partial;
    if (splits > 1) {
      partial = Tensor::empty({splits, gw.numel()}, gw.dtype(), gw.device());
      prob.out = static_cast<T*>(partial.raw_data());
    }
    // A = gy, contiguous along the depth's pixels; B = im2col(x), likewise along the depth.
    run_igemm<T, true, false>(prob, g.G, static_cast<int>(splits), static_cast<int>(split_len));
    if (splits > 1) {
      const int threads = 256;
      launch<sum_splits_kernel<T>>(blocks_for(gw.numel(), threads), threads, 0, current_stream(),
          static_cast<const T*>(partial.raw_data()), static_cast<int>(splits), gw.numel(), static_cast<T*>(gw.raw_data()));
      CUDA_CHECK_LAUNCH();
    }
  });
}

}  // namespace oc
