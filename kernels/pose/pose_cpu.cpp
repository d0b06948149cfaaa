// CPU reference of the pose kernels. The renders visit, per person, only the cells near the joint
// (its 3-sigma square) or the limb (its bounding box widened by limb_width), then apply the exact
// per-cell tests of pose_math.h that the CUDA kernels apply to every cell; people are visited in
// order, so sums come out in the order CUDA adds them. Parallel over maps.
#include <algorithm>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/pose/pose_kernels.h"

namespace oc {
namespace {

template <class T>
void heatmaps_typed(const T* kp, T* out, const PoseRenderGeom& g) {
  const T stride = static_cast<T>(g.stride), sigma = static_cast<T>(g.sigma);
  const double reach = 3 * g.sigma;
  parallel_for(0, g.n * g.joints, 1, [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m) {
      const int64_t n = m / g.joints, k = m % g.joints;
      T* map = out + m * g.plane();
      std::fill(map, map + g.plane(), T(0));
      for (int64_t p = 0; p < g.people; ++p) {
        const T* j = kp + ((n * g.people + p) * g.joints + k) * 3;
        if (!(j[2] > T(0))) continue;
        int64_t x0, x1, y0, y1;
        if (!pose_cell_range(j[0] - reach, j[0] + reach, g.stride, g.w, &x0, &x1) ||
            !pose_cell_range(j[1] - reach, j[1] + reach, g.stride, g.h, &y0, &y1))
          continue;
        for (int64_t i = y0; i <= y1; ++i) {
          const T cy = pose_cell_centre(i, stride);
          for (int64_t c = x0; c <= x1; ++c) {
            const T v = pose_gaussian(pose_cell_centre(c, stride), cy, j[0], j[1], sigma);
            map[i * g.w + c] = std::max(map[i * g.w + c], v);
          }
        }
      }
    }
  });
}

template <class T>
void pafs_typed(const T* kp, const int32_t* limbs, T* out, const PoseRenderGeom& g) {
  const T stride = static_cast<T>(g.stride), width = static_cast<T>(g.limb_width);
  parallel_for(0, g.n * g.limbs, 1, [&](int64_t begin, int64_t end) {
    std::vector<int32_t> count(g.plane());
    for (int64_t m = begin; m < end; ++m) {
      const int64_t n = m / g.limbs, l = m % g.limbs;
      T* fx = out + 2 * m * g.plane();
      T* fy = fx + g.plane();
      std::fill(fx, fx + 2 * g.plane(), T(0));
      std::fill(count.begin(), count.end(), 0);
      for (int64_t p = 0; p < g.people; ++p) {
        const T* person = kp + (n * g.people + p) * g.joints * 3;
        const T* a = person + limbs[2 * l] * 3;
        const T* b = person + limbs[2 * l + 1] * 3;
        const PafSegment<T> s = paf_segment(a, b);
        if (!s.valid) continue;
        int64_t x0, x1, y0, y1;
        if (!pose_cell_range(std::min<double>(a[0], b[0]) - g.limb_width, std::max<double>(a[0], b[0]) + g.limb_width,
                             g.stride, g.w, &x0, &x1) ||
            !pose_cell_range(std::min<double>(a[1], b[1]) - g.limb_width, std::max<double>(a[1], b[1]) + g.limb_width,
                             g.stride, g.h, &y0, &y1))
          continue;
        for (int64_t i = y0; i <= y1; ++i) {
          const T cy = pose_cell_centre(i, stride);
          for (int64_t c = x0; c <= x1; ++c) {
            if (!paf_covers(s, pose_cell_centre(c, stride), cy, width)) continue;
            fx[i * g.w + c] += s.ux;
            fy[i * g.w + c] += s.uy;
            ++count[i * g.w + c];
          }
        }
      }
      for (int64_t q = 0; q < g.plane(); ++q)
        if (count[q] > 1) {
          fx[q] /= static_cast<T>(count[q]);
          fy[q] /= static_cast<T>(count[q]);
        }
    }
  });
}

}  // namespace

void render_heatmaps_cpu(const Tensor& keypoints, const Tensor& heatmaps, const PoseRenderGeom& g) {
  OC_DISPATCH_FLOATING(keypoints.dtype(), "render_heatmaps", [&] {
    heatmaps_typed(static_cast<const scalar_t*>(keypoints.raw_data()), static_cast<scalar_t*>(heatmaps.raw_data()), g);
  });
}

void render_pafs_cpu(const Tensor& keypoints, const Tensor& limbs, const Tensor& pafs, const PoseRenderGeom& g) {
  OC_DISPATCH_FLOATING(keypoints.dtype(), "render_pafs", [&] {
    pafs_typed(static_cast<const scalar_t*>(keypoints.raw_data()), static_cast<const int32_t*>(limbs.raw_data()),
               static_cast<scalar_t*>(pafs.raw_data()), g);
  });
}

void mark_peaks_cpu(const Tensor& heatmaps, const Tensor& marks, int64_t h, int64_t w, double threshold) {
  OC_DISPATCH_FLOATING(heatmaps.dtype(), "find_peaks", [&] {
    const scalar_t* x = static_cast<const scalar_t*>(heatmaps.raw_data());
    scalar_t* out = static_cast<scalar_t*>(marks.raw_data());
    const int64_t maps = heatmaps.numel() / (h * w);
    parallel_for(0, maps, 1, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m)
        for (int64_t i = 0; i < h; ++i)
          for (int64_t j = 0; j < w; ++j) {
            const scalar_t* map = x + m * h * w;
            scalar_t* o = out + ((m * h + i) * w + j) * 4;
            scalar_t col, row;
            const bool peak = pose_peak_at(map, h, w, i, j, static_cast<scalar_t>(threshold), &col, &row);
            o[0] = peak ? scalar_t(1) : scalar_t(0);
            o[1] = peak ? col : scalar_t(0);
            o[2] = peak ? row : scalar_t(0);
            o[3] = peak ? map[i * w + j] : scalar_t(0);
          }
    });
  });
}

void paf_limb_scores_cpu(const Tensor& field, const Tensor& candidates, const Tensor& scores, double stride,
                         int samples, double threshold) {
  OC_DISPATCH_FLOATING(field.dtype(), "paf_limb_scores", [&] {
    const scalar_t* f = static_cast<const scalar_t*>(field.raw_data());
    const scalar_t* c = static_cast<const scalar_t*>(candidates.raw_data());
    scalar_t* out = static_cast<scalar_t*>(scores.raw_data());
    const int64_t h = field.size(1), w = field.size(2);
    parallel_for(0, candidates.size(0), 64, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m)
        paf_line_score(f, h, w, c + m * 4, static_cast<scalar_t>(stride), samples, static_cast<scalar_t>(threshold),
                       out + m * 2, out + m * 2 + 1);
    });
  });
}

}  // namespace oc
