// Estimating the homography between two images from point correspondences: the normalised direct
// linear transform (DLT), RANSAC around it, and the corner error that scores an estimate against the
// truth (SuperPoint's homography estimation metric). Conventions as in train/data/homography.h:
// pixel centres at integers, y down; H maps src's pixel coordinates to dst's.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "train/data/homography.h"

namespace oc {

using Point2 = std::array<double, 2>;

// The H with dst[k] ~ H src[k], scaled so that m[8] = 1 (when m[8] is not ~0), from n >= 4 pairs.
// Hartley's normalisation (each point set moved to its centroid and scaled to a mean distance of
// sqrt(2) from it) conditions the 2n x 9 DLT system A h = 0; h is the eigenvector of the 9x9 normal
// matrix A^T A with the smallest eigenvalue (cyclic Jacobi, in double), i.e. the least-squares
// solution under |h| = 1 for n > 4 and the exact one for n = 4. Unlike fixing m[8] = 1 beforehand,
// this also finds homographies whose m[8] is 0.
// Errors (oc::Error): sizes differ, n < 4, a non-finite coordinate, or degenerate points (all at
// one place, or lying so that H is not determined: the second-smallest eigenvalue ~ 0, as with three
// of four points on a line).
Homography fit_homography(const std::vector<Point2>& src, const std::vector<Point2>& dst);

struct RansacResult {
  bool ok = false;             // false: fewer than 4 pairs, or no non-degenerate sample was found
  Homography h;                // src -> dst (identity when !ok)
  std::vector<uint8_t> inlier; // per pair, 1 when |H src - dst| <= threshold_px (all 0 when !ok)
  int64_t inliers = 0;
  int64_t iterations = 0;      // samples drawn, degenerate ones included
};

// RANSAC: minimal samples of 4 distinct pairs (rejected without a fit when three points of either
// side are nearly collinear, or when the four triangles do not all keep, or all flip, their
// orientation, which no homography of the sample's region can do), the model fitted by
// fit_homography, inliers counted by the forward reprojection error |H src - dst| <= threshold_px
// (a point mapped to or beyond the horizon, w <= 0 with the fit's m[8] = 1, is an outlier). Of two
// models with as many inliers, the one with the smaller sum of squared inlier errors wins. The
// sample count adapts: N = log(1 - confidence) / log(1 - w^4), w the best inlier fraction so far,
// capped at max_iterations. Finally H is refitted on all inliers and the inliers recounted, again
// while the count grows (at most 5 times). Deterministic for a given seed.
RansacResult ransac_homography(const std::vector<Point2>& src, const std::vector<Point2>& dst,
                               double threshold_px = 3, int64_t max_iterations = 2000, double confidence = 0.999,
                               uint64_t seed = 0);

// The mean distance between the four corners of a width x height image, (0, 0), (width - 1, 0),
// (0, height - 1), (width - 1, height - 1) (pixel centres), mapped by `estimated` and by `truth`.
// Infinite when either maps a corner to or beyond the horizon (w <= 0, the sign of w taken relative
// to its sign at the image's centre, so that a matrix and its negative score alike).
double corner_error(const Homography& estimated, const Homography& truth, int64_t width, int64_t height);

}  // namespace oc
