// Skeleton drawing with filled discs: a limb is a row of discs along its segment (see pose_pictures.h).
#include "tools/pose_pictures.h"

#include <algorithm>
#include <cmath>

#include "tools/draw.h"

namespace oc::cli {

void draw_people(Tensor& image, const std::vector<Person>& people, const Skeleton& skeleton) {
  check_rgb_picture(image, "draw_people");
  const double scale = std::max<double>(1.0, std::max(image.size(1), image.size(2)) / 128.0);
  const std::vector<Rgb>& colours = distinct_colours();
  for (size_t pi = 0; pi < people.size(); ++pi) {
    const std::vector<Keypoint>& kp = people[pi].keypoints;
    for (size_t l = 0; l < skeleton.limbs.size(); ++l) {
      const auto [a, b] = skeleton.limbs[l];
      if (a >= static_cast<int>(kp.size()) || b >= static_cast<int>(kp.size()) || kp[a].v == 0 || kp[b].v == 0) continue;
      const double len = std::hypot(kp[b].x - kp[a].x, kp[b].y - kp[a].y);
      const int steps = std::max(1, static_cast<int>(len / (0.5 * scale)));
      for (int t = 0; t <= steps; ++t) {
        const double f = static_cast<double>(t) / steps;
        fill_disc(image, kp[a].x + f * (kp[b].x - kp[a].x), kp[a].y + f * (kp[b].y - kp[a].y), 1.2 * scale,
                  colours[l % colours.size()]);
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
