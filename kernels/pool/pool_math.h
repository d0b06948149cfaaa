// Window arithmetic of 2-D pooling, written once for the CPU reference and the CUDA kernels: one
// output element per call (forward), and one input element's gradient per call (backward, gathered
// from every window that contains the element, so neither device needs atomics and both add the
// same terms in the same order).
//
// Along one axis, output o reads the input positions
//
//     [o * stride - pad, o * stride - pad + kernel)        clipped to [0, in)
//
//   in = 5, kernel 3, stride 2, pad 1:   pad | 0 1 2 3 4 | pad
//                                   o=0: [p   0 1]
//                                   o=1:      [1 2 3]
//                                   o=2:          [3 4  p]
//
// Planes are contiguous [H, W]; the caller offsets the pointers to plane p = n * C + c.
#pragma once
#include <cstdint>
#include <limits>

#include "core/hd.h"

namespace oc {

struct Pool2dGeom {
  int64_t in_h, in_w, out_h, out_w;
  int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0;
};

OC_HD int64_t pool_min(int64_t a, int64_t b) { return a < b ? a : b; }
OC_HD int64_t pool_max(int64_t a, int64_t b) { return a > b ? a : b; }

// Outputs whose window contains input position i: o in [*first, *last) (possibly empty).
//   o * stride - pad <= i < o * stride - pad + kernel
OC_HD void pool_windows_containing(int64_t i, int64_t kernel, int64_t stride, int64_t pad, int64_t out,
                                   int64_t* first, int64_t* last) {
  const int64_t ip = i + pad;
  *first = ip < kernel ? 0 : (ip - kernel) / stride + 1;
  *last = pool_min(ip / stride + 1, out);
}

// --- max ----------------------------------------------------------------------------------------

// Output (oh, ow) of a plane: the maximum of the window and its index h * W + w in the plane. As
// PyTorch: strictly greater replaces (the first maximum wins ties), a NaN always replaces.
template <class T>
OC_HD void max_pool2d_window(const T* plane, const Pool2dGeom& g, int64_t oh, int64_t ow, T* value, int64_t* index) {
  int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  const int64_t h1 = pool_min(h0 + g.kernel_h, g.in_h), w1 = pool_min(w0 + g.kernel_w, g.in_w);
  h0 = pool_max(h0, 0);
  w0 = pool_max(w0, 0);
  T best = -std::numeric_limits<T>::infinity();
  int64_t best_i = h0 * g.in_w + w0;
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) {
      const T v = plane[h * g.in_w + w];
      if (v > best || v != v) {
        best = v;
        best_i = h * g.in_w + w;
      }
    }
  *value = best;
  *index = best_i;
}

// d(input (ih, iw)): the sum of the output gradients of the windows whose argmax it is.
template <class T>
OC_HD T max_pool2d_input_grad(const T* gy_plane, const int64_t* idx_plane, const Pool2dGeom& g, int64_t ih,
                              int64_t iw) {
  int64_t oh0, oh1, ow0, ow1;
  pool_windows_containing(ih, g.kernel_h, g.stride_h, g.pad_h, g.out_h, &oh0, &oh1);
  pool_windows_containing(iw, g.kernel_w, g.stride_w, g.pad_w, g.out_w, &ow0, &ow1);
  const int64_t me = ih * g.in_w + iw;
  T acc = 0;
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t ow = ow0; ow < ow1; ++ow)
      if (idx_plane[oh * g.out_w + ow] == me) acc += gy_plane[oh * g.out_w + ow];
  return acc;
}

// --- average ------------------------------------------------------------------------------------

// The divisor of output (oh, ow), as PyTorch: the window clipped to the padded input (a ceil-mode
// window may hang past it), or, without count_include_pad, clipped to the input.
OC_HD int64_t avg_pool2d_divisor(const Pool2dGeom& g, int64_t oh, int64_t ow, bool count_include_pad) {
  int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  int64_t h1 = pool_min(h0 + g.kernel_h, g.in_h + g.pad_h), w1 = pool_min(w0 + g.kernel_w, g.in_w + g.pad_w);
  if (count_include_pad) return (h1 - h0) * (w1 - w0);
  h0 = pool_max(h0, 0);
  w0 = pool_max(w0, 0);
  h1 = pool_min(h1, g.in_h);
  w1 = pool_min(w1, g.in_w);
  return (h1 - h0) * (w1 - w0);
}

