// CPU reference of the pooling kernels: threaded over planes, each plane a plain loop over its
// outputs (forward, max backward) or inputs (average backward) calling the window math of pool_math.h.
#include <algorithm>

#include "core/thread_pool.h"
#include "kernels/pool/pool_kernels.h"

namespace oc {
namespace {

// Calls fn(plane, i, j) for every (i, j) of a rows x cols grid of every plane, threaded over planes.
template <class F>
void for_each_plane_element(int64_t planes, int64_t rows, int64_t cols, int64_t work_per_element, F&& fn) {
  const int64_t per_plane = std::max<int64_t>(1, rows * cols * work_per_element);
  parallel_for(0, planes, std::max<int64_t>(1, 16384 / per_plane), [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) fn(p, i, j);
  });
}

int64_t planes_of(const Tensor& t, int64_t h, int64_t w) { return h * w > 0 ? t.numel() / (h * w) : 0; }

// The CNNs' usual pooling: 2x2 windows at stride 2 that tile the input without padding.
bool is_tiling_2x2(const Pool2dGeom& g) {
  return g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 && g.stride_w == 2 && g.pad_h == 0 && g.pad_w == 0 &&
         2 * g.out_h <= g.in_h && 2 * g.out_w <= g.in_w;
}

// max_pool2d_window for those windows with the bounds known: the same four values in the same order
// (row by row), the same rule (strictly greater or NaN replaces), row pointers instead of index math.
template <class T>
void max_pool2d_2x2(const T* x, T* y, int64_t* idx, const Pool2dGeom& g, int64_t planes) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  parallel_for(0, planes * g.out_h, std::max<int64_t>(1, 4096 / std::max<int64_t>(g.out_w, 1)), [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t p = row / g.out_h, oh = row % g.out_h;
      const T* r0 = x + p * in_plane + 2 * oh * g.in_w;
      const T* r1 = r0 + g.in_w;
      T* yr = y + p * out_plane + oh * g.out_w;
      int64_t* ir = idx + p * out_plane + oh * g.out_w;
      const int64_t base = 2 * oh * g.in_w;
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t w = 2 * ow;
        // The window's first value always replaces the -inf start of max_pool2d_window.
        T best = r0[w];
        int64_t at = base + w;
        auto take = [&](T v, int64_t i) {
          if (v > best || v != v) best = v, at = i;
        };
        take(r0[w + 1], base + w + 1);
        take(r1[w], base + g.in_w + w);
        take(r1[w + 1], base + g.in_w + w + 1);
        yr[ow] = best;
        ir[ow] = at;
      }
    }
  });
}

}  // namespace

void max_pool2d_cpu(const Tensor& x, const Tensor& y, const Tensor& indices, const Pool2dGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "max_pool2d", [&] {
    const scalar_t* xp = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* yp = static_cast<scalar_t*>(y.raw_data());
    int64_t* ip = static_cast<int64_t*>(indices.raw_data());
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    if (is_tiling_2x2(g)) {
      max_pool2d_2x2(xp, yp, ip, g, planes_of(y, g.out_h, g.out_w));
      return;
    }
    for_each_plane_element(planes_of(y, g.out_h, g.out_w), g.out_h, g.out_w, g.kernel_h * g.kernel_w,
                           [&](int64_t p, int64_t oh, int64_t ow) {
                             const int64_t o = p * out_plane + oh * g.out_w + ow;
                             max_pool2d_window(xp + p * in_plane, g, oh, ow, yp + o, ip + o);
                           });
  });
}

