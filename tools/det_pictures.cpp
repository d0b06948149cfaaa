// Boxes, labels and mask overlays of detections on an RGB picture (see det_pictures.h).
#include "tools/det_pictures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tools/bitmap_font.h"
#include "tools/draw.h"

namespace oc::cli {
namespace {

constexpr int kOutline = 2;  // outline thickness in pixels

// A detection's pixels [x0, x1) x [y0, y1).
struct PixelBox {
  int64_t x0, y0, x1, y1;
};

bool drawable(const DrawnDetection& d) {
  if (std::isnan(d.x1) || std::isnan(d.y1) || std::isnan(d.x2) || std::isnan(d.y2)) return false;
  return d.x2 >= d.x1 && d.y2 >= d.y1;
}

PixelBox pixel_box(const DrawnDetection& d) {
  PixelBox b{pixel_floor(d.x1), pixel_floor(d.y1), pixel_ceil(d.x2), pixel_ceil(d.y2)};
  b.x1 = std::max(b.x1, b.x0 + 1);  // a box of zero width or height still shows as one pixel
  b.y1 = std::max(b.y1, b.y0 + 1);
  return b;
}

const Rgb& class_colour(int64_t category) {
  const std::vector<Rgb>& colours = distinct_colours();
  const int64_t n = static_cast<int64_t>(colours.size());
  return colours[static_cast<size_t>((category % n + n) % n)];
}

// Black text on light colours, white on dark ones (ITU-R 601 luma).
Rgb text_colour_on(const Rgb& c) {
  const int luma = (299 * c[0] + 587 * c[1] + 114 * c[2]) / 1000;
  return luma > 140 ? Rgb{0, 0, 0} : Rgb{255, 255, 255};
}

std::string label_text(const DrawnDetection& d, const std::vector<std::string>& class_names) {
  const bool named = d.category >= 0 && d.category < static_cast<int64_t>(class_names.size());
  char score[32];
  std::snprintf(score, sizeof score, "%.2f", static_cast<double>(d.score));
  return (named ? class_names[static_cast<size_t>(d.category)] : std::to_string(d.category)) + " " + score;
}

void overlay_mask(Tensor& image, const Tensor& mask, const Rgb& c) {
  const int64_t H = image.size(1), W = image.size(2);
  OC_CHECK((mask.dtype() == DType::u8 || mask.dtype() == DType::b8) && mask.dim() == 2 && mask.size(0) == H &&
               mask.size(1) == W && mask.device().is_cpu(),
           "draw_detections: a mask must be a uint8 or bool [H,W] CPU tensor at the image's size [",
           H, ",", W, "], got ", mask.str());
  // bool and uint8 are both one byte; reading by strides also takes non-contiguous masks.
  const uint8_t* m = static_cast<const uint8_t*>(mask.raw_data());
  const int64_t sy = mask.stride(0), sx = mask.stride(1);
  uint8_t* px = image.data<uint8_t>();
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x)
      if (m[y * sy + x * sx] != 0)
        for (int ch = 0; ch < 3; ++ch) {
          uint8_t& p = px[(ch * H + y) * W + x];
          p = mix(p, c[ch], kMaskOpacityPercent);
        }
}

void draw_outline(Tensor& image, const PixelBox& b, const Rgb& c) {
  fill_rect(image, b.x0, b.y0, b.x1, std::min(b.y0 + kOutline, b.y1), c);  // top
  fill_rect(image, b.x0, std::max(b.y1 - kOutline, b.y0), b.x1, b.y1, c);  // bottom
  fill_rect(image, b.x0, b.y0, std::min(b.x0 + kOutline, b.x1), b.y1, c);  // left
  fill_rect(image, std::max(b.x1 - kOutline, b.x0), b.y0, b.x1, b.y1, c);  // right
}

void draw_label(Tensor& image, const PixelBox& b, const std::string& text, const Rgb& c) {
  const int64_t H = image.size(1), W = image.size(2);
  const int scale = static_cast<int>(1 + std::max(H, W) / 800);
  const int64_t w = scale + text_width(text, scale), h = 2 * scale + text_height(scale);
  const int64_t x = std::clamp<int64_t>(b.x0, 0, std::max<int64_t>(W - w, 0));
  const int64_t y = b.y0 - h >= 0 ? b.y0 - h : std::max<int64_t>(b.y0, 0);
  fill_rect(image, x, y, x + w, y + h, c);
  draw_text(image, x + scale, y + scale, text, text_colour_on(c), scale);
}

}  // namespace

void draw_detections(Tensor& image, const std::vector<DrawnDetection>& dets,
                     const std::vector<std::string>& class_names) {
  check_rgb_picture(image, "draw_detections");
  const int64_t H = image.size(1), W = image.size(2);
  for (const DrawnDetection& d : dets)
    if (drawable(d) && d.mask.defined()) overlay_mask(image, d.mask, class_colour(d.category));
  std::vector<const DrawnDetection*> visible;
  for (const DrawnDetection& d : dets) {
    if (!drawable(d)) continue;
    const PixelBox b = pixel_box(d);
    if (b.x1 <= 0 || b.y1 <= 0 || b.x0 >= W || b.y0 >= H) continue;
    draw_outline(image, b, class_colour(d.category));
    visible.push_back(&d);
  }
  for (const DrawnDetection* d : visible)
    draw_label(image, pixel_box(*d), label_text(*d, class_names), class_colour(d->category));
}

}  // namespace oc::cli
