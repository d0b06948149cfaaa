// OpenPose-style (Cao et al., 2017) bottom-up pose primitives: the training targets (keypoint
// heatmaps, part affinity fields) and the decoding steps (heatmap peaks, PAF line integrals). The
// greedy grouping of peaks into people is in pose_assembly.h. None of these is differentiable: the
// renders are targets and the decoders read network outputs; the results carry no gradient.
//
// Coordinates. Keypoints are in input-image pixels with pixel centres at integers (x right, y down;
// COCO stores centres at integer + 0.5: subtract 0.5 first). A map of stride s has cell (i, j) centred
// at input position (j*s + (s-1)/2, i*s + (s-1)/2), so its cells tile the input exactly:
//
//   input pixels   0   1   2   3   4   5   6   7        (s = 4)
//                 [              ][              ]
//   cells                j = 0           j = 1
//   cell centre         x = 1.5         x = 5.5
//
//   input x = j*s + (s-1)/2   <=>   cell j = (x - (s-1)/2) / s
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace oc {

// keypoints [N,P,K,3] (x, y, v; P people slots, v <= 0: joint missing or slot empty), float32/64
// -> heatmaps [N,K,H,W] of the same dtype and device:
//   value = max over people p with v > 0 of exp(-d^2 / (2 sigma^2)),
// d the distance in input pixels from the joint to the cell centre, sigma in input pixels. A joint
// reaches only the cells with |dx| <= 3 sigma and |dy| <= 3 sigma (0 elsewhere), on both devices.
Tensor render_heatmaps(const Tensor& keypoints, int64_t height, int64_t width, double stride, double sigma);

// keypoints [N,P,K,3] with limbs (joint a, joint b) -> part affinity fields [N,2L,H,W]: channels 2l and
// 2l+1 are the x and y components of limb l's field. For each person whose joints a and b both have
// v > 0 and differ in position, the cells whose centre c lies within limb_width input pixels of the
// segment (0 <= (c - a).u <= |b - a| and |(c - a) x u| <= limb_width, u = (b - a) / |b - a|) get u;
// where several people cover a cell, the u are averaged (summed, then divided by their count, as
// OpenPose does). Cells no limb covers are 0.
Tensor render_pafs(const Tensor& keypoints, const std::vector<std::array<int, 2>>& limbs, int64_t height,
                   int64_t width, double stride, double limb_width);

// A local maximum of heatmap (n, k), in input pixels (see the convention above).
struct Peak {
  int64_t n = 0, k = 0;
  double x = 0, y = 0;  // sub-pixel refined
  double score = 0;     // the heatmap value at the peak's cell
};

// heatmaps [N,K,H,W] (float32/64, CPU or CUDA) -> their peaks, ordered by (n, k, row, column).
// A peak is a cell whose value v > threshold, v >= each of its (up to 8) neighbours and v > the
// neighbours before it in raster order (the row above, and the cell to its left). Tie rule: of equal
// neighbours the first in raster order wins, so a flat top (a rectangle, or any blob in which every
// cell but the first touches an earlier one) gives one peak, at its first cell. NaN cells are never
// peaks and never hide one.
// Refinement: along each axis a parabola through (left, centre, right) puts the top at offset
// (left - right) / (2 (left - 2 centre + right)) cells, clamped to [-0.5, 0.5]; 0 at the map's
// border or on a flat line. On CUDA a kernel marks the peaks and refines them per cell; the marks
// are copied to the host once and compacted there.
std::vector<Peak> find_peaks(const Tensor& heatmaps, double threshold, double stride);

// One limb's field of one image pafs_limb [2,H,W] (x, y components) and candidate limbs
// candidates [M,4] (xa, ya, xb, yb in input pixels) -> [M,2]: (score, fraction) per candidate.
// Along the segment `samples` points p_i = a + (b - a) i / (samples - 1) (the midpoint when
// samples == 1) read the field bilinearly (cell coordinates by the convention above, clamped to the
// map); d_i = L(p_i) . (b - a) / |b - a|. score = mean of d_i, fraction = share of d_i > threshold
// (OpenPose keeps a candidate when fraction >= 0.8). A zero-length candidate scores (0, 0).
Tensor paf_limb_scores(const Tensor& pafs_limb, const Tensor& candidates, double stride, int samples,
                       double threshold);

}  // namespace oc
