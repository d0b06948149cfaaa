// Drawing keypoints and matches on two images side by side (see match_pictures.h).
#include "tools/match_pictures.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "kernels/ops.h"
#include "tools/draw.h"

namespace oc::cli {
namespace {

const Rgb kKeypointColour = {255, 225, 25}, kCorrectColour = {60, 200, 75}, kWrongColour = {230, 25, 45},
          kUnjudgedColour = {0, 130, 255};

void put(Tensor& image, int64_t x, int64_t y, const Rgb& c) {
  const int64_t H = image.size(1), W = image.size(2);
  if (x < 0 || y < 0 || x >= W || y >= H) return;
  uint8_t* px = image.data<uint8_t>();
  for (int ch = 0; ch < 3; ++ch) px[(ch * H + y) * W + x] = c[ch];
}

// The pixels whose centres lie within half a pixel of the circle of radius r about (cx, cy).
void draw_ring(Tensor& image, double cx, double cy, double r, const Rgb& c) {
  const int64_t H = image.size(1), W = image.size(2);
  if (cx < -r - 1 || cy < -r - 1 || cx > W + r || cy > H + r) return;
  for (int64_t y = pixel_floor(cy - r - 1); y <= pixel_ceil(cy + r + 1); ++y)
    for (int64_t x = pixel_floor(cx - r - 1); x <= pixel_ceil(cx + r + 1); ++x) {
      const double d = std::hypot(x - cx, y - cy);
      if (d >= r - 0.5 && d < r + 0.5) put(image, x, y, c);
    }
}

// The segment clipped to the picture ([-0.5, W - 0.5] x [-0.5, H - 0.5]), then the nearest pixel
// every half pixel along it.
void draw_line(Tensor& image, double x0, double y0, double x1, double y1, const Rgb& c) {
  const double W = double(image.size(2)), H = double(image.size(1));
  if (!clip_segment(x0, y0, x1, y1, -0.5, -0.5, W - 0.5, H - 0.5)) return;
  const int64_t steps = static_cast<int64_t>(std::ceil(2 * std::hypot(x1 - x0, y1 - y0)));
  for (int64_t s = 0; s <= steps; ++s) {
    const double t = steps ? double(s) / double(steps) : 0;
    put(image, std::lround(x0 + t * (x1 - x0)), std::lround(y0 + t * (y1 - y0)), c);
  }
}

// Copies a gray [1,h,w] image into every channel of the picture at column offset x0.
void paste_gray(Tensor& picture, const Tensor& gray, int64_t x0) {
  const Tensor g = contiguous(gray);
  const int64_t H = picture.size(1), W = picture.size(2), h = g.size(1), w = g.size(2);
  const uint8_t* src = g.data<uint8_t>();
  uint8_t* dst = picture.data<uint8_t>();
  for (int ch = 0; ch < 3; ++ch)
    for (int64_t y = 0; y < h; ++y) std::copy(src + y * w, src + (y + 1) * w, dst + (ch * H + y) * W + x0);
}

void check_gray(const Tensor& gray, const ImageFeatures& f, const char* side) {
  OC_CHECK(gray.defined() && gray.dtype() == DType::u8 && gray.dim() == 3 && gray.size(0) == 1 &&
               gray.device().is_cpu(),
           "draw_matches: image ", side, " must be a uint8 [1,H,W] image on the CPU, got ",
           gray.defined() ? gray.str() : "none");
  OC_CHECK(gray.size(2) == f.width && gray.size(1) == f.height, "draw_matches: image ", side, " is ", gray.size(2),
           " x ", gray.size(1), " but its features are of a ", f.width, " x ", f.height, " image");
}

}  // namespace

Tensor draw_matches(const Tensor& gray_a, const Tensor& gray_b, const ImageFeatures& a, const ImageFeatures& b,
                    const std::vector<Match>& matches, const std::vector<uint8_t>& correct) {
  check_gray(gray_a, a, "a");
  check_gray(gray_b, b, "b");
  OC_CHECK(correct.empty() || correct.size() == matches.size(), "draw_matches: ", correct.size(), " verdicts for ",
           matches.size(), " matches");
  const int64_t offset = a.width;
  Tensor picture = zeros({3, std::max(a.height, b.height), a.width + b.width}, DType::u8);
  paste_gray(picture, gray_a, 0);
  paste_gray(picture, gray_b, offset);
  for (const FeaturePoint& p : a.points) draw_ring(picture, p.x, p.y, kKeypointRadius, kKeypointColour);
  for (const FeaturePoint& p : b.points) draw_ring(picture, p.x + offset, p.y, kKeypointRadius, kKeypointColour);
  for (size_t k = 0; k < matches.size(); ++k) {
    const FeaturePoint& p = a.points.at(matches[k].i);
    const FeaturePoint& q = b.points.at(matches[k].j);
    const Rgb& c = correct.empty() ? kUnjudgedColour : correct[k] ? kCorrectColour : kWrongColour;
    draw_line(picture, p.x, p.y, q.x + offset, q.y, c);
  }
  return picture;
}

}  // namespace oc::cli
