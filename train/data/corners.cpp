// Harris corners (see corners.h): Sobel gradients, a separable Gaussian window over their products,
// local-maximum suppression in a disc, top N, sub-pixel parabola refinement.
#include "train/data/corners.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace oc {
namespace {

// out = in convolved with the normalized Gaussian of `sigma` along rows, then columns (replicated borders).
void gaussian_blur(std::vector<float>& img, int64_t H, int64_t W, double sigma) {
  const int64_t r = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(3 * sigma)));
  std::vector<float> kernel(static_cast<size_t>(2 * r + 1));
  double sum = 0;
  for (int64_t i = -r; i <= r; ++i) sum += kernel[i + r] = static_cast<float>(std::exp(-0.5 * i * i / (sigma * sigma)));
  for (float& k : kernel) k = static_cast<float>(k / sum);
  std::vector<float> tmp(img.size());
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      float acc = 0;
      for (int64_t i = -r; i <= r; ++i) acc += kernel[i + r] * img[y * W + std::clamp<int64_t>(x + i, 0, W - 1)];
      tmp[y * W + x] = acc;
    }
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      float acc = 0;
      for (int64_t i = -r; i <= r; ++i) acc += kernel[i + r] * tmp[std::clamp<int64_t>(y + i, 0, H - 1) * W + x];
      img[y * W + x] = acc;
    }
}

// The vertex offset of the parabola through (-1, a), (0, b), (1, c), within [-0.5, 0.5].
double parabola_peak(double a, double b, double c) {
  const double curvature = a - 2 * b + c;
  if (curvature >= 0) return 0;  // not a maximum along this line (a plateau): stay on the pixel
  return std::clamp(0.5 * (a - c) / curvature, -0.5, 0.5);
}

}  // namespace

void HarrisOptions::check() const {
  OC_CHECK(sigma > 0 && sigma <= 20, "harris sigma: expected 0 < sigma <= 20, got ", sigma);
  OC_CHECK(k > 0 && k < 0.25, "harris k: expected 0 < k < 0.25, got ", k);
  OC_CHECK(radius >= 1 && radius <= 64, "harris radius: expected 1..64 px, got ", radius);
  OC_CHECK(max_corners >= 0, "harris max_corners: expected >= 0, got ", max_corners);
  OC_CHECK(min_response >= 0, "harris min_response: expected >= 0, got ", min_response);
}

std::vector<float> harris_response(const uint8_t* gray, int64_t H, int64_t W, const HarrisOptions& opt) {
  opt.check();
  OC_CHECK(H > 0 && W > 0, "harris_response: empty image ", H, " x ", W);
  auto at = [&](int64_t y, int64_t x) {
    return static_cast<float>(gray[std::clamp<int64_t>(y, 0, H - 1) * W + std::clamp<int64_t>(x, 0, W - 1)]) *
           (1.0f / 255.0f);
  };
  const size_t n = static_cast<size_t>(H * W);
  std::vector<float> xx(n), yy(n), xy(n);
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      const float gx = ((at(y - 1, x + 1) + 2 * at(y, x + 1) + at(y + 1, x + 1)) -
                        (at(y - 1, x - 1) + 2 * at(y, x - 1) + at(y + 1, x - 1))) * 0.125f;
      const float gy = ((at(y + 1, x - 1) + 2 * at(y + 1, x) + at(y + 1, x + 1)) -
                        (at(y - 1, x - 1) + 2 * at(y - 1, x) + at(y - 1, x + 1))) * 0.125f;
      const size_t i = static_cast<size_t>(y * W + x);
      xx[i] = gx * gx, yy[i] = gy * gy, xy[i] = gx * gy;
    }
  gaussian_blur(xx, H, W, opt.sigma);
  gaussian_blur(yy, H, W, opt.sigma);
  gaussian_blur(xy, H, W, opt.sigma);
  std::vector<float> r(n);
  const float k = static_cast<float>(opt.k);
  for (size_t i = 0; i < n; ++i) {
    const float trace = xx[i] + yy[i];
    r[i] = xx[i] * yy[i] - xy[i] * xy[i] - k * trace * trace;
  }
  return r;
}

std::vector<Corner> harris_corners(const std::vector<float>& r, int64_t H, int64_t W, const HarrisOptions& opt) {
  opt.check();
  OC_CHECK(static_cast<int64_t>(r.size()) == H * W, "harris_corners: ", r.size(), " responses for a ", H, " x ", W,
           " image");
  const int64_t rad = opt.radius;
  struct Peak {
    int64_t index;
    float response;
  };
  std::vector<Peak> peaks;
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      const int64_t i = y * W + x;
      const float v = r[static_cast<size_t>(i)];
      if (!(v > opt.min_response)) continue;
      bool best = true;
      for (int64_t dy = -rad; dy <= rad && best; ++dy)
        for (int64_t dx = -rad; dx <= rad && best; ++dx) {
          const int64_t yy = y + dy, xx = x + dx;
          if ((dx == 0 && dy == 0) || dx * dx + dy * dy > rad * rad || yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
          const float u = r[static_cast<size_t>(yy * W + xx)];
          // An equal neighbour earlier in row-major order wins the tie.
          if (u > v || (u == v && yy * W + xx < i)) best = false;
        }
      if (best) peaks.push_back({i, v});
    }
  std::stable_sort(peaks.begin(), peaks.end(), [](const Peak& a, const Peak& b) { return a.response > b.response; });
  if (opt.max_corners > 0 && static_cast<int64_t>(peaks.size()) > opt.max_corners)
    peaks.resize(static_cast<size_t>(opt.max_corners));
  std::vector<Corner> out;
  out.reserve(peaks.size());
  for (const Peak& p : peaks) {
    const int64_t y = p.index / W, x = p.index % W;
    auto at = [&](int64_t yy, int64_t xx) { return static_cast<double>(r[static_cast<size_t>(yy * W + xx)]); };
    Corner c{static_cast<double>(x), static_cast<double>(y), p.response};
    if (x > 0 && x < W - 1) c.x += parabola_peak(at(y, x - 1), at(y, x), at(y, x + 1));
    if (y > 0 && y < H - 1) c.y += parabola_peak(at(y - 1, x), at(y, x), at(y + 1, x));
    out.push_back(c);
  }
  return out;
}

std::vector<Corner> harris_corners(const uint8_t* gray, int64_t H, int64_t W, const HarrisOptions& opt) {
  return harris_corners(harris_response(gray, H, W, opt), H, W, opt);
}

}  // namespace oc
