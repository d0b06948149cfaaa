// Pose kernels, _cpu and _cuda side by side. All tensors are contiguous and of one floating dtype
// (limbs: int32 [L, 2] on the same device); the front end (pose.cpp) has checked every shape.
#pragma once
#include "core/tensor.h"
#include "kernels/pose/pose_math.h"

namespace oc {

// keypoints [N, P, K, 3] -> heatmaps [N, K, H, W]
void render_heatmaps_cpu(const Tensor& keypoints, const Tensor& heatmaps, const PoseRenderGeom& g);
void render_heatmaps_cuda(const Tensor& keypoints, const Tensor& heatmaps, const PoseRenderGeom& g);

// keypoints [N, P, K, 3] x limbs [L, 2] -> pafs [N, 2L, H, W]
void render_pafs_cpu(const Tensor& keypoints, const Tensor& limbs, const Tensor& pafs, const PoseRenderGeom& g);
void render_pafs_cuda(const Tensor& keypoints, const Tensor& limbs, const Tensor& pafs, const PoseRenderGeom& g);

// heatmaps [M, H, W] (M = N * K maps) -> marks [M, H, W, 3]: (1, refined column, refined row) at a
// peak, (0, 0, 0) elsewhere.
void mark_peaks_cpu(const Tensor& heatmaps, const Tensor& marks, int64_t h, int64_t w, double threshold);
void mark_peaks_cuda(const Tensor& heatmaps, const Tensor& marks, int64_t h, int64_t w, double threshold);

// field [2, H, W] x candidates [M, 4] -> scores [M, 2] (score, fraction)
void paf_limb_scores_cpu(const Tensor& field, const Tensor& candidates, const Tensor& scores, double stride,
                         int samples, double threshold);
void paf_limb_scores_cuda(const Tensor& field, const Tensor& candidates, const Tensor& scores, double stride,
                          int samples, double threshold);

}  // namespace oc