// Per plane, the outputs scatter their gradients to their argmax inputs in row-major output order:
// an input then receives its terms in the order max_pool2d_input_grad gathers them (the CUDA kernel's
// order), and the pass costs one visit per output instead of a window search per input.
void max_pool2d_backward_cpu(const Tensor& gy, const Tensor& indices, const Tensor& gx, const Pool2dGeom& g) {
  OC_DISPATCH_FLOATING(gy.dtype(), "max_pool2d_backward", [&] {
    const scalar_t* gyp = static_cast<const scalar_t*>(gy.raw_data());
    const int64_t* ip = static_cast<const int64_t*>(indices.raw_data());
    scalar_t* gxp = static_cast<scalar_t*>(gx.raw_data());
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    const int64_t planes = planes_of(gx, g.in_h, g.in_w);
    parallel_for(0, planes, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, in_plane)), [&](int64_t b, int64_t e) {
      for (int64_t p = b; p < e; ++p) {
        scalar_t* gxr = gxp + p * in_plane;
        const scalar_t* gyr = gyp + p * out_plane;
        const int64_t* ir = ip + p * out_plane;
        std::fill(gxr, gxr + in_plane, scalar_t(0));
        for (int64_t o = 0; o < out_plane; ++o) gxr[ir[o]] += gyr[o];
      }
    });
  });
}

void avg_pool2d_cpu(const Tensor& x, const Tensor& y, const Pool2dGeom& g, bool count_include_pad) {
  OC_DISPATCH_FLOATING(x.dtype(), "avg_pool2d", [&] {
    const scalar_t* xp = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* yp = static_cast<scalar_t*>(y.raw_data());
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    for_each_plane_element(planes_of(y, g.out_h, g.out_w), g.out_h, g.out_w, g.kernel_h * g.kernel_w,
                           [&](int64_t p, int64_t oh, int64_t ow) {
                             yp[p * out_plane + oh * g.out_w + ow] =
                                 avg_pool2d_window(xp + p * in_plane, g, oh, ow, count_include_pad);
                           });
  });
}

void avg_pool2d_backward_cpu(const Tensor& gy, const Tensor& gx, const Pool2dGeom& g, bool count_include_pad) {
  OC_DISPATCH_FLOATING(gy.dtype(), "avg_pool2d_backward", [&] {
    const scalar_t* gyp = static_cast<const scalar_t*>(gy.raw_data());
    scalar_t* gxp = static_cast<scalar_t*>(gx.raw_data());
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    for_each_plane_element(planes_of(gx, g.in_h, g.in_w), g.in_h, g.in_w, 4, [&](int64_t p, int64_t ih, int64_t iw) {
      gxp[p * in_plane + ih * g.in_w + iw] = avg_pool2d_input_grad(gyp + p * out_plane, g, ih, iw, count_include_pad);
    });
  });
}

void adaptive_avg_pool2d_cpu(const Tensor& x, const Tensor& y, const Pool2dGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "adaptive_avg_pool2d", [&] {
    const scalar_t* xp = static_cast<const scalar_t*>(x.raw_data());
    scalar_t* yp = static_cast<scalar_t*>(y.raw_data());
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    const int64_t bin = (g.in_h / g.out_h + 1) * (g.in_w / g.out_w + 1);
    for_each_plane_element(planes_of(y, g.out_h, g.out_w), g.out_h, g.out_w, bin, [&](int64_t p, int64_t oh, int64_t ow) {
      yp[p * out_plane + oh * g.out_w + ow] = adaptive_avg_pool2d_window(xp + p * in_plane, g, oh, ow);
    });
  });
}

void adaptive_avg_pool2d_backward_cpu(const Tensor& gy, const Tensor& gx, const Pool2dGeom& g) {
  OC_DISPATCH_FLOATING(gy.dtype(), "adaptive_avg_pool2d_backward", [&] {
    const scalar_t* gyp = static_cast<const scalar_t*>(gy.raw_data());
    scalar_t* gxp = static_cast<scalar_t*>(gx.raw_data());
    const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
    for_each_plane_element(planes_of(gx, g.in_h, g.in_w), g.in_h, g.in_w, 4, [&](int64_t p, int64_t ih, int64_t iw) {
      gxp[p * in_plane + ih * g.in_w + iw] = adaptive_avg_pool2d_input_grad(gyp + p * out_plane, g, ih, iw);
    });
  });
}

}  // namespace oc
