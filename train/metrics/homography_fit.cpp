// Normalised DLT, RANSAC and the corner error (see homography_fit.h).
#include "train/metrics/homography_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/error.h"

namespace oc {
namespace {

// Hartley's normalisation of a point set: T = [[s, 0, -s cx], [0, s, -s cy], [0, 0, 1]] moves the
// centroid to the origin and makes the mean distance from it sqrt(2).
struct Normalisation {
  double cx = 0, cy = 0, s = 1;
};

Normalisation normalisation_of(const std::vector<Point2>& p) {
  Normalisation n;
  for (const Point2& q : p) n.cx += q[0], n.cy += q[1];
  n.cx /= double(p.size()), n.cy /= double(p.size());
  double mean = 0;
  for (const Point2& q : p) mean += std::hypot(q[0] - n.cx, q[1] - n.cy);
  mean /= double(p.size());
  OC_CHECK(mean > 0, "fit_homography: degenerate points (all ", p.size(), " at one place)");
  n.s = std::sqrt(2.0) / mean;
  return n;
}

// Cyclic Jacobi rotations on the symmetric 9x9 matrix `a` until it is diagonal; on return
// a[k][k] are the eigenvalues and the columns of v the eigenvectors.
void jacobi_eigen9(double a[9][9], double v[9][9]) {
  for (int i = 0; i < 9; ++i)
    for (int j = 0; j < 9; ++j) v[i][j] = i == j ? 1 : 0;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0, diag = 0;
    for (int p = 0; p < 9; ++p) {
      diag += a[p][p] * a[p][p];
      for (int q = p + 1; q < 9; ++q) off += a[p][q] * a[p][q];
    }
    if (off <= 1e-34 * diag) return;
    for (int p = 0; p < 8; ++p)
      for (int q = p + 1; q < 9; ++q) {
        if (a[p][q] == 0) continue;
        // The rotation angle that zeroes a[p][q]: t = tan(angle), the root of t^2 + 2 theta t - 1 = 0
        // of smaller magnitude (the stable choice).
        const double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const double t = std::fabs(theta) > 1e150
                             ? 0.5 / theta
                             : (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int k = 0; k < 9; ++k) {  // a <- a J
          const double akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq, a[k][q] = s * akp + c * akq;
        }
        for (int k = 0; k < 9; ++k) {  // a <- J^T a
          const double apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk, a[q][k] = s * apk + c * aqk;
        }
        for (int k = 0; k < 9; ++k) {  // v <- v J
          const double vkp = v[k][p], vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq, v[k][q] = s * vkp + c * vkq;
        }
      }
  }
}

double cross(const Point2& o, const Point2& a, const Point2& b) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

double squared_distance(const Point2& a, const Point2& b) {
  return (a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]);
}

// The four triangles of a 4-point sample.
constexpr int kTriangles[4][3] = {{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}};

// Whether a triangle is too thin to pin a homography: twice its area below 1e-4 of its longest
// side squared (three coincident points included).
bool nearly_collinear(const Point2& a, const Point2& b, const Point2& c) {
  const double longest = std::max({squared_distance(a, b), squared_distance(b, c), squared_distance(a, c)});
  return std::fabs(cross(a, b, c)) <= 1e-4 * longest;
}

// A sample no homography fits well: a thin triangle on either side, or orientations that some
// triangles keep and others flip.
bool degenerate_sample(const Point2 s[4], const Point2 d[4]) {
  int flipped = 0;
  for (const auto& t : kTriangles) {
    if (nearly_collinear(s[t[0]], s[t[1]], s[t[2]]) || nearly_collinear(d[t[0]], d[t[1]], d[t[2]])) return true;
    if ((cross(s[t[0]], s[t[1]], s[t[2]]) > 0) != (cross(d[t[0]], d[t[1]], d[t[2]]) > 0)) ++flipped;
  }
  return flipped != 0 && flipped != 4;
}

// How well a model fits: more inliers first; among equal counts, the smaller sum of the inliers'
// squared errors (a model through the best points, not merely one that touches as many).
struct Support {
  int64_t inliers = 0;
  double squared_error = 0;
  bool better_than(const Support& o) const {
    return inliers > o.inliers || (inliers == o.inliers && squared_error < o.squared_error);
  }
};

