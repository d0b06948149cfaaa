// CPU reference of RoIAlign. Each box's sample taps (roi_align_math.h) are computed once, per axis
// (a bin's samples are the grid of its row and column taps), then reused over every channel. The
// forward runs in parallel over (channel, box) pairs; the backward over channels, the boxes of a
// channel in order, so each thread owns its channel's gradient planes: deterministic, no atomics.
#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/roi_align/roi_align_kernels.h"

namespace oc {
namespace {

// Every box's geometry and its row and column taps: box k's taps of bin p, sample i, are
// rows[row_at[k] + p * grid_h + i] and cols[col_at[k] + p * grid_w + i].
template <class T>
struct BoxTaps {
  std::vector<RoiAlignBox<T>> box;
  std::vector<int64_t> row_at, col_at;
  std::vector<RoiTap<T>> rows, cols;
};

template <class T>
BoxTaps<T> box_taps(const T* boxes, const RoiGeom& g) {
  BoxTaps<T> t;
  t.row_at.assign(g.k + 1, 0);
  t.col_at.assign(g.k + 1, 0);
  for (int64_t k = 0; k < g.k; ++k) {
    t.box.push_back(roi_align_box(boxes + 5 * k, g));
    t.row_at[k + 1] = t.row_at[k] + g.pooled_h * t.box[k].grid_h;
    t.col_at[k + 1] = t.col_at[k] + g.pooled_w * t.box[k].grid_w;
  }
  t.rows.resize(t.row_at[g.k]);
  t.cols.resize(t.col_at[g.k]);
  parallel_for(0, g.k, 16, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      const RoiAlignBox<T>& b = t.box[k];
      for (int64_t p = 0; p < g.pooled_h; ++p)
        for (int64_t i = 0; i < b.grid_h; ++i)
          t.rows[t.row_at[k] + p * b.grid_h + i] = roi_axis_tap(roi_align_sample(b.start_h, b.bin_h, p, i, b.grid_h), g.h);
      for (int64_t p = 0; p < g.pooled_w; ++p)
        for (int64_t i = 0; i < b.grid_w; ++i)
          t.cols[t.col_at[k] + p * b.grid_w + i] = roi_axis_tap(roi_align_sample(b.start_w, b.bin_w, p, i, b.grid_w), g.w);
    }
  });
  return t;
}

template <class T>
void forward_typed(const Tensor& x, const Tensor& boxes, const Tensor& y, const RoiGeom& g) {
  const T* xp = static_cast<const T*>(x.raw_data());
  T* yp = static_cast<T*>(y.raw_data());
  const BoxTaps<T> t = box_taps(static_cast<const T*>(boxes.raw_data()), g);
  const int64_t plane = g.plane(), bins = g.bins();
  parallel_for(0, g.k * g.c, 4, [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) {  // channel-major: consecutive boxes read the same planes
      const int64_t c = q / g.k, k = q % g.k;
      const RoiAlignBox<T>& b = t.box[k];
      const T* src = xp + (b.batch * g.c + c) * plane;
      T* out = yp + (k * g.c + c) * bins;
      for (int64_t ph = 0; ph < g.pooled_h; ++ph) {
        const RoiTap<T>* rows = t.rows.data() + t.row_at[k] + ph * b.grid_h;
        for (int64_t pw = 0; pw < g.pooled_w; ++pw) {
          const RoiTap<T>* cols = t.cols.data() + t.col_at[k] + pw * b.grid_w;
          T acc = T(0);
          for (int64_t iy = 0; iy < b.grid_h; ++iy)
            for (int64_t ix = 0; ix < b.grid_w; ++ix) acc += roi_bilinear(src, g.w, rows[iy], cols[ix]);
          out[ph * g.pooled_w + pw] = acc / b.count;
        }
      }
    }
  });
}

template <class T>
void backward_typed(const Tensor& boxes, const Tensor& gy, const Tensor& gx, const RoiGeom& g) {
  const T* gyp = static_cast<const T*>(gy.raw_data());
  T* gxp = static_cast<T*>(gx.raw_data());
  std::memset(gxp, 0, sizeof(T) * gx.numel());
  if (g.k == 0) return;
  const BoxTaps<T> t = box_taps(static_cast<const T*>(boxes.raw_data()), g);
  const int64_t plane = g.plane(), bins = g.bins();
  parallel_for(0, g.c, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c)
      for (int64_t k = 0; k < g.k; ++k) {
        const RoiAlignBox<T>& b = t.box[k];
        T* dst = gxp + (b.batch * g.c + c) * plane;
        const T* grad = gyp + (k * g.c + c) * bins;
        auto add = [dst](int64_t i, T v) { dst[i] += v; };
        for (int64_t ph = 0; ph < g.pooled_h; ++ph) {
          const RoiTap<T>* rows = t.rows.data() + t.row_at[k] + ph * b.grid_h;
          for (int64_t pw = 0; pw < g.pooled_w; ++pw) {
            const RoiTap<T>* cols = t.cols.data() + t.col_at[k] + pw * b.grid_w;
            const T gb = grad[ph * g.pooled_w + pw];
            for (int64_t iy = 0; iy < b.grid_h; ++iy)
              for (int64_t ix = 0; ix < b.grid_w; ++ix) roi_bilinear_grad(gb, rows[iy], cols[ix], g.w, b.count, add);
          }
        }
      }
  });
}

}  // namespace

void roi_align_cpu(const Tensor& x, const Tensor& boxes, const Tensor& y, const RoiGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "roi_align", [&] { forward_typed<scalar_t>(x, boxes, y, g); });
}

void roi_align_backward_cpu(const Tensor& boxes, const Tensor& gy, const Tensor& gx, const RoiGeom& g) {
  OC_DISPATCH_FLOATING(gx.dtype(), "roi_align_backward", [&] { backward_typed<scalar_t>(boxes, gy, gx, g); });
}

}  // namespace oc
