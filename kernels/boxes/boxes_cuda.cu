// CUDA box kernels: one thread per output (an IoU pair, a box), grid-stride, running the math of
// boxes_math.h that the CPU reference runs. The pairwise backward gathers: one thread per box of a
// (summing over b's boxes in order) and one per box of b, so no atomics and the CPU's order of sums.
#include "core/cuda_context.h"
#include "kernels/boxes/boxes_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;

// a [N,4] x b [M,4] -> iou [N,M] (m = M), or paired [N] (m = 0)
template <class T>
__global__ void box_iou_kernel(int64_t total, int64_t m, const T* a, const T* b, T* iou, bool generalized) {
  OC_GRID_STRIDE(k, total) {
    const int64_t i = m == 0 ? k : k / m, j = m == 0 ? k : k % m;
    iou[k] = box_pair_iou(a + 4 * i, b + 4 * j, generalized);
  }
}

// Paired: ga[i], gb[i] of pair i.
template <class T>
__global__ void box_iou_paired_backward_kernel(int64_t n, const T* a, const T* b, const T* g, T* ga, T* gb,
                                               bool generalized) {
  OC_GRID_STRIDE(i, n) {
    T acc_a[4] = {0, 0, 0, 0}, acc_b[4] = {0, 0, 0, 0};
    box_pair_iou_backward(a + 4 * i, b + 4 * i, generalized, g[i], acc_a, acc_b);
    for (int c = 0; c < 4; ++c) ga[4 * i + c] = acc_a[c], gb[4 * i + c] = acc_b[c];
  }
}

// Pairwise, one side: for_a: ga[i] = sum_j d/da_i; else gb[j] = sum_i d/db_j (g is [N,M]).
template <class T>
__global__ void box_iou_pairwise_backward_kernel(int64_t n, int64_t m, const T* a, const T* b, const T* g, T* out,
                                                 bool generalized, bool for_a) {
  OC_GRID_STRIDE(r, for_a ? n : m) {
    T acc[4] = {0, 0, 0, 0}, unused[4];
    if (for_a)
      for (int64_t j = 0; j < m; ++j) box_pair_iou_backward(a + 4 * r, b + 4 * j, generalized, g[r * m + j], acc, unused);
    else
      for (int64_t i = 0; i < n; ++i) box_pair_iou_backward(a + 4 * i, b + 4 * r, generalized, g[i * m + r], unused, acc);
    for (int c = 0; c < 4; ++c) out[4 * r + c] = acc[c];
  }
}

template <class T>
__global__ void encode_boxes_kernel(int64_t n, const T* boxes, const T* refs, T* deltas, BoxCoderWeights w) {
  OC_GRID_STRIDE(i, n) box_encode(boxes + 4 * i, refs + 4 * i, w, deltas + 4 * i);
}

// q indexes the N*K boxes; reference q / k.
template <class T>
__global__ void decode_boxes_kernel(int64_t n, int64_t k, const T* deltas, const T* refs, T* boxes, BoxCoderWeights w,
                                    T clip) {
  OC_GRID_STRIDE(q, n) box_decode(deltas + 4 * q, refs + 4 * (q / k), w, clip, boxes + 4 * q);
}

// One thread per reference i: its K boxes' delta gradients, and its own gradient summed over them.
template <class T>
__global__ void decode_boxes_backward_kernel(int64_t n, int64_t k, const T* deltas, const T* refs, const T* gboxes,
                                             T* gdeltas, T* grefs, BoxCoderWeights w, T clip) {
  OC_GRID_STRIDE(i, n) {
    T acc[4] = {0, 0, 0, 0};
    for (int64_t q = i * k; q < (i + 1) * k; ++q)
      box_decode_backward(deltas + 4 * q, refs + 4 * i, w, clip, gboxes + 4 * q, gdeltas + 4 * q, acc);
    for (int c = 0; c < 4; ++c) grefs[4 * i + c] = acc[c];
  }
}

template <class T>
__global__ void small_boxes_mask_kernel(int64_t n, const T* boxes, uint8_t* keep, T min_size) {
  OC_GRID_STRIDE(i, n) keep[i] = box_is_large(boxes + 4 * i, min_size);
}

template <class T>
const T* cdata(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}
template <class T>
T* mdata(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

}  // namespace