// The pairs whose forward reprojection error is within the threshold (1 in mask), and their support.
Support count_inliers(const Homography& h, const std::vector<Point2>& src, const std::vector<Point2>& dst,
                      double threshold_px, std::vector<uint8_t>& mask) {
  const double t2 = threshold_px * threshold_px;
  const double* m = h.m;
  Support n;
  mask.assign(src.size(), 0);
  for (size_t k = 0; k < src.size(); ++k) {
    const double x = src[k][0], y = src[k][1];
    const double w = m[6] * x + m[7] * y + m[8];
    if (!(w > 0)) continue;  // on or beyond the horizon (fit_homography keeps w > 0 on its points)
    const double u = (m[0] * x + m[1] * y + m[2]) / w, v = (m[3] * x + m[4] * y + m[5]) / w;
    const double e2 = (u - dst[k][0]) * (u - dst[k][0]) + (v - dst[k][1]) * (v - dst[k][1]);
    if (e2 <= t2) mask[k] = 1, ++n.inliers, n.squared_error += e2;
  }
  return n;
}

}  // namespace

Homography fit_homography(const std::vector<Point2>& src, const std::vector<Point2>& dst) {
  OC_CHECK(src.size() == dst.size(), "fit_homography: ", src.size(), " source points but ", dst.size(),
           " destination points");
  OC_CHECK(src.size() >= 4, "fit_homography: needs at least 4 point pairs, got ", src.size());
  for (size_t k = 0; k < src.size(); ++k)
    OC_CHECK(std::isfinite(src[k][0]) && std::isfinite(src[k][1]) && std::isfinite(dst[k][0]) &&
                 std::isfinite(dst[k][1]),
             "fit_homography: pair ", k, " has a non-finite coordinate");
  const Normalisation ns = normalisation_of(src), nd = normalisation_of(dst);
  // The normal matrix A^T A of the DLT rows, in normalised coordinates (x, y) -> (u, v):
  //   [x, y, 1, 0, 0, 0, -u x, -u y, -u] and [0, 0, 0, x, y, 1, -v x, -v y, -v].
  double ata[9][9] = {};
  for (size_t k = 0; k < src.size(); ++k) {
    const double x = ns.s * (src[k][0] - ns.cx), y = ns.s * (src[k][1] - ns.cy);
    const double u = nd.s * (dst[k][0] - nd.cx), v = nd.s * (dst[k][1] - nd.cy);
    const double r0[9] = {x, y, 1, 0, 0, 0, -u * x, -u * y, -u};
    const double r1[9] = {0, 0, 0, x, y, 1, -v * x, -v * y, -v};
    for (int i = 0; i < 9; ++i)
      for (int j = 0; j < 9; ++j) ata[i][j] += r0[i] * r0[j] + r1[i] * r1[j];
  }
  double vec[9][9];
  jacobi_eigen9(ata, vec);
  int order[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
  std::sort(order, order + 9, [&](int a, int b) { return ata[a][a] < ata[b][b]; });
  // A second (near-)zero eigenvalue: a whole family of homographies fits equally well.
  OC_CHECK(ata[order[1]][order[1]] > 1e-10 * ata[order[8]][order[8]],
           "fit_homography: degenerate points (the homography is not determined by them, e.g. three of four "
           "on a line)");
  Homography hn;
  for (int k = 0; k < 9; ++k) hn.m[k] = vec[k][order[0]];
  // Back to pixels: H = Td^-1 Hn Ts.
  const Homography ts{{ns.s, 0, -ns.s * ns.cx, 0, ns.s, -ns.s * ns.cy, 0, 0, 1}};
  const Homography td_inv{{1 / nd.s, 0, nd.cx, 0, 1 / nd.s, nd.cy, 0, 0, 1}};
  Homography h = homography_mul(td_inv, homography_mul(hn, ts));
  double largest = 0;
  for (double x : h.m) largest = std::max(largest, std::fabs(x));
  double scale = std::fabs(h.m[8]) > 1e-12 * largest ? h.m[8] : largest;
  // With m[8] ~ 0 the sign is free: choose the one that puts the points in front (w > 0).
  if (scale == largest) {
    double w = 0;
    for (const Point2& p : src) w += h.m[6] * p[0] + h.m[7] * p[1] + h.m[8];
    if (w < 0) scale = -scale;
  }
  for (double& x : h.m) x /= scale;
  for (double x : h.m) OC_CHECK(std::isfinite(x), "fit_homography: the fit is not finite (degenerate points)");
  try {
    homography_inverse(h);  // only the check: e.g. three collinear points sent to three that are not
  } catch (const Error&) {
    OC_FAIL("fit_homography: degenerate points (the best fit is a singular matrix)");
  }
  return h;
}

RansacResult ransac_homography(const std::vector<Point2>& src, const std::vector<Point2>& dst, double threshold_px,
                               int64_t max_iterations, double confidence, uint64_t seed) {
  OC_CHECK(src.size() == dst.size(), "ransac_homography: ", src.size(), " source points but ", dst.size(),
           " destination points");
  OC_CHECK(threshold_px > 0 && std::isfinite(threshold_px), "ransac_homography: threshold_px must be > 0, got ",
           threshold_px);
  OC_CHECK(max_iterations >= 1, "ransac_homography: max_iterations must be >= 1, got ", max_iterations);
  OC_CHECK(confidence > 0 && confidence < 1, "ransac_homography: confidence must be in (0, 1), got ", confidence);
  RansacResult best;
  best.inlier.assign(src.size(), 0);
  const int64_t n = static_cast<int64_t>(src.size());
  if (n < 4) return best;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, n - 1);
  int64_t needed = max_iterations;
  std::vector<uint8_t> mask;
  Support best_support;
  while (best.iterations < needed) {
    ++best.iterations;
    int64_t idx[4];
    for (int k = 0; k < 4; ++k) {
      bool repeated = true;
      while (repeated) {
        idx[k] = pick(rng);
        repeated = std::find(idx, idx + k, idx[k]) != idx + k;
      }
    }
    Point2 s[4], d[4];
    for (int k = 0; k < 4; ++k) s[k] = src[idx[k]], d[k] = dst[idx[k]];
    if (degenerate_sample(s, d)) continue;
    Homography h;
    try {
      h = fit_homography({s, s + 4}, {d, d + 4});
    } catch (const Error&) {
      continue;  // degenerate beyond what the sample test saw
    }
    const Support support = count_inliers(h, src, dst, threshold_px, mask);
    if (best.ok && !support.better_than(best_support)) continue;
    const int64_t count = support.inliers;
    best.ok = true, best.h = h, best.inliers = count, best.inlier = mask, best_support = support;
    const double w4 = std::pow(double(count) / double(n), 4);
    // log1p(-w4) is 0 for a negligible w4 and -inf at w4 = 1 (no more samples needed); the
    // minimum is taken in double, before the cast, as the ratio can exceed int64.
    const double denom = std::log1p(-std::min(w4, 1.0));
    const double wanted = denom == 0 ? double(max_iterations) : std::ceil(std::log1p(-confidence) / denom);
    needed = static_cast<int64_t>(std::min(wanted, double(max_iterations)));
  }
  // Refit on all inliers while that gains inliers (an equal count keeps the least-squares fit too).
  for (int round = 0; best.ok && round < 5 && best.inliers >= 4; ++round) {
    std::vector<Point2> s, d;
    for (int64_t k = 0; k < n; ++k)
      if (best.inlier[k]) s.push_back(src[k]), d.push_back(dst[k]);
    Homography h;
    try {
      h = fit_homography(s, d);
    } catch (const Error&) {
      break;
    }
    const int64_t count = count_inliers(h, src, dst, threshold_px, mask).inliers;
    if (count < best.inliers) break;
    const bool grew = count > best.inliers;
    best.h = h, best.inliers = count, best.inlier = mask;
    if (!grew) break;
  }
  return best;
}

