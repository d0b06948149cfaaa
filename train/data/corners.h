// Harris corners of a gray image: the keypoints of LIFT's training pairs
// (train/data/homography_pairs.h). Plain CPU code, run once per generated image.
#pragma once
#include <cstdint>
#include <vector>

namespace oc {

// Intensities are read as v / 255 and differentiated by Sobel / 8 (a unit step gives a gradient of
// about 1/2 per pixel on each of its two sides), so the response does not depend on the image size.
struct HarrisOptions {
  double sigma = 1.5;          // of the Gaussian window over the gradient products
  double k = 0.04;             // R = det(M) - k trace(M)^2
  int64_t radius = 4;          // a corner beats every pixel within this distance (px)
  int64_t max_corners = 1000;  // the strongest N; 0: all
  double min_response = 1e-5;  // weaker maxima are not corners (the corner of a black-and-white square:
                               // 3.1e-3; the strongest corners of the opencv-doc photos: 1e-4..1e-3)
  void check() const;          // throws oc::Error naming the bad field
};

struct Corner {
  double x = 0, y = 0;  // pixel centres at integers, y down; refined to sub-pixel (within 0.5 px)
  double response = 0;
};

// R at every pixel, row-major [height * width]; borders are replicated. gray: [height, width].
std::vector<float> harris_response(const uint8_t* gray, int64_t height, int64_t width, const HarrisOptions& opt);

// The local maxima of `response` (at least as large as every pixel within opt.radius; of equal ones
// the first in row-major order) above opt.min_response, strongest first (ties in row-major order),
// at most opt.max_corners; each moved by a parabola fitted through it and its row / column neighbours.
std::vector<Corner> harris_corners(const std::vector<float>& response, int64_t height, int64_t width,
                                   const HarrisOptions& opt);
std::vector<Corner> harris_corners(const uint8_t* gray, int64_t height, int64_t width, const HarrisOptions& opt);

}  // namespace oc
