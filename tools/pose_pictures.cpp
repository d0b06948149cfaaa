// Skeleton drawing with filled discs: a limb is a row of discs along its segment (see pose_pictures.h).
#include "tools/pose_pictures.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace oc::cli {
namespace {

using Rgb = std::array<uint8_t, 3>;

const std::vector<Rgb>& palette() {
  static const std::vector<Rgb> colours = {{230, 25, 75},  {60, 180, 75},  {255, 225, 25}, {0, 130, 200},
                                           {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230},
                                           {210, 245, 60}, {250, 190, 212}, {0, 128, 128}, {220, 190, 255}};
  return colours;
}

void disc(Tensor& image, double cx, double cy, double r, const Rgb& c) {
  const int64_t H = image.size(1), W = image.size(2);
  uint8_t* px = image.data<uint8_t>();
  const int64_t y0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(cy - r)));
  const int64_t y1 = std::min<int64_t>(H - 1, static_cast<int64_t>(std::ceil(cy + r)));
  const int64_t x0 = std::max<int64_t>(0, static_cast<int64_t>(std::floor(cx - r)));
  const int64_t x1 = std::min<int64_t>(W - 1, static_cast<int64_t>(std::ceil(cx + r)));
  for (int64_t y = y0; y <= y1; ++y)
    for (int64_t x = x0; x <= x1; ++x)
      if ((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy) <= r * r)
        for (int ch = 0; ch < 3; ++ch) px[(ch * H + y) * W + x] = c[ch];
}

}  // namespace

void draw_people(Tensor& image, const std::vector<Person>& people, const Skeleton& skeleton) {
  OC_CHECK(image.dtype() == DType::u8 && image.dim() == 3 && image.size(0) == 3 && image.is_contiguous(),
           "draw_people: expected a contiguous uint8 [3,H,W] image, got ", image.str());
  const double scale = std::max<double>(1.0, std::max(image.size(1), image.size(2)) / 128.0);
  const std::vector<Rgb>& colours = palette();
  for (size_t pi = 0; pi < people.size(); ++pi) {
    const std::vector<Keypoint>& kp = people[pi].keypoints;
    for (size_t l = 0; l < skeleton.limbs.size(); ++l) {
      const auto [a, b] = skeleton.limbs[l];
      if (a >= static_cast<int>(kp.size()) || b >= static_cast<int>(kp.size()) || kp[a].v == 0 || kp[b].v == 0) continue;
      const double len = std::hypot(kp[b].x - kp[a].x, kp[b].y - kp[a].y);
      const int steps = std::max(1, static_cast<int>(len / (0.5 * scale)));
      for (int t = 0; t <= steps; ++t) {
        const double f = static_cast<double>(t) / steps;
        disc(image, kp[a].x + f * (kp[b].x - kp[a].x), kp[a].y + f * (kp[b].y - kp[a].y), 1.2 * scale,
             colours[l % colours.size()]);
      }
    }
    for (const Keypoint& k : kp)
      if (k.v > 0) {
        disc(image, k.x, k.y, 2.5 * scale, {255, 255, 255});
        disc(image, k.x, k.y, 1.6 * scale, colours[(pi * 5) % colours.size()]);
      }
  }
}

}  // namespace oc::cli
