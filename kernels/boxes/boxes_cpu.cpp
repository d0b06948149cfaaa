// CPU reference of the box kernels: plain loops over the math of boxes_math.h, threaded over rows.
#include <algorithm>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/boxes/boxes_kernels.h"

namespace oc {
namespace {

template <class T>
const T* cdata(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}
template <class T>
T* mdata(const Tensor& t) {
  return static_cast<T*>(t.raw_data());
}

// fn(i) for i in [0, n), threaded, about `work` operations per i.
template <class F>
void for_rows(int64_t n, int64_t work, F&& fn) {
  parallel_for(0, n, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, work)), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) fn(i);
  });
}

}  // namespace

namespace {

// One row of the pairwise IoU: box a against every b, b's coordinates in four arrays (a loop the
// compiler vectorizes; the arithmetic is box_pair_iou's, operation for operation).
template <class T, bool kGeneralized>
void iou_row(const T* a, const T* bx1, const T* by1, const T* bx2, const T* by2, int64_t m, T* out) {
  const T ax1 = a[0], ay1 = a[1], ax2 = a[2], ay2 = a[3];
  for (int64_t j = 0; j < m; ++j) out[j] = box_iou_of(ax1, ay1, ax2, ay2, bx1[j], by1[j], bx2[j], by2[j], kGeneralized);
}

}  // namespace

void box_iou_cpu(const Tensor& a, const Tensor& b, const Tensor& iou, bool generalized, bool paired) {
  OC_DISPATCH_FLOATING(a.dtype(), "box_iou", [&] {
    const scalar_t *pa = cdata<scalar_t>(a), *pb = cdata<scalar_t>(b);
    scalar_t* out = mdata<scalar_t>(iou);
    const int64_t n = a.size(0), m = paired ? 1 : b.size(0);
    if (paired) {
      for_rows(n, 1, [&](int64_t i) { out[i] = box_pair_iou(pa + 4 * i, pb + 4 * i, generalized); });
      return;
    }
    std::vector<scalar_t> cols(4 * m);  // b as x1[m], y1[m], x2[m], y2[m]
    for (int64_t j = 0; j < m; ++j)
      for (int c = 0; c < 4; ++c) cols[c * m + j] = pb[4 * j + c];
    const scalar_t *x1 = cols.data(), *y1 = x1 + m, *x2 = y1 + m, *y2 = x2 + m;
    for_rows(n, m, [&](int64_t i) {
      if (generalized) iou_row<scalar_t, true>(pa + 4 * i, x1, y1, x2, y2, m, out + i * m);
      else iou_row<scalar_t, false>(pa + 4 * i, x1, y1, x2, y2, m, out + i * m);
    });
  });
}

void box_iou_backward_cpu(const Tensor& a, const Tensor& b, const Tensor& g, const Tensor& ga, const Tensor& gb,
                          bool generalized, bool paired) {
  OC_DISPATCH_FLOATING(a.dtype(), "box_iou_backward", [&] {
    const scalar_t *pa = cdata<scalar_t>(a), *pb = cdata<scalar_t>(b), *pg = cdata<scalar_t>(g);
    scalar_t *pga = mdata<scalar_t>(ga), *pgb = mdata<scalar_t>(gb);
    const int64_t n = a.size(0), m = b.size(0);
    if (paired) {
      for_rows(n, 1, [&](int64_t i) {
        std::fill(pga + 4 * i, pga + 4 * i + 4, scalar_t(0));
        std::fill(pgb + 4 * i, pgb + 4 * i + 4, scalar_t(0));
        box_pair_iou_backward(pa + 4 * i, pb + 4 * i, generalized, pg[i], pga + 4 * i, pgb + 4 * i);
      });
      return;
    }
    // ga[i] = sum over j of the pair's gradient (the pair's b part discarded), then gb likewise.
    for_rows(n, m, [&](int64_t i) {
      scalar_t acc[4] = {0, 0, 0, 0}, unused[4];
      for (int64_t j = 0; j < m; ++j) box_pair_iou_backward(pa + 4 * i, pb + 4 * j, generalized, pg[i * m + j], acc, unused);
      std::copy(acc, acc + 4, pga + 4 * i);
    });
    for_rows(m, n, [&](int64_t j) {
      scalar_t acc[4] = {0, 0, 0, 0}, unused[4];
      for (int64_t i = 0; i < n; ++i) box_pair_iou_backward(pa + 4 * i, pb + 4 * j, generalized, pg[i * m + j], unused, acc);
      std::copy(acc, acc + 4, pgb + 4 * j);
    });
  });
}

void encode_boxes_cpu(const Tensor& boxes, const Tensor& refs, const Tensor& deltas, const BoxCoderWeights& w) {
  OC_DISPATCH_FLOATING(boxes.dtype(), "encode_boxes", [&] {
    const scalar_t *pb = cdata<scalar_t>(boxes), *pr = cdata<scalar_t>(refs);
    scalar_t* pd = mdata<scalar_t>(deltas);
    for_rows(boxes.size(0), 1, [&](int64_t i) { box_encode(pb + 4 * i, pr + 4 * i, w, pd + 4 * i); });
  });
}

void decode_boxes_cpu(const Tensor& deltas, const Tensor& refs, const Tensor& boxes, const BoxCoderWeights& w,
                      double clip) {
  OC_DISPATCH_FLOATING(deltas.dtype(), "decode_boxes", [&] {
    const scalar_t *pd = cdata<scalar_t>(deltas), *pr = cdata<scalar_t>(refs);
    scalar_t* pb = mdata<scalar_t>(boxes);
    const int64_t k = deltas.size(1) / 4;
    for_rows(deltas.size(0) * k, 1, [&](int64_t q) {
      box_decode(pd + 4 * q, pr + 4 * (q / k), w, static_cast<scalar_t>(clip), pb + 4 * q);
    });
  });
}

void decode_boxes_backward_cpu(const Tensor& deltas, const Tensor& refs, const Tensor& gboxes, const Tensor& gdeltas,
                               const Tensor& grefs, const BoxCoderWeights& w, double clip) {
  OC_DISPATCH_FLOATING(deltas.dtype(), "decode_boxes_backward", [&] {
    const scalar_t *pd = cdata<scalar_t>(deltas), *pr = cdata<scalar_t>(refs), *pg = cdata<scalar_t>(gboxes);
    scalar_t *pgd = mdata<scalar_t>(gdeltas), *pgr = mdata<scalar_t>(grefs);
    const int64_t k = deltas.size(1) / 4;
    for_rows(deltas.size(0), k, [&](int64_t i) {
      scalar_t acc[4] = {0, 0, 0, 0};
      for (int64_t q = i * k; q < (i + 1) * k; ++q)
        box_decode_backward(pd + 4 * q, pr + 4 * i, w, static_cast<scalar_t>(clip), pg + 4 * q, pgd + 4 * q, acc);
      std::copy(acc, acc + 4, pgr + 4 * i);
    });
  });
}

void small_boxes_mask_cpu(const Tensor& boxes, const Tensor& keep, double min_size) {
  OC_DISPATCH_FLOATING(boxes.dtype(), "remove_small_boxes", [&] {
    const scalar_t* pb = cdata<scalar_t>(boxes);
    uint8_t* pk = mdata<uint8_t>(keep);
    for (int64_t i = 0; i < boxes.size(0); ++i) pk[i] = box_is_large(pb + 4 * i, static_cast<scalar_t>(min_size));
  });
}

}  // namespace oc