double corner_error(const Homography& estimated, const Homography& truth, int64_t width, int64_t height) {
  OC_CHECK(width > 0 && height > 0, "corner_error: image size must be > 0, got ", width, " x ", height);
  const double cx = 0.5 * double(width - 1), cy = 0.5 * double(height - 1);
  // w relative to its value at the image's centre: a matrix and its negative are one homography.
  auto w_at = [&](const Homography& h, double x, double y) {
    const double* m = h.m;
    const double centre = m[6] * cx + m[7] * cy + m[8];
    return (m[6] * x + m[7] * y + m[8]) * (centre < 0 ? -1 : 1);
  };
  const double r = double(width - 1), b = double(height - 1);
  const double corners[4][2] = {{0, 0}, {r, 0}, {0, b}, {r, b}};
  double sum = 0;
  for (const auto& c : corners) {
    if (!(w_at(estimated, c[0], c[1]) > 0) || !(w_at(truth, c[0], c[1]) > 0))
      return std::numeric_limits<double>::infinity();
    double ex, ey, tx, ty;
    homography_apply(estimated, c[0], c[1], &ex, &ey);
    homography_apply(truth, c[0], c[1], &tx, &ty);
    sum += std::hypot(ex - tx, ey - ty);
  }
  return sum / 4;
}

}  // namespace oc
