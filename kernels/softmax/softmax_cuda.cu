// CUDA row softmax / log_softmax over a contiguous [rows, cols]: one warp per short row, one block per
// long row; the same three steps and arithmetic as softmax_cpu.cpp (max in the scalar type, the sum
// of exp(x - max) and the exp itself in double), so the results agree with it to rounding.
#include <cmath>

#include "core/cuda_context.h"
#include "kernels/softmax/softmax_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;
constexpr int kWarpRowMaxCols = 1024;  // rows up to this long get one warp each

// As the CPU: a NaN in column 0 sticks, NaNs elsewhere are passed over (either way the sum is NaN).
template <class T>
__device__ __forceinline__ T max_step(T m, T v) { return v > m ? v : m; }

// All lanes end with the same value (each step combines x and y, or y and x: the same in IEEE).
template <class T>
__device__ __forceinline__ T warp_allmax(T m) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) m = max_step(m, __shfl_xor_sync(0xffffffffu, m, o));
  return m;
}
__device__ __forceinline__ double warp_allsum(double s) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
  return s;
}

// Writes row r's outputs given its max m and sum s, threads `first`, first + step, ...
template <class T, bool LOG>
__device__ __forceinline__ void softmax_write(const T* xr, T* yr, int64_t cols, T m, double s, int first, int step) {
  if constexpr (LOG) {
    const T ls = static_cast<T>(::log(s));
    for (int64_t c = first; c < cols; c += step) yr[c] = xr[c] - m - ls;
  } else {
    for (int64_t c = first; c < cols; c += step) yr[c] = static_cast<T>(::exp(static_cast<double>(xr[c] - m)) / s);
  }
}

// [rows, cols] -> [rows, cols], one warp per row, grid-stride over rows.
template <class T, bool LOG>
__global__ void __launch_bounds__(kThreads) softmax_warp_kernel(const T* x, T* y, int64_t rows, int64_t cols) {
  const int lane = threadIdx.x & 31;
  const int64_t warps_per_block = blockDim.x >> 5;
  const int64_t step = static_cast<int64_t>(gridDim.x) * warps_per_block;
  // One row per warp: all 32 lanes take part in every shuffle.
  for (int64_t r = blockIdx.x * warps_per_block + (threadIdx.x >> 5); r < rows; r += step) {
    const T* xr = x + r * cols;
    T m = xr[0];
    for (int64_t c = lane; c < cols; c += 32) m = max_step(m, xr[c]);
    m = warp_allmax(m);
    double s = 0;
    for (int64_t c = lane; c < cols; c += 32) s += ::exp(static_cast<double>(xr[c] - m));
    s = warp_allsum(s);
    softmax_write<T, LOG>(xr, y + r * cols, cols, m, s, lane, 32);
  }
}

// [rows, cols] -> [rows, cols], one block per row, grid-stride over rows. blockDim.x is a multiple of 32.
template <class T, bool LOG>
__global__ void __launch_bounds__(kThreads) softmax_block_kernel(const T* x, T* y, int64_t rows, int64_t cols) {
  OC_SHARED(T, shared_max, [32]);
  OC_SHARED(double, shared_sum, [32]);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * cols;
    T m = xr[0];
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) m = max_step(m, xr[c]);
    m = warp_allmax(m);
    if (lane == 0) shared_max[warp] = m;
    __syncthreads();
    m = shared_max[0];  // every thread folds the warps' maxima in the same order: one value
    for (int w = 1; w < nwarps; ++w) m = max_step(m, shared_max[w]);
    double s = 0;
    for (int64_t c = threadIdx.x; c < cols; c += blockDim.x) s += ::exp(static_cast<double>(xr[c] - m));
    s = warp_allsum(s);
    if (lane == 0) shared_sum[warp] = s;
    __syncthreads();
    s = shared_sum[0];
    for (int w = 1; w < nwarps; ++w) s += shared_sum[w];
    softmax_write<T, LOG>(xr, y + r * cols, cols, m, s, threadIdx.x, blockDim.x);
    __syncthreads();  // the shared arrays are rewritten by the next row
  }
}

template <class T, bool LOG>
void softmax_launch(const T* x, T* y, int64_t rows, int64_t cols) {
  if (cols <= kWarpRowMaxCols) {
    launch<softmax_warp_kernel<T, LOG>>(blocks_for(rows, kThreads / 32), kThreads, 0, current_stream(), x, y, rows,
                                        cols);
  } else {
    launch<softmax_block_kernel<T, LOG>>(cap_grid_x(rows), kThreads, 0, current_stream(), x, y, rows, cols);
  }
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void softmax_rows_cuda(const Tensor& in, const Tensor& out, int64_t rows, int64_t cols, bool log) {
  if (rows <= 0 || cols <= 0) return;
  OC_DISPATCH_FLOATING(in.dtype(), "softmax", [&] {
    const scalar_t* x = static_cast<const scalar_t*>(in.raw_data());
    scalar_t* y = static_cast<scalar_t*>(out.raw_data());
    if (log) softmax_launch<scalar_t, true>(x, y, rows, cols);
    else softmax_launch<scalar_t, false>(x, y, rows, cols);
  });
}

}  // namespace oc
