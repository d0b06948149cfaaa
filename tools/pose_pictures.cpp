// Skeleton drawing with filled discs: a limb is a row of discs along its segment (see pose_pictures.h).
#include "tools/pose_pictures.h"

#include <algorithm>
#include <cmath>

#include "tools/draw.h"

namespace oc::cli {

void draw_people(Tensor& image, const std::vector<Person>& people, const Skeleton& skeleton) {
  check_rgb_picture(image, "draw_people");
  const double H = double(image.size(1)), W = double(image.size(2));
  const double scale = std::max(1.0, std::max(H, W) / 128.0);
  const std::vector<Rgb>& colours = distinct_colours();
  for (size_t pi = 0; pi < people.size(); ++pi) {
    const std::vector<Keypoint>& kp = people[pi].keypoints;
    for (size_t l = 0; l < skeleton.limbs.size(); ++l) {
      const auto [a, b] = skeleton.limbs[l];
      if (a >= static_cast<int>(kp.size()) || b >= static_cast<int>(kp.size()) || kp[a].v == 0 || kp[b].v == 0) continue;
      // Discs are laid only along the part of the limb that can touch the image: a joint far
      // outside or at infinity (a diverged model's output) costs nothing, a NaN one draws no limb.
      const double r = 1.2 * scale;
      double ax = kp[a].x, ay = kp[a].y, bx = kp[b].x, by = kp[b].y;
      if (!clip_segment(ax, ay, bx, by, -r, -r, W + r, H + r)) continue;
      const int steps = std::max(1, static_cast<int>(std::hypot(bx - ax, by - ay) / (0.5 * scale)));
      for (int t = 0; t <= steps; ++t) {
        const double f = static_cast<double>(t) / steps;
        fill_disc(image, ax + f * (bx - ax), ay + f * (by - ay), r, colours[l % colours.size()]);
      }
    }
    for (const Keypoint& k : kp)
      if (k.v > 0) {
        fill_disc(image, k.x, k.y, 2.5 * scale, {255, 255, 255});
        fill_disc(image, k.x, k.y, 1.6 * scale, colours[(pi * 5) % colours.size()]);
      }
  }
}

}  // namespace oc::cli
