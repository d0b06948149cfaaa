// Matches between two images as a picture, for `ocellus match --out`: the images side by side, their
// keypoints as small circles and the matches as lines.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.h"
#include "train/metrics/matching.h"

namespace oc::cli {

inline constexpr int kKeypointRadius = 3;

// gray_a, gray_b: uint8 [1,H,W] images (any strides, on the CPU) whose sizes match a's and b's.
// Returns uint8 [3, max(Ha, Hb), Wa + Wb]: a at the left, b at its right (x shifted by Wa), the
// gray repeated into RGB and black below the shorter one. Keypoints (pixel centres at integers) are
// yellow rings of radius kKeypointRadius; each match a line between its keypoints, drawn over them:
// green when correct[k] is 1, red when 0, blue for all when `correct` is empty (no homography). Lines
// and rings are clipped to the picture.
Tensor draw_matches(const Tensor& gray_a, const Tensor& gray_b, const ImageFeatures& a, const ImageFeatures& b,
                    const std::vector<Match>& matches, const std::vector<uint8_t>& correct);

}  // namespace oc::cli
