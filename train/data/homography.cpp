// Homography algebra and the inverse-mapping bilinear warp (see homography.h).
#include "train/data/homography.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>
#include <vector>

#include "core/error.h"

namespace oc {

Homography homography_mul(const Homography& a, const Homography& b) {
  Homography r;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      double s = 0;
      for (int k = 0; k < 3; ++k) s += a.m[i * 3 + k] * b.m[k * 3 + j];
      r.m[i * 3 + j] = s;
    }
  return r;
}

void homography_apply(const Homography& h, double x, double y, double* out_x, double* out_y) {
  const double w = h.m[6] * x + h.m[7] * y + h.m[8];
  *out_x = (h.m[0] * x + h.m[1] * y + h.m[2]) / w;
  *out_y = (h.m[3] * x + h.m[4] * y + h.m[5]) / w;
}

Homography homography_translation(double tx, double ty) { return Homography{{1, 0, tx, 0, 1, ty, 0, 0, 1}}; }

Homography homography_scaling(double s) { return Homography{{s, 0, 0, 0, s, 0, 0, 0, 1}}; }

Homography homography_rotation(double degrees) {
  // With y pointing down, a counter-clockwise turn on screen is (x, y) -> (x cos + y sin, -x sin + y cos).
  const double th = degrees * (3.14159265358979323846 / 180.0), c = std::cos(th), s = std::sin(th);
  return Homography{{c, s, 0, -s, c, 0, 0, 0, 1}};
}

Homography homography_inverse(const Homography& h) {
  const double* a = h.m;
  Homography r;
  double* m = r.m;  // the adjugate: cofactors, transposed
  m[0] = a[4] * a[8] - a[5] * a[7], m[1] = a[2] * a[7] - a[1] * a[8], m[2] = a[1] * a[5] - a[2] * a[4];
  m[3] = a[5] * a[6] - a[3] * a[8], m[4] = a[0] * a[8] - a[2] * a[6], m[5] = a[2] * a[3] - a[0] * a[5];
  m[6] = a[3] * a[7] - a[4] * a[6], m[7] = a[1] * a[6] - a[0] * a[7], m[8] = a[0] * a[4] - a[1] * a[3];
  const double det = a[0] * m[0] + a[1] * m[3] + a[2] * m[6];
  double norm = 0;
  for (int k = 0; k < 9; ++k) norm = std::max(norm, std::fabs(a[k]));
  OC_CHECK(std::fabs(det) > 1e-12 * norm * norm * norm, "homography_inverse: the matrix is singular");
  const double s = std::fabs(m[8]) > 1e-12 * std::fabs(det) ? m[8] : det;  // m[8] / det = 1 afterwards
  for (int k = 0; k < 9; ++k) m[k] /= s;
  return r;
}

Homography homography_from_points(const double from[4][2], const double to[4][2]) {
  // With m[8] = 1, each pair gives two linear equations in m[0..7]:
  //   u (m6 x + m7 y + 1) = m0 x + m1 y + m2,   v (m6 x + m7 y + 1) = m3 x + m4 y + m5.
  double a[8][9] = {};
  for (int k = 0; k < 4; ++k) {
    const double x = from[k][0], y = from[k][1], u = to[k][0], v = to[k][1];
    double* r0 = a[2 * k];
    double* r1 = a[2 * k + 1];
    r0[0] = x, r0[1] = y, r0[2] = 1, r0[6] = -u * x, r0[7] = -u * y, r0[8] = u;
    r1[3] = x, r1[4] = y, r1[5] = 1, r1[6] = -v * x, r1[7] = -v * y, r1[8] = v;
  }
  // Gaussian elimination with partial pivoting on the augmented 8x9 system.
  for (int col = 0; col < 8; ++col) {
    int piv = col;
    for (int r = col + 1; r < 8; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[piv][col])) piv = r;
    OC_CHECK(std::fabs(a[piv][col]) > 1e-12, "homography_from_points: degenerate points (three are collinear)");
    if (piv != col) std::swap(a[piv], a[col]);
    for (int r = 0; r < 8; ++r) {
      if (r == col) continue;
      const double f = a[r][col] / a[col][col];
      for (int c = col; c < 9; ++c) a[r][c] -= f * a[col][c];
    }
  }
  Homography h;
  for (int i = 0; i < 8; ++i) h.m[i] = a[i][8] / a[i][i];
  h.m[8] = 1;
  return h;
}

