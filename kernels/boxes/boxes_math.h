// Box arithmetic written once for the CPU reference and the CUDA kernels: the IoU / GIoU of one pair
// of xyxy boxes and its gradient, and the box coder's encode / decode of one box (torchvision's
// box_iou, generalized_box_iou and BoxCoder).
//
//   (x1, y1) +--------+            inter = max(0, min(ax2, bx2) - max(ax1, bx1))
//            |   a  +-+------+           x max(0, min(ay2, by2) - max(ay1, by1))
//            +------+-+      |     union = area(a) + area(b) - inter   (areas are not clamped)
//                   |   b    |     iou   = inter / union               (0 / 0 = NaN, as torchvision)
//                   +--------+ (x2, y2)
//   giou = iou - (enclosing - union) / enclosing, enclosing = the smallest box holding a and b.
//
// Gradients follow PyTorch's rules for the same expression: max/min of a tie split the gradient
// evenly, clamp(min = 0) passes it where its input is >= 0.
#pragma once
#include "core/hd.h"
#include "core/hd_math.h"

namespace oc {

// d max(u, v) (or min) split between u and v: 1 / 0, or 1/2 each on a tie.
template <class T>
OC_HD void pick_grad(T u, T v, bool take_max, T g, T& gu, T& gv) {
  if (u == v) {
    gu += g / 2, gv += g / 2;
  } else if ((u > v) == take_max) {
    gu += g;
  } else {
    gv += g;
  }
}

template <class T>
OC_HD T box_max(T u, T v) { return u > v ? u : v; }
template <class T>
OC_HD T box_min(T u, T v) { return u < v ? u : v; }

// IoU (or GIoU) of boxes a = (ax1, ay1, ax2, ay2) and b, as scalars (so that a loop over b's
// coordinates in separate arrays vectorizes).
template <class T>
OC_HD T box_iou_of(T ax1, T ay1, T ax2, T ay2, T bx1, T by1, T bx2, T by2, bool generalized) {
  const T area_a = (ax2 - ax1) * (ay2 - ay1), area_b = (bx2 - bx1) * (by2 - by1);
  const T iw = box_max(box_min(ax2, bx2) - box_max(ax1, bx1), T(0));
  const T ih = box_max(box_min(ay2, by2) - box_max(ay1, by1), T(0));
  const T inter = iw * ih, uni = area_a + area_b - inter, iou = inter / uni;
  if (!generalized) return iou;
  const T cw = box_max(box_max(ax2, bx2) - box_min(ax1, bx1), T(0));
  const T ch = box_max(box_max(ay2, by2) - box_min(ay1, by1), T(0));
  const T area_c = cw * ch;
  return iou - (area_c - uni) / area_c;
}

// The same of boxes a and b, each 4 values x1, y1, x2, y2.
template <class T>
OC_HD T box_pair_iou(const T* a, const T* b, bool generalized) {
  return box_iou_of(a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3], generalized);
}

// The gradient of one extent e = max(0, hi(u2, v2) - lo(u1, v1)) (hi/lo: min/max for the
// intersection, max/min for the enclosing box) scaled by g, added to the coordinates' gradients.
template <class T>
OC_HD void extent_grad(T u1, T u2, T v1, T v2, bool enclosing, T g, T& gu1, T& gu2, T& gv1, T& gv2) {
  const T hi = enclosing ? box_max(u2, v2) : box_min(u2, v2), lo = enclosing ? box_min(u1, v1) : box_max(u1, v1);
  if (hi - lo < T(0)) return;  // clamped
  pick_grad(u2, v2, enclosing, g, gu2, gv2);
  pick_grad(u1, v1, !enclosing, -g, gu1, gv1);
}

// Adds g * d(iou or giou)/d(a, b) to ga and gb (4 values each).
template <class T>
OC_HD void box_pair_iou_backward(const T* a, const T* b, bool generalized, T g, T* ga, T* gb) {
  const T aw = a[2] - a[0], ah = a[3] - a[1], bw = b[2] - b[0], bh = b[3] - b[1];
  const T iw = box_max(box_min(a[2], b[2]) - box_max(a[0], b[0]), T(0));
  const T ih = box_max(box_min(a[3], b[3]) - box_max(a[1], b[1]), T(0));
  const T inter = iw * ih, uni = aw * ah + bw * bh - inter, iou = inter / uni;
  // iou = inter / union, union = area_a + area_b - inter:
  //   d iou / d inter = (1 + iou) / union,  d iou / d area = -iou / union
  T g_inter = g * (T(1) + iou) / uni, g_area = -g * iou / uni;
  if (generalized) {
    // giou = iou - 1 + union / area_c
    const T cw = box_max(box_max(a[2], b[2]) - box_min(a[0], b[0]), T(0));
    const T ch = box_max(box_max(a[3], b[3]) - box_min(a[1], b[1]), T(0));
    const T area_c = cw * ch, g_c = -g * uni / (area_c * area_c);
    g_inter -= g / area_c, g_area += g / area_c;
    extent_grad(a[0], a[2], b[0], b[2], true, g_c * ch, ga[0], ga[2], gb[0], gb[2]);
    extent_grad(a[1], a[3], b[1], b[3], true, g_c * cw, ga[1], ga[3], gb[1], gb[3]);
  }
  // area = (x2 - x1) (y2 - y1)
  ga[0] -= g_area * ah, ga[2] += g_area * ah, ga[1] -= g_area * aw, ga[3] += g_area * aw;
  gb[0] -= g_area * bh, gb[2] += g_area * bh, gb[1] -= g_area * bw, gb[3] += g_area * bw;
  extent_grad(a[0], a[2], b[0], b[2], false, g_inter * ih, ga[0], ga[2], gb[0], gb[2]);
  extent_grad(a[1], a[3], b[1], b[3], false, g_inter * iw, ga[1], ga[3], gb[1], gb[3]);
}

