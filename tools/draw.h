// Pixel primitives for the pictures `ocellus infer` draws (people, detections): uint8 [3,H,W]
// images, every shape clipped to the image, so nothing drawn partly or wholly outside writes out of bounds.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace oc::cli {

using Rgb = std::array<uint8_t, 3>;

// Twelve colours far apart from each other (limbs, people, detection classes).
const std::vector<Rgb>& distinct_colours();

// Errors, naming `who` and the tensor, unless image is a contiguous uint8 [3,H,W] tensor on the CPU.
void check_rgb_picture(const Tensor& image, const char* who);

// 2^40 pixels: a coordinate this far out is as good as infinitely far from any image.
inline constexpr double kFarOutside = 1099511627776.0;

// A pixel coordinate from a real one: clamped to +-2^40 first, so that a huge or infinite value
// stays far outside any image without overflowing int64. NaN is the caller's to reject.
int64_t pixel_floor(double v);
int64_t pixel_ceil(double v);

// Liang-Barsky: shrinks the segment (ax, ay)-(bx, by) to its part inside [x0, x1] x [y0, y1]; false
// if none is or an end is NaN. Ends are clamped to +-2^40 first, so an infinite end clips too.
bool clip_segment(double& ax, double& ay, double& bx, double& by, double x0, double y0, double x1, double y1);

// Sets the pixels [x0, x1) x [y0, y1) (the part inside the image) to c.
void fill_rect(Tensor& image, int64_t x0, int64_t y0, int64_t x1, int64_t y1, const Rgb& c);

// Sets the pixels whose centres lie within r of (cx, cy) to c; a NaN centre draws nothing.
void fill_disc(Tensor& image, double cx, double cy, double r, const Rgb& c);

// `over` laid on `under` at over_percent % opacity, rounded to nearest (halves up), in integers
// so that tests can state exact values.
inline uint8_t mix(uint8_t under, uint8_t over, int over_percent) {
  return static_cast<uint8_t>((under * (100 - over_percent) + over * over_percent + 50) / 100);
}

}  // namespace oc::cli
