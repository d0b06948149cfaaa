// CUDA pose kernels, running the per-cell tests of pose_math.h that the CPU reference runs. Renders:
// one thread per output cell looping over the people (P is small), adding in person order as the
// CPU does. Peaks: one thread per cell writes its mark; the front end compacts on the host.
// PAF scores: one thread per candidate.
#include "core/cuda_context.h"
#include "kernels/pose/pose_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// keypoints [N, P, K, 3] -> heatmaps [N, K, H, W]
template <class T>
__global__ void heatmaps_kernel(const T* __restrict__ kp, T* __restrict__ out, PoseRenderGeom g) {
  const T stride = static_cast<T>(g.stride), sigma = static_cast<T>(g.sigma);
  OC_GRID_STRIDE(q, g.n * g.joints * g.plane()) {
    const int64_t m = q / g.plane(), cell = q - m * g.plane();
    const int64_t n = m / g.joints, k = m - n * g.joints;
    const T cx = pose_cell_centre(cell % g.w, stride), cy = pose_cell_centre(cell / g.w, stride);
    T best = T(0);
    for (int64_t p = 0; p < g.people; ++p) {
      const T* j = kp + ((n * g.people + p) * g.joints + k) * 3;
      if (!(j[2] > T(0))) continue;
      const T v = pose_gaussian(cx, cy, j[0], j[1], sigma);
      best = v > best ? v : best;
    }
    out[q] = best;
  }
}

// keypoints [N, P, K, 3] x limbs [L, 2] -> pafs [N, 2L, H, W]
template <class T>
__global__ void pafs_kernel(const T* __restrict__ kp, const int32_t* __restrict__ limbs, T* __restrict__ out,
                            PoseRenderGeom g) {
  const T stride = static_cast<T>(g.stride), width = static_cast<T>(g.limb_width);
  OC_GRID_STRIDE(q, g.n * g.limbs * g.plane()) {
    const int64_t m = q / g.plane(), cell = q - m * g.plane();
    const int64_t n = m / g.limbs, l = m - n * g.limbs;
    const T cx = pose_cell_centre(cell % g.w, stride), cy = pose_cell_centre(cell / g.w, stride);
    T sx = T(0), sy = T(0);
    int count = 0;
    for (int64_t p = 0; p < g.people; ++p) {
      const T* person = kp + (n * g.people + p) * g.joints * 3;
      const PafSegment<T> s = paf_segment(person + limbs[2 * l] * 3, person + limbs[2 * l + 1] * 3);
      if (!paf_covers(s, cx, cy, width)) continue;
      sx += s.ux;
      sy += s.uy;
      ++count;
    }
    if (count > 1) {
      sx /= static_cast<T>(count);
      sy /= static_cast<T>(count);
    }
    T* fx = out + 2 * m * g.plane() + cell;
    fx[0] = sx;
    fx[g.plane()] = sy;
  }
}

// heatmaps [M, H, W] -> marks [M, H, W, 4] (flag, column, row, value)
template <class T>
__global__ void mark_peaks_kernel(const T* __restrict__ x, T* __restrict__ out, int64_t maps, int64_t h, int64_t w,
                                  T threshold) {
  OC_GRID_STRIDE(q, maps * h * w) {
    const int64_t m = q / (h * w), cell = q - m * h * w;
    const T* map = x + m * h * w;
    T col, row;
    const bool peak = pose_peak_at(map, h, w, cell / w, cell % w, threshold, &col, &row);
    T* o = out + q * 4;
    o[0] = peak ? T(1) : T(0);
    o[1] = peak ? col : T(0);
    o[2] = peak ? row : T(0);
    o[3] = peak ? map[cell] : T(0);
  }
}

// field [2, H, W] x candidates [M, 4] -> [M, 2]
template <class T>
__global__ void paf_scores_kernel(const T* __restrict__ f, const T* __restrict__ c, T* __restrict__ out, int64_t count,
                                  int64_t h, int64_t w, T stride, int samples, T threshold) {
  OC_GRID_STRIDE(m, count) {
    paf_line_score(f, h, w, c + m * 4, stride, samples, threshold, out + m * 2, out + m * 2 + 1);
  }
}

template <class T>
const T* cptr(const Tensor& t) { return static_cast<const T*>(t.raw_data()); }
template <class T>
T* mptr(const Tensor& t) { return static_cast<T*>(t.raw_data()); }

}  // namespace

void render_heatmaps_cuda(const Tensor& keypoints, const Tensor& heatmaps, const PoseRenderGeom& g) {
  const int64_t cells = heatmaps.numel();
  if (cells == 0) return;
  OC_DISPATCH_FLOATING(keypoints.dtype(), "render_heatmaps", [&] {
    launch<heatmaps_kernel<scalar_t>>(blocks_for(cells, kThreads), kThreads, 0, current_stream(),
        cptr<scalar_t>(keypoints), mptr<scalar_t>(heatmaps), g);
    CUDA_CHECK_LAUNCH();
  });
}

void render_pafs_cuda(const Tensor& keypoints, const Tensor& limbs, const Tensor& pafs, const PoseRenderGeom& g) {
  const int64_t cells = g.n * g.limbs * g.plane();
  if (cells == 0) return;
  OC_DISPATCH_FLOATING(keypoints.dtype(), "render_pafs", [&] {
    launch<pafs_kernel<scalar_t>>(blocks_for(cells, kThreads), kThreads, 0, current_stream(),
        cptr<scalar_t>(keypoints), cptr<int32_t>(limbs), mptr<scalar_t>(pafs), g);
    CUDA_CHECK_LAUNCH();
  });
}

void mark_peaks_cuda(const Tensor& heatmaps, const Tensor& marks, int64_t h, int64_t w, double threshold) {
  const int64_t cells = heatmaps.numel();
  if (cells == 0) return;
  OC_DISPATCH_FLOATING(heatmaps.dtype(), "find_peaks", [&] {
    launch<mark_peaks_kernel<scalar_t>>(blocks_for(cells, kThreads), kThreads, 0, current_stream(),
        cptr<scalar_t>(heatmaps), mptr<scalar_t>(marks), cells / (h * w), h, w, static_cast<scalar_t>(threshold));
    CUDA_CHECK_LAUNCH();
  });
}

void paf_limb_scores_cuda(const Tensor& field, const Tensor& candidates, const Tensor& scores, double stride,
                          int samples, double threshold) {
  const int64_t count = candidates.size(0);
  if (count == 0) return;
  OC_DISPATCH_FLOATING(field.dtype(), "paf_limb_scores", [&] {
    launch<paf_scores_kernel<scalar_t>>(blocks_for(count, kThreads), kThreads, 0, current_stream(),
        cptr<scalar_t>(field), cptr<scalar_t>(candidates), mptr<scalar_t>(scores), count, field.size(1), field.size(2),
        static_cast<scalar_t>(stride), samples, static_cast<scalar_t>(threshold));
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