// The box coder (torchvision's BoxCoder): a box as centre and size,
//   w = x2 - x1, cx = x1 + w / 2 (likewise y, h),
// and deltas (dx, dy, dw, dh) of a target box relative to a reference box r:
//   dx = wx (cx - r.cx) / r.w,   dw = ww log(w / r.w)   (likewise dy, dh with wy, wh).
struct BoxCoderWeights {
  double wx = 1, wy = 1, ww = 1, wh = 1;
};

// deltas of `box` relative to `ref` (4 values each).
template <class T>
OC_HD void box_encode(const T* box, const T* ref, const BoxCoderWeights& wt, T* d) {
  const T rw = ref[2] - ref[0], rh = ref[3] - ref[1], rx = ref[0] + T(0.5) * rw, ry = ref[1] + T(0.5) * rh;
  const T w = box[2] - box[0], h = box[3] - box[1], x = box[0] + T(0.5) * w, y = box[1] + T(0.5) * h;
  d[0] = T(wt.wx) * (x - rx) / rw;
  d[1] = T(wt.wy) * (y - ry) / rh;
  d[2] = T(wt.ww) * hd_log(w / rw);
  d[3] = T(wt.wh) * hd_log(h / rh);
}

// The box that deltas d give relative to `ref`; dw / ww and dh / wh are clamped to at most `clip`
// (torchvision's bbox_xform_clip, log(1000 / 16)) before exp, so no box grows past 1000/16 x.
template <class T>
OC_HD void box_decode(const T* d, const T* ref, const BoxCoderWeights& wt, T clip, T* box) {
  const T rw = ref[2] - ref[0], rh = ref[3] - ref[1], rx = ref[0] + T(0.5) * rw, ry = ref[1] + T(0.5) * rh;
  const T x = d[0] / T(wt.wx) * rw + rx, y = d[1] / T(wt.wy) * rh + ry;
  const T w = hd_exp(box_min(d[2] / T(wt.ww), clip)) * rw, h = hd_exp(box_min(d[3] / T(wt.wh), clip)) * rh;
  box[0] = x - T(0.5) * w, box[1] = y - T(0.5) * h, box[2] = x + T(0.5) * w, box[3] = y + T(0.5) * h;
}

// The gradient of box_decode, from the box's gradient gb: the deltas' gradient gd (written) and the
// reference's gradient added to gr. With A = dx / wx + 1/2 and E = exp(min(dw / ww, clip)) / 2,
//   x1 = r.x1 + r.w (A - E),  x2 = r.x1 + r.w (A + E)   (likewise y),
// a clamped dw (dw / ww > clip) gets no gradient; at exactly clip it passes (as torch.clamp(max=clip)).
template <class T>
OC_HD void box_decode_backward(const T* d, const T* ref, const BoxCoderWeights& wt, T clip, const T* gb, T* gd, T* gr) {
  const T size[2] = {ref[2] - ref[0], ref[3] - ref[1]}, weight[2] = {T(wt.wx), T(wt.wy)}, scale[2] = {T(wt.ww), T(wt.wh)};
  for (int a = 0; a < 2; ++a) {  // a = 0: x (x1, x2 at 0, 2); a = 1: y (1, 3)
    const T s = d[2 + a] / scale[a], half = hd_exp(box_min(s, clip)) / 2, lo = d[a] / weight[a] + T(0.5) - half,
            hi = lo + 2 * half, g1 = gb[a], g2 = gb[2 + a];
    gd[a] = (g1 + g2) * size[a] / weight[a];
    gd[2 + a] = s > clip ? T(0) : (g2 - g1) * size[a] * half / scale[a];
    gr[a] += g1 * (T(1) - lo) + g2 * (T(1) - hi);
    gr[2 + a] += g1 * lo + g2 * hi;
  }
}

// torchvision's remove_small_boxes keeps a box whose width and height are both >= min_size.
template <class T>
OC_HD bool box_is_large(const T* b, T min_size) {
  return b[2] - b[0] >= min_size && b[3] - b[1] >= min_size;
}

}  // namespace oc
