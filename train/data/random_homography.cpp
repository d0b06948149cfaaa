// Random homographies and their local similarity (see random_homography.h).
#include "train/data/random_homography.h"

#include <cmath>

#include "core/error.h"

namespace oc {

void HomographyRanges::check() const {
  OC_CHECK(rotation_degrees >= 0 && rotation_degrees <= 180, "rotation_degrees: expected 0..180, got ", rotation_degrees);
  OC_CHECK(scale_min > 0 && scale_min <= scale_max && scale_max <= 10, "scale: expected 0 < MIN <= MAX <= 10, got ",
           scale_min, "..", scale_max);
  // Corners moved by half the size or more can fold the quadrilateral over itself.
  OC_CHECK(perspective >= 0 && perspective < 0.25, "perspective: expected 0 <= F < 0.25, got ", perspective);
  OC_CHECK(translation >= 0 && translation <= 1, "translation: expected 0..1, got ", translation);
}

Homography random_homography(const HomographyRanges& g, int64_t width, int64_t height, SynthRandom& r) {
  const double W = static_cast<double>(width), H = static_cast<double>(height);
  const double cx = (W - 1) / 2, cy = (H - 1) / 2;
  // Perspective: the corners (pixel centres of the image's extreme pixels) each moved independently.
  const double from[4][2] = {{0, 0}, {W - 1, 0}, {W - 1, H - 1}, {0, H - 1}};
  double to[4][2];
  for (int k = 0; k < 4; ++k) {
    to[k][0] = from[k][0] + r.uniform(-g.perspective, g.perspective) * W;
    to[k][1] = from[k][1] + r.uniform(-g.perspective, g.perspective) * H;
  }
  const Homography perspective = homography_from_points(from, to);
  const double degrees = r.uniform(-g.rotation_degrees, g.rotation_degrees);
  const double scale = std::exp(r.uniform(std::log(g.scale_min), std::log(g.scale_max)));
  const double tx = r.uniform(-g.translation, g.translation) * W, ty = r.uniform(-g.translation, g.translation) * H;
  Homography h = homography_mul(homography_translation(-cx, -cy), perspective);
  h = homography_mul(homography_scaling(scale), h);
  h = homography_mul(homography_rotation(degrees), h);
  return homography_mul(homography_translation(cx + tx, cy + ty), h);
}

LocalSimilarity homography_local_similarity(const Homography& h, double x, double y) {
  const double* m = h.m;
  const double w = m[6] * x + m[7] * y + m[8];
  const double u = (m[0] * x + m[1] * y + m[2]) / w, v = (m[3] * x + m[4] * y + m[5]) / w;
  // d(u, v) / d(x, y) of u = (m0 x + m1 y + m2) / w, v = (m3 x + m4 y + m5) / w.
  const double j00 = (m[0] - u * m[6]) / w, j01 = (m[1] - u * m[7]) / w;
  const double j10 = (m[3] - v * m[6]) / w, j11 = (m[4] - v * m[7]) / w;
  // homography_rotation(d) has J = [[cos, sin], [-sin, cos]]: J01 - J10 = 2 sin, J00 + J11 = 2 cos.
  return {std::atan2(j01 - j10, j00 + j11), std::sqrt(std::fabs(j00 * j11 - j01 * j10))};
}

}  // namespace oc
