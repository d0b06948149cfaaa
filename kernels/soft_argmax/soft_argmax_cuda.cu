// CUDA soft_argmax, running the statistics of soft_argmax_math.h that the CPU reference runs.
// G threads per map (a warp for maps of up to 1024 pixels, a 256-thread block for larger ones); each
// thread reads pixels lane, lane + G, ... (coalesced) into its own online (max, sums), and the G
// partial statistics combine in a fixed tree (warp shuffles, then the warps' results in shared
// memory), so every run gives the same bits. Backward: the same layout, each pixel's gradient from
// the map's saved (max, sum), output and output gradient, with no reduction.
#include "core/cuda_context.h"
#include "kernels/soft_argmax/soft_argmax_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kWarpMaxPlane = 1024;  // maps up to this many pixels get one warp each

// Pixel coordinates (x, y, z) of pixels first, first + step, ... of a D x H x W map, without a
// division per step: step's own (dx, dy, dz) are added with carries.
struct PixelWalk {
  int x, y, z, dx, dy, dz, w, h;
  __device__ PixelWalk(int64_t first, int64_t step, const SoftArgmaxGeom& g)
      : x(static_cast<int>(first % g.w)), y(static_cast<int>(first / g.w % g.h)),
        z(static_cast<int>(first / (g.w * g.h))), dx(static_cast<int>(step % g.w)),
        dy(static_cast<int>(step / g.w % g.h)), dz(static_cast<int>(step / (g.w * g.h))),
        w(static_cast<int>(g.w)), h(static_cast<int>(g.h)) {}
  __device__ void next() {
    x += dx;
    const int cx = x >= w;
    x -= cx * w;
    y += dy + cx;
    const int cy = y >= h;
    y -= cy * h;
    z += dz + cy;
  }
};

template <class T>
__device__ SoftArgmaxStats<T> shfl_down(const SoftArgmaxStats<T>& a, int offset) {
  const unsigned all = 0xffffffffu;
  return {__shfl_down_sync(all, a.m, offset), __shfl_down_sync(all, a.s, offset), __shfl_down_sync(all, a.sx, offset),
          __shfl_down_sync(all, a.sy, offset), __shfl_down_sync(all, a.sz, offset)};
}

// The warp's statistics, complete in lane 0 (a fixed tree: deterministic).
template <class T>
__device__ SoftArgmaxStats<T> warp_reduce(SoftArgmaxStats<T> a, T beta) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) a = sa_combine(a, shfl_down(a, o), beta);
  return a;
}

// x [maps, plane] -> out [maps, cols], stats [maps, 2]; G threads per map, grid-stride over maps.
template <class T, int G>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(const T* __restrict__ x, T* __restrict__ out, T* __restrict__ stats, SoftArgmaxGeom g) {
  constexpr int kMapsPerBlock = kThreads / G;
  OC_SHARED(SoftArgmaxStats<T>, warp_partial, [kThreads / 32]);
  const int lane = threadIdx.x % G;
  const T beta = static_cast<T>(g.beta);
  const int64_t plane = g.plane();
  // q is uniform over the G threads of a map (a warp or the whole block), so the shuffles and
  // barriers below see every thread of their group.
  for (int64_t q = static_cast<int64_t>(blockIdx.x) * kMapsPerBlock + threadIdx.x / G; q < g.maps;
       q += static_cast<int64_t>(gridDim.x) * kMapsPerBlock) {
    const T* xq = x + q * plane;
    SoftArgmaxStats<T> a = sa_empty<T>();
    PixelWalk p(lane, G, g);
    for (int64_t i = lane; i < plane; i += G, p.next())
      sa_add(a, xq[i], static_cast<T>(p.x), static_cast<T>(p.y), static_cast<T>(p.z), beta);
    a = warp_reduce(a, beta);
    if constexpr (G > 32) {
      const int warp = threadIdx.x / 32;
      if (threadIdx.x % 32 == 0) warp_partial[warp] = a;
      __syncthreads();
      if (warp == 0) a = warp_reduce(threadIdx.x < G / 32 ? warp_partial[threadIdx.x] : sa_empty<T>(), beta);
      __syncthreads();  // warp_partial is rewritten for the next map
    }
    if (lane == 0) sa_finish(a, g, out + q * g.cols(), stats + q * 2);
  }
}

