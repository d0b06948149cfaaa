// Matching local features between two images and scoring the matches against the true homography,
// as the local-feature literature does (HPatches' mean matching accuracy, SuperPoint's repeatability
// and homography estimation): the one scorer that LIFT's and OpenCV's features both go through.
//
// Conventions: keypoints are in pixel coordinates with pixel centres at integers and y down (image
// a's pixel (0, 0) spans [-0.5, 0.5]^2, so a point is inside a W x H image when it lies in
// [-0.5, W - 0.5] x [-0.5, H - 0.5]). The homography H ("a_to_b") maps a's pixel coordinates to b's.
// Distances between points are Euclidean, in b's pixels.
#pragma once
#include <cstdint>
#include <vector>

#include "train/data/homography.h"
#include "train/io/features_file.h"
#include "train/metrics/homography_fit.h"

namespace oc {

struct Match {
  int64_t i = 0, j = 0;  // keypoint i of a, keypoint j of b
  float distance = 0;    // squared L2 distance between their descriptors
};

// The pairs (i, j) where b's keypoint j is the nearest neighbour of a's keypoint i among b's, and
// a's keypoint i the nearest of b's keypoint j among a's, by squared L2 distance (the Hamming
// distance for unpacked binary descriptors). Ties go to the lowest index on each side. The search
// uses |x|^2 + |y|^2 - 2 x.y with the dot products from the blocked float GEMM (exact for binary
// descriptors); the reported distance is recomputed directly, in double. Sorted by i.
// No keypoints on either side: no matches. Descriptor lengths that differ (both sides non-empty),
// or a descriptor array whose size is not points x dim, are errors.
std::vector<Match> mutual_nearest_neighbours(const ImageFeatures& a, const ImageFeatures& b);

// The distance within which a match or a repeated keypoint counts as correct.
inline constexpr double kCorrectPx = 3;

// Per match, |H a.points[i] - b.points[j]| in b's pixels. Match indices out of range are errors.
std::vector<double> reprojection_errors(const ImageFeatures& a, const ImageFeatures& b,
                                        const std::vector<Match>& matches, const Homography& a_to_b);

// RANSAC (homography_fit.h) on the matched keypoints, a's as the source.
RansacResult ransac_on_matches(const ImageFeatures& a, const ImageFeatures& b, const std::vector<Match>& matches,
                               double threshold_px = 3, uint64_t seed = 0);

struct MatchScores {
  std::vector<double> thresholds;  // px, as given
  std::vector<double> mma;         // per threshold: the fraction of the matches with error <= t (0 without matches)
  int64_t matches = 0;
  int64_t correct = 0;             // matches with error <= kCorrectPx
  // Repeatability (SuperPoint's): a's keypoints mapped by H that land inside b are visible_a, b's
  // mapped by H^-1 that land inside a are visible_b; a visible keypoint is repeated when a visible
  // keypoint of the other image lies within kCorrectPx of it (both measured in b's pixels).
  // repeatability = (repeated_a + repeated_b) / (visible_a + visible_b), 0 when nothing is visible.
  int64_t visible_a = 0, visible_b = 0, repeated_a = 0, repeated_b = 0;
  double repeatability = 0;
  RansacResult ransac;             // on the matches (ransac_on_matches)
  double corner_error = 0;         // of ransac.h against H over a's corners; infinite when !ransac.ok
};

// Scores `matches` of a and b against the true H. thresholds: each > 0 and finite (e.g. 1..10).
MatchScores score_matches(const ImageFeatures& a, const ImageFeatures& b, const std::vector<Match>& matches,
                          const Homography& a_to_b, const std::vector<double>& thresholds,
                          double ransac_threshold_px = 3, uint64_t ransac_seed = 0);

}  // namespace oc