// Output (oh, ow): the window's sum (in double) over its divisor.
template <class T>
OC_HD T avg_pool2d_window(const T* plane, const Pool2dGeom& g, int64_t oh, int64_t ow, bool count_include_pad) {
  int64_t h0 = oh * g.stride_h - g.pad_h, w0 = ow * g.stride_w - g.pad_w;
  const int64_t h1 = pool_min(h0 + g.kernel_h, g.in_h), w1 = pool_min(w0 + g.kernel_w, g.in_w);
  h0 = pool_max(h0, 0);
  w0 = pool_max(w0, 0);
  double acc = 0;
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) acc += static_cast<double>(plane[h * g.in_w + w]);
  return static_cast<T>(acc / static_cast<double>(avg_pool2d_divisor(g, oh, ow, count_include_pad)));
}

// d(input (ih, iw)): sum over the windows containing it of gy / divisor.
template <class T>
OC_HD T avg_pool2d_input_grad(const T* gy_plane, const Pool2dGeom& g, int64_t ih, int64_t iw, bool count_include_pad) {
  int64_t oh0, oh1, ow0, ow1;
  pool_windows_containing(ih, g.kernel_h, g.stride_h, g.pad_h, g.out_h, &oh0, &oh1);
  pool_windows_containing(iw, g.kernel_w, g.stride_w, g.pad_w, g.out_w, &ow0, &ow1);
  double acc = 0;
  for (int64_t oh = oh0; oh < oh1; ++oh)
    for (int64_t ow = ow0; ow < ow1; ++ow)
      acc += static_cast<double>(gy_plane[oh * g.out_w + ow]) /
             static_cast<double>(avg_pool2d_divisor(g, oh, ow, count_include_pad));
  return static_cast<T>(acc);
}

// --- adaptive average ---------------------------------------------------------------------------

// Bin o of `out` over `in` positions: [floor(o * in / out), ceil((o + 1) * in / out)). Bins may
// overlap (in not divisible by out) and repeat positions (out > in).
OC_HD int64_t adaptive_bin_start(int64_t o, int64_t in, int64_t out) { return (o * in) / out; }
OC_HD int64_t adaptive_bin_end(int64_t o, int64_t in, int64_t out) { return ((o + 1) * in + out - 1) / out; }

template <class T>
OC_HD T adaptive_avg_pool2d_window(const T* plane, const Pool2dGeom& g, int64_t oh, int64_t ow) {
  const int64_t h0 = adaptive_bin_start(oh, g.in_h, g.out_h), h1 = adaptive_bin_end(oh, g.in_h, g.out_h);
  const int64_t w0 = adaptive_bin_start(ow, g.in_w, g.out_w), w1 = adaptive_bin_end(ow, g.in_w, g.out_w);
  double acc = 0;
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) acc += static_cast<double>(plane[h * g.in_w + w]);
  return static_cast<T>(acc / static_cast<double>((h1 - h0) * (w1 - w0)));
}

// d(input (ih, iw)). The bins containing position i are among o in [floor(i * out / in),
// ceil((i + 1) * out / in)) (the bin rule with in and out swapped); each is checked exactly.
template <class T>
OC_HD T adaptive_avg_pool2d_input_grad(const T* gy_plane, const Pool2dGeom& g, int64_t ih, int64_t iw) {
  const int64_t oh0 = adaptive_bin_start(ih, g.out_h, g.in_h), oh1 = adaptive_bin_end(ih, g.out_h, g.in_h);
  const int64_t ow0 = adaptive_bin_start(iw, g.out_w, g.in_w), ow1 = adaptive_bin_end(iw, g.out_w, g.in_w);
  double acc = 0;
  for (int64_t oh = oh0; oh < oh1; ++oh) {
    const int64_t h0 = adaptive_bin_start(oh, g.in_h, g.out_h), h1 = adaptive_bin_end(oh, g.in_h, g.out_h);
    if (ih < h0 || ih >= h1) continue;
    for (int64_t ow = ow0; ow < ow1; ++ow) {
      const int64_t w0 = adaptive_bin_start(ow, g.in_w, g.out_w), w1 = adaptive_bin_end(ow, g.in_w, g.out_w);
      if (iw < w0 || iw >= w1) continue;
      acc += static_cast<double>(gy_plane[oh * g.out_w + ow]) / static_cast<double>((h1 - h0) * (w1 - w0));
    }
  }
  return static_cast<T>(acc);
}

}  // namespace oc
