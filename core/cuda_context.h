// The CUDA stream every kernel launches on, and CUDA_CHECK for every runtime call and launch.
// Only .cu files and CUDA-only .cpp files include this header.
#pragma once
#include "core/cuda_api.h"
#include "core/cuda_launch.h"
#include "core/error.h"

#define CUDA_CHECK(expr)                                                                   \
  do {                                                                                     \
    cudaError_t oc_err_ = (expr);                                                          \
    if (oc_err_ != cudaSuccess)                                                            \
      OC_FAIL("CUDA error at ", __FILE__, ":", __LINE__, ": ", #expr, ": ",                \
              cudaGetErrorString(oc_err_));                                                \
  } while (0)

// After a kernel launch: reports bad launch configurations at the launch site.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

// Grid-stride loop over [0, n) in a kernel: any grid size covers any n.
#define OC_GRID_STRIDE(k, n)                                                                  \
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < (n);      \
       k += static_cast<int64_t>(gridDim.x) * blockDim.x)

namespace oc {

// The non-blocking stream of the current device; created on first use.
cudaStream_t current_stream();
int current_device();
void set_device(int index);
// Streaming multiprocessors of the current device (sizes grids that must fill the chip).
int multiprocessor_count();
// Waits for all work on the current stream (used before reading results on the host).
void cuda_synchronize();

// The caps every launch puts on its grid, beyond which the kernels loop: x (grid-stride loops, rows
// per block) and y/z (GEMM and convolution tiles, batch entries). The GPU's limits by default; a
// test-only override, OCELLUS_GRID_CAP=N (read once), lowers both to N so the second pass of every
// capped loop runs on small tensors.
struct GridCaps {
  int64_t x = 65535LL * 32;
  int64_t yz = 65535;
};
const GridCaps& grid_caps();

inline unsigned clamp_blocks(int64_t blocks, int64_t cap) {
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > cap ? cap : blocks));
}
inline unsigned cap_grid_x(int64_t blocks) { return clamp_blocks(blocks, grid_caps().x); }
inline unsigned cap_grid_yz(int64_t blocks) { return clamp_blocks(blocks, grid_caps().yz); }
// Grid size for n elements at `threads` per block, capped for grid-stride loops.
inline unsigned blocks_for(long long n, int threads) { return cap_grid_x((n + threads - 1) / threads); }

}  // namespace oc
