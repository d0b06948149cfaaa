// Clipped rectangles and discs on uint8 [3,H,W] pictures (see draw.h).
#include "tools/draw.h"

#include <algorithm>
#include <cmath>

namespace oc::cli {
const std::vector<Rgb>& distinct_colours() {
  static const std::vector<Rgb> colours = {{230, 25, 75},  {60, 180, 75},  {255, 225, 25}, {0, 130, 200},
                                           {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230},
                                           {210, 245, 60}, {250, 190, 212}, {0, 128, 128}, {220, 190, 255}};
  return colours;
}

void check_rgb_picture(const Tensor& image, const char* who) {
  OC_CHECK(image.defined() && image.dtype() == DType::u8 && image.dim() == 3 && image.size(0) == 3 &&
               image.is_contiguous() && image.device().is_cpu(),
           who, ": expected a contiguous uint8 [3,H,W] image, got ", image.defined() ? image.str() : "none");
}

int64_t pixel_floor(double v) { return static_cast<int64_t>(std::floor(std::clamp(v, -kFarOutside, kFarOutside))); }
int64_t pixel_ceil(double v) { return static_cast<int64_t>(std::ceil(std::clamp(v, -kFarOutside, kFarOutside))); }

bool clip_segment(double& ax, double& ay, double& bx, double& by, double x0, double y0, double x1, double y1) {
  if (std::isnan(ax) || std::isnan(ay) || std::isnan(bx) || std::isnan(by)) return false;
  ax = std::clamp(ax, -kFarOutside, kFarOutside), ay = std::clamp(ay, -kFarOutside, kFarOutside);
  bx = std::clamp(bx, -kFarOutside, kFarOutside), by = std::clamp(by, -kFarOutside, kFarOutside);
  const double dx = bx - ax, dy = by - ay;
  double t0 = 0, t1 = 1;
  const double p[4] = {-dx, dx, -dy, dy}, q[4] = {ax - x0, x1 - ax, ay - y0, y1 - ay};
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0) {
      if (q[i] < 0) return false;  // parallel to this edge and outside it
      continue;
    }
    const double t = q[i] / p[i];
    if (p[i] < 0) t0 = std::max(t0, t);
    else t1 = std::min(t1, t);
  }
  if (t0 > t1) return false;
  const double nax = ax + t0 * dx, nay = ay + t0 * dy;
  bx = ax + t1 * dx, by = ay + t1 * dy;
  ax = nax, ay = nay;
  return true;
}

void fill_rect(Tensor& image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, const Rgb& c) {
  const int64_t H = image.size(1), W = image.size(2);
  x0 = std::max<int64_t>(x0, 0);
  y0 = std::max<int64_t>(y0, 0);
  x1 = std::min(x1, W);
  y1 = std::min(y1, H);
  uint8_t* px = image.data<uint8_t>();
  for (int ch = 0; ch < 3; ++ch)
    for (int64_t y = y0; y < y1; ++y)
      for (int64_t x = x0; x < x1; ++x) px[(ch * H + y) * W + x] = c[ch];
}

void fill_disc(Tensor& image, double cx, double cy, double r, const Rgb& c) {
  if (std::isnan(cx) || std::isnan(cy) || std::isnan(r)) return;
  const int64_t H = image.size(1), W = image.size(2);
  uint8_t* px = image.data<uint8_t>();
  const int64_t y0 = std::max<int64_t>(0, pixel_floor(cy - r));
  const int64_t y1 = std::min<int64_t>(H - 1, pixel_ceil(cy + r));
  const int64_t x0 = std::max<int64_t>(0, pixel_floor(cx - r));
  const int64_t x1 = std::min<int64_t>(W - 1, pixel_ceil(cx + r));
  for (int64_t y = y0; y <= y1; ++y)
    for (int64_t x = x0; x <= x1; ++x)
      if ((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy) <= r * r)
        for (int ch = 0; ch < 3; ++ch) px[(ch * H + y) * W + x] = c[ch];
}

}  // namespace oc::cli