void box_iou_cuda(const Tensor& a, const Tensor& b, const Tensor& iou, bool generalized, bool paired) {
  const int64_t total = iou.numel();
  if (total == 0) return;
  OC_DISPATCH_FLOATING(a.dtype(), "box_iou", [&] {
    launch<box_iou_kernel<scalar_t>>(blocks_for(total, kThreads), kThreads, 0, current_stream(), total,
                                     paired ? int64_t(0) : b.size(0), cdata<scalar_t>(a), cdata<scalar_t>(b),
                                     mdata<scalar_t>(iou), generalized);
    CUDA_CHECK_LAUNCH();
  });
}

void box_iou_backward_cuda(const Tensor& a, const Tensor& b, const Tensor& g, const Tensor& ga, const Tensor& gb,
                           bool generalized, bool paired) {
  const int64_t n = a.size(0), m = b.size(0);
  OC_DISPATCH_FLOATING(a.dtype(), "box_iou_backward", [&] {
    if (paired) {
      if (n == 0) return;
      launch<box_iou_paired_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n,
          cdata<scalar_t>(a), cdata<scalar_t>(b), cdata<scalar_t>(g), mdata<scalar_t>(ga), mdata<scalar_t>(gb),
          generalized);
      CUDA_CHECK_LAUNCH();
      return;
    }
    for (const bool for_a : {true, false}) {
      const int64_t rows = for_a ? n : m;
      if (rows == 0) continue;
      launch<box_iou_pairwise_backward_kernel<scalar_t>>(blocks_for(rows, kThreads), kThreads, 0, current_stream(),
          n, m, cdata<scalar_t>(a), cdata<scalar_t>(b), cdata<scalar_t>(g), mdata<scalar_t>(for_a ? ga : gb),
          generalized, for_a);
      CUDA_CHECK_LAUNCH();
    }
  });
}

void encode_boxes_cuda(const Tensor& boxes, const Tensor& refs, const Tensor& deltas, const BoxCoderWeights& w) {
  const int64_t n = boxes.size(0);
  if (n == 0) return;
  OC_DISPATCH_FLOATING(boxes.dtype(), "encode_boxes", [&] {
    launch<encode_boxes_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n,
                                          cdata<scalar_t>(boxes), cdata<scalar_t>(refs), mdata<scalar_t>(deltas), w);
    CUDA_CHECK_LAUNCH();
  });
}

void decode_boxes_cuda(const Tensor& deltas, const Tensor& refs, const Tensor& boxes, const BoxCoderWeights& w,
                       double clip) {
  const int64_t n = deltas.numel() / 4, k = deltas.size(1) / 4;
  if (n == 0) return;
  OC_DISPATCH_FLOATING(deltas.dtype(), "decode_boxes", [&] {
    launch<decode_boxes_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n, k,
                                          cdata<scalar_t>(deltas), cdata<scalar_t>(refs), mdata<scalar_t>(boxes), w,
                                          static_cast<scalar_t>(clip));
    CUDA_CHECK_LAUNCH();
  });
}

void decode_boxes_backward_cuda(const Tensor& deltas, const Tensor& refs, const Tensor& gboxes, const Tensor& gdeltas,
                                const Tensor& grefs, const BoxCoderWeights& w, double clip) {
  const int64_t n = deltas.size(0), k = deltas.size(1) / 4;
  if (n == 0) return;
  OC_DISPATCH_FLOATING(deltas.dtype(), "decode_boxes_backward", [&] {
    launch<decode_boxes_backward_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n, k,
        cdata<scalar_t>(deltas), cdata<scalar_t>(refs), cdata<scalar_t>(gboxes), mdata<scalar_t>(gdeltas),
        mdata<scalar_t>(grefs), w, static_cast<scalar_t>(clip));
    CUDA_CHECK_LAUNCH();
  });
}

void small_boxes_mask_cuda(const Tensor& boxes, const Tensor& keep, double min_size) {
  const int64_t n = boxes.size(0);
  if (n == 0) return;
  OC_DISPATCH_FLOATING(boxes.dtype(), "remove_small_boxes", [&] {
    launch<small_boxes_mask_kernel<scalar_t>>(blocks_for(n, kThreads), kThreads, 0, current_stream(), n,
                                              cdata<scalar_t>(boxes), mdata<uint8_t>(keep),
                                              static_cast<scalar_t>(min_size));
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
