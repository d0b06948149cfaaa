// Planar homographies (3x3 matrices) and the bilinear warp of uint8 images through them, for the
// distorted data sets (train/data/distorted_mnist.h). Plain CPU code: it runs once, at load time.
#pragma once
#include <cstdint>

namespace oc {

// Row-major 3x3 matrix acting on homogeneous pixel coordinates (x, y, 1). Pixel centres sit at
// integer coordinates: pixel (0, 0) covers [-0.5, 0.5] x [-0.5, 0.5]; y points down.
struct Homography {
  double m[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
};

Homography homography_mul(const Homography& a, const Homography& b);  // a * b: apply b, then a
// The point h * (x, y, 1), divided by its third coordinate.
void homography_apply(const Homography& h, double x, double y, double* out_x, double* out_y);
// The inverse matrix, scaled so that m[8] = 1 when it is not 0; throws oc::Error when `h` is singular.
Homography homography_inverse(const Homography& h);
Homography homography_translation(double tx, double ty);
Homography homography_scaling(double s);  // about the origin
// Counter-clockwise as displayed (y down) by `degrees`, about the origin.
Homography homography_rotation(double degrees);
// The homography taking from[k] to to[k] for the four point pairs (x, y); throws oc::Error when
// the points are degenerate (three collinear).
Homography homography_from_points(const double from[4][2], const double to[4][2]);

// dst[c, y, x] = bilinear sample of src[c] at to_source * (x, y, 1) (divided by its third
// coordinate), reading 0 outside the source, rounded to the nearest uint8.
// src: [C, H, W] contiguous, dst: [C, Ho, Wo] contiguous. Trusts its arguments.
void warp_homography(const uint8_t* src, int64_t C, int64_t H, int64_t W, uint8_t* dst, int64_t Ho, int64_t Wo,
                     const Homography& to_source);

}  // namespace oc
