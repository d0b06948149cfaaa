// LIFT on whole images: keypoints from the detector's score map (non-maximum suppression, the
// strongest max_keypoints, each refined by a soft-argmax in a small window), then per keypoint the
// crop, the orientation and the descriptor of the rotated crop, as ImageFeatures (train/io/
// features_file.h) for matching. Also the ablations: given keypoints (e.g. SIFT's) with their own
// orientations or with the learned ones.
#pragma once
#include <vector>

#include "nets/lift/lift.h"
#include "train/io/features_file.h"

namespace oc {

struct LiftExtractOptions {
  double mean = 0, std = 1;                    // the data's normalization (data.mean, data.std)
  const std::vector<FeaturePoint>* given = nullptr;  // keypoints to describe instead of detecting them
  bool learned_orientation = true;             // false: given points' own angles (-1: none)
  Device device = Device::cpu();
};

// image: uint8 [1, H, W] (gray). Keypoints closer to the border than the crop's half diagonal are
// not detected (given ones are described anyway, zeros outside the image).
ImageFeatures lift_features(Network& model, const LiftSettings& s, const Tensor& image,
                            const LiftExtractOptions& opt);

// The detector's keypoints on a score map [H, W] (row-major): local maxima of radius nms_radius
// at least `border` pixels from the edges and >= min_score, the strongest max_keypoints (ties: the
// earlier in row-major order), each moved to the soft-argmax (temperature beta) of its
// (2 refine_radius + 1)^2 window. Exposed for tests.
std::vector<FeaturePoint> score_map_keypoints(const std::vector<float>& score, int64_t H, int64_t W,
                                              const LiftSettings& s, int64_t border);

}  // namespace oc