namespace {

// The output rectangle [x0, x1) x [y0, y1) outside which every sample falls outside the source: the
// bounding box (plus a pixel for rounding) of the region xs in (-1, W), ys in (-1, H) mapped forward.
// The whole canvas when that region reaches the line at infinity.
struct Box {
  int64_t x0, y0, x1, y1;
};
Box output_box(const Homography& to_source, int64_t H, int64_t W, int64_t Ho, int64_t Wo) {
  const double* a = to_source.m;
  // The adjugate is the inverse up to the factor det, whose sign must be kept for w.
  const double f[9] = {a[4] * a[8] - a[5] * a[7], a[2] * a[7] - a[1] * a[8], a[1] * a[5] - a[2] * a[4],
                       a[5] * a[6] - a[3] * a[8], a[0] * a[8] - a[2] * a[6], a[2] * a[3] - a[0] * a[5],
                       a[3] * a[7] - a[4] * a[6], a[1] * a[6] - a[0] * a[7], a[0] * a[4] - a[1] * a[3]};
  const double det = a[0] * f[0] + a[1] * f[3] + a[2] * f[6];
  const Box all{0, 0, Wo, Ho};
  if (!(std::fabs(det) > 1e-12)) return all;
  double lox = 1e300, loy = 1e300, hix = -1e300, hiy = -1e300;
  const double cx[4] = {-1.0, double(W), double(W), -1.0}, cy[4] = {-1.0, -1.0, double(H), double(H)};
  for (int k = 0; k < 4; ++k) {
    const double w = (f[6] * cx[k] + f[7] * cy[k] + f[8]) / det;
    if (!(w > 1e-12)) return all;
    const double u = (f[0] * cx[k] + f[1] * cy[k] + f[2]) / det / w, v = (f[3] * cx[k] + f[4] * cy[k] + f[5]) / det / w;
    lox = std::min(lox, u), hix = std::max(hix, u), loy = std::min(loy, v), hiy = std::max(hiy, v);
  }
  auto clampi = [](double v, int64_t hi) { return static_cast<int64_t>(std::clamp(v, 0.0, static_cast<double>(hi))); };
  return Box{clampi(std::floor(lox) - 1, Wo), clampi(std::floor(loy) - 1, Ho), clampi(std::ceil(hix) + 2, Wo),
             clampi(std::ceil(hiy) + 2, Ho)};
}

}  // namespace

void warp_homography(const uint8_t* src, int64_t C, int64_t H, int64_t W, uint8_t* dst, int64_t Ho, int64_t Wo,
                     const Homography& to_source) {
  // Local copies: dst is a uint8_t*, which may alias anything, so reads through to_source would be
  // repeated after every store.
  const double m0 = to_source.m[0], m1 = to_source.m[1], m2 = to_source.m[2], m3 = to_source.m[3],
               m4 = to_source.m[4], m5 = to_source.m[5], m6 = to_source.m[6], m7 = to_source.m[7],
               m8 = to_source.m[8];
  // The source with a one-pixel zero border: the four bilinear reads then need no bounds checks.
  const int64_t Wp = W + 2, padded_plane = (H + 2) * Wp, out_plane = Ho * Wo;
  std::vector<uint8_t> padded(static_cast<size_t>(C * padded_plane), 0);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      std::memcpy(&padded[c * padded_plane + (y + 1) * Wp + 1], src + (c * H + y) * W, static_cast<size_t>(W));
  // Most of a large canvas (rts, cluttered) lies outside the item: zero it, then visit only the box.
  std::memset(dst, 0, static_cast<size_t>(C * out_plane));
  const Box box = output_box(to_source, H, W, Ho, Wo);
  for (int64_t y = box.y0; y < box.y1; ++y) {
    const double rx = m1 * y + m2, ry = m4 * y + m5, rw = m7 * y + m8;
    for (int64_t x = box.x0; x < box.x1; ++x) {
      const double w = m6 * x + rw;
      // w <= 0: the point is behind the projection (never for the maps used here); treat as outside.
      // One division per pixel, not two (1/1 = 1 exactly, so affine maps lose nothing).
      const double iw = w > 1e-12 ? 1.0 / w : 0;
      const double xs = w > 1e-12 ? (m0 * x + rx) * iw : -2;
      const double ys = w > 1e-12 ? (m3 * x + ry) * iw : -2;
      if (!(xs > -1 && xs < W && ys > -1 && ys < H)) continue;  // all four neighbours outside: 0
      // floor by truncation, valid since xs + 1 > 0 (std::floor is a libm call without SSE4.1);
      // px, py index the padded source, whose pixel (px, py) is source pixel (px - 1, py - 1).
      const int64_t px = static_cast<int64_t>(xs + 1), py = static_cast<int64_t>(ys + 1);
      const double ax = xs + 1 - static_cast<double>(px), ay = ys + 1 - static_cast<double>(py);
      const double w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
      for (int64_t c = 0; c < C; ++c) {
        const uint8_t* p = padded.data() + c * padded_plane + py * Wp + px;
        const double v = w00 * p[0] + w01 * p[1] + w10 * p[Wp] + w11 * p[Wp + 1];
        // Round half up; v is a convex combination of bytes, so in [0, 255] up to rounding error.
        dst[c * out_plane + y * Wo + x] = static_cast<uint8_t>(std::min(255.0, v + 0.5));
      }
    }
  }
}

}  // namespace oc
