// Mutual nearest-neighbour matching and the matching scores (see matching.h).
#include "train/metrics/matching.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "kernels/gemm/gemm_cpu.h"

namespace oc {
namespace {

void check_descriptors(const ImageFeatures& f, const char* side) {
  OC_CHECK(f.dim >= 0 && f.descriptors.size() == f.points.size() * static_cast<size_t>(f.dim), "matching: image ",
           side, " has ", f.descriptors.size(), " descriptor values for ", f.points.size(),
           " keypoints of dimension ", f.dim);
}

std::vector<float> squared_norms(const ImageFeatures& f) {
  std::vector<float> out(f.points.size());
  for (size_t i = 0; i < out.size(); ++i) {
    double s = 0;
    for (int64_t k = 0; k < f.dim; ++k) s += double(f.descriptors[i * f.dim + k]) * f.descriptors[i * f.dim + k];
    out[i] = static_cast<float>(s);
  }
  return out;
}

void check_match(const ImageFeatures& a, const ImageFeatures& b, const Match& m, size_t k) {
  OC_CHECK(m.i >= 0 && m.i < int64_t(a.points.size()) && m.j >= 0 && m.j < int64_t(b.points.size()), "matching: match ",
           k, " pairs keypoint ", m.i, " of a (which has ", a.points.size(), ") with keypoint ", m.j,
           " of b (which has ", b.points.size(), ")");
}

bool inside(double x, double y, int64_t width, int64_t height) {
  return x >= -0.5 && x <= double(width) - 0.5 && y >= -0.5 && y <= double(height) - 0.5;
}

}  // namespace

std::vector<Match> mutual_nearest_neighbours(const ImageFeatures& a, const ImageFeatures& b) {
  check_descriptors(a, "a");
  check_descriptors(b, "b");
  const int64_t na = int64_t(a.points.size()), nb = int64_t(b.points.size()), d = a.dim;
  if (na == 0 || nb == 0) return {};
  OC_CHECK(a.dim == b.dim, "matching: descriptors of dimension ", a.dim, " (image a) and ", b.dim,
           " (image b) cannot be compared");
  const std::vector<float> norm_a = squared_norms(a), norm_b = squared_norms(b);
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<int64_t> row_best(na, -1), col_best(nb, -1);
  std::vector<float> row_dist(na, inf), col_dist(nb, inf);
  // Rows of a in blocks, so that the block's dot products with all of b stay small (kRows x nb floats).
  constexpr int64_t kRows = 256;
  std::vector<float> dots(size_t(std::min(kRows, na) * nb));
  for (int64_t i0 = 0; i0 < na; i0 += kRows) {
    const int64_t m = std::min(kRows, na - i0);
    gemm_cpu(false, true, m, nb, d, 1.0f, a.descriptors.data() + i0 * d, d, b.descriptors.data(), d, 0.0f,
             dots.data(), nb);
    for (int64_t r = 0; r < m; ++r) {
      const int64_t i = i0 + r;
      const float* row = dots.data() + r * nb;
      float best = inf;
      int64_t best_j = -1;
      for (int64_t j = 0; j < nb; ++j) {
        const float dist = std::max(0.0f, norm_a[i] + norm_b[j] - 2 * row[j]);
        if (dist < best) best = dist, best_j = j;           // strict: ties keep the lowest j
        if (dist < col_dist[j]) col_dist[j] = dist, col_best[j] = i;  // rows ascend: ties keep the lowest i
      }
      row_best[i] = best_j, row_dist[i] = best;
    }
  }
  std::vector<Match> out;
  for (int64_t i = 0; i < na; ++i) {
    const int64_t j = row_best[i];
    if (j < 0 || col_best[j] != i) continue;
    double s = 0;
    for (int64_t k = 0; k < d; ++k) {
      const double diff = double(a.descriptors[i * d + k]) - b.descriptors[j * d + k];
      s += diff * diff;
    }
    out.push_back({i, j, static_cast<float>(s)});
  }
  return out;
}

std::vector<double> reprojection_errors(const ImageFeatures& a, const ImageFeatures& b,
                                        const std::vector<Match>& matches, const Homography& a_to_b) {
  std::vector<double> out;
  out.reserve(matches.size());
  for (size_t k = 0; k < matches.size(); ++k) {
    check_match(a, b, matches[k], k);
    const FeaturePoint& p = a.points[matches[k].i];
    const FeaturePoint& q = b.points[matches[k].j];
    double x, y;
    homography_apply(a_to_b, p.x, p.y, &x, &y);
    const double e = std::hypot(x - q.x, y - q.y);
    out.push_back(std::isnan(e) ? std::numeric_limits<double>::infinity() : e);  // mapped to the horizon
  }
  return out;
}

RansacResult ransac_on_matches(const ImageFeatures& a, const ImageFeatures& b, const std::vector<Match>& matches,
                               double threshold_px, uint64_t seed) {
  std::vector<Point2> src, dst;
  for (size_t k = 0; k < matches.size(); ++k) {
    check_match(a, b, matches[k], k);
    src.push_back({a.points[matches[k].i].x, a.points[matches[k].i].y});
    dst.push_back({b.points[matches[k].j].x, b.points[matches[k].j].y});
  }
  return ransac_homography(src, dst, threshold_px, 2000, 0.999, seed);
}

MatchScores score_matches(const ImageFeatures& a, const ImageFeatures& b, const std::vector<Match>& matches,
                          const Homography& a_to_b, const std::vector<double>& thresholds, double ransac_threshold_px,
                          uint64_t ransac_seed) {
  for (double t : thresholds)
    OC_CHECK(t > 0 && std::isfinite(t), "score_matches: thresholds must be > 0 and finite, got ", t);
  OC_CHECK(a.width > 0 && a.height > 0 && b.width > 0 && b.height > 0, "score_matches: image sizes must be > 0, got ",
           a.width, " x ", a.height, " and ", b.width, " x ", b.height);
  MatchScores s;
  s.thresholds = thresholds;
  s.matches = int64_t(matches.size());
  const std::vector<double> errors = reprojection_errors(a, b, matches, a_to_b);
  for (double t : thresholds) {
    const auto within = std::count_if(errors.begin(), errors.end(), [&](double e) { return e <= t; });
    s.mma.push_back(errors.empty() ? 0.0 : double(within) / double(errors.size()));
  }
  s.correct = std::count_if(errors.begin(), errors.end(), [](double e) { return e <= kCorrectPx; });

  // Repeatability, in b's pixels: the visible keypoints of a (mapped) and of b, and for each the
  // nearest visible keypoint of the other image.
  const Homography b_to_a = homography_inverse(a_to_b);
  std::vector<Point2> seen_a, seen_b;
  for (const FeaturePoint& p : a.points) {
    double x, y;
    homography_apply(a_to_b, p.x, p.y, &x, &y);
    if (inside(x, y, b.width, b.height)) seen_a.push_back({x, y});
  }
  for (const FeaturePoint& q : b.points) {
    double x, y;
    homography_apply(b_to_a, q.x, q.y, &x, &y);
    if (inside(x, y, a.width, a.height)) seen_b.push_back({q.x, q.y});
  }
  s.visible_a = int64_t(seen_a.size()), s.visible_b = int64_t(seen_b.size());
  std::vector<uint8_t> hit_b(seen_b.size(), 0);
  const double r2 = kCorrectPx * kCorrectPx;
  for (const Point2& p : seen_a) {
    bool hit = false;
    for (size_t k = 0; k < seen_b.size(); ++k) {
      const double dx = p[0] - seen_b[k][0], dy = p[1] - seen_b[k][1];
      if (dx * dx + dy * dy <= r2) hit = true, hit_b[k] = 1;
    }
    s.repeated_a += hit;
  }
  s.repeated_b = std::count(hit_b.begin(), hit_b.end(), uint8_t(1));
  const int64_t visible = s.visible_a + s.visible_b;
  s.repeatability = visible ? double(s.repeated_a + s.repeated_b) / double(visible) : 0.0;

  s.ransac = ransac_on_matches(a, b, matches, ransac_threshold_px, ransac_seed);
  s.corner_error = s.ransac.ok ? corner_error(s.ransac.h, a_to_b, a.width, a.height)
                               : std::numeric_limits<double>::infinity();
  return s;
}

}  // namespace oc