// gout [maps, cols] -> gx [maps, plane]; G threads per map, grid-stride over maps.
template <class T, int G>
__global__ void __launch_bounds__(kThreads)
    backward_kernel(const T* __restrict__ x, const T* __restrict__ stats, const T* __restrict__ out,
                    const T* __restrict__ gout, T* __restrict__ gx, SoftArgmaxGeom g) {
  constexpr int kMapsPerBlock = kThreads / G;
  const int lane = threadIdx.x % G;
  const T beta = static_cast<T>(g.beta);
  const int64_t plane = g.plane();
  const int cols = g.cols();
  for (int64_t q = static_cast<int64_t>(blockIdx.x) * kMapsPerBlock + threadIdx.x / G; q < g.maps;
       q += static_cast<int64_t>(gridDim.x) * kMapsPerBlock) {
    const T m = stats[q * 2], inv_s = T(1) / stats[q * 2 + 1];
    const T* mu = out + q * cols;
    const T* gq = gout + q * cols;
    const T gx0 = gq[0], gy0 = gq[1], gz0 = g.dims == 3 ? gq[2] : T(0), g_value = g.with_value ? gq[g.dims] : T(0);
    const T mx = mu[0], my = mu[1], mz = g.dims == 3 ? mu[2] : T(0);
    const T* xq = x + q * plane;
    T* gxq = gx + q * plane;
    PixelWalk p(lane, G, g);
    for (int64_t i = lane; i < plane; i += G, p.next()) {
      T dot = gx0 * (soft_argmax_coord(static_cast<T>(p.x), g.w, g.normalized) - mx) +
              gy0 * (soft_argmax_coord(static_cast<T>(p.y), g.h, g.normalized) - my);
      if (g.dims == 3) dot += gz0 * (soft_argmax_coord(static_cast<T>(p.z), g.d, g.normalized) - mz);
      gxq[i] = sa_grad(hd_exp(beta * (xq[i] - m)), inv_s, beta, dot, g_value);
    }
  }
}

template <class T>
const T* cptr(const Tensor& t) { return static_cast<const T*>(t.raw_data()); }
template <class T>
T* mptr(const Tensor& t) { return static_cast<T*>(t.raw_data()); }

}  // namespace

void soft_argmax_forward_cuda(const Tensor& x, const Tensor& out, const Tensor& stats, const SoftArgmaxGeom& g) {
  if (g.maps == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "soft_argmax", [&] {
    if (g.plane() <= kWarpMaxPlane)
      launch<forward_kernel<scalar_t, 32>>(blocks_for(g.maps, kThreads / 32), kThreads, 0, current_stream(),
          cptr<scalar_t>(x), mptr<scalar_t>(out), mptr<scalar_t>(stats), g);
    else
      launch<forward_kernel<scalar_t, kThreads>>(blocks_for(g.maps, 1), kThreads, 0, current_stream(),
          cptr<scalar_t>(x), mptr<scalar_t>(out), mptr<scalar_t>(stats), g);
    CUDA_CHECK_LAUNCH();
  });
}

void soft_argmax_backward_cuda(const Tensor& x, const Tensor& stats, const Tensor& out, const Tensor& gout,
                               const Tensor& gx, const SoftArgmaxGeom& g) {
  if (g.maps == 0) return;
  OC_DISPATCH_FLOATING(x.dtype(), "soft_argmax_backward", [&] {
    if (g.plane() <= kWarpMaxPlane)
      launch<backward_kernel<scalar_t, 32>>(blocks_for(g.maps, kThreads / 32), kThreads, 0, current_stream(),
          cptr<scalar_t>(x), cptr<scalar_t>(stats), cptr<scalar_t>(out), cptr<scalar_t>(gout), mptr<scalar_t>(gx), g);
    else
      launch<backward_kernel<scalar_t, kThreads>>(blocks_for(g.maps, 1), kThreads, 0, current_stream(),
          cptr<scalar_t>(x), cptr<scalar_t>(stats), cptr<scalar_t>(out), cptr<scalar_t>(gout), mptr<scalar_t>(gx), g);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
