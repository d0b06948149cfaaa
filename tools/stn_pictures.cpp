// Pictures of spatial transformer outputs (see stn_pictures.h).
#include "tools/stn_pictures.h"

#include <numeric>

namespace oc::cli {

SpatialTransformer* first_spatial_transformer(Network& net) {
  for (const auto& l : net.layers())
    if (auto* st = dynamic_cast<SpatialTransformer*>(l.module.get())) return st;
  return nullptr;
}

Tensor denormalize_to_uint8(const Tensor& x, double mean, double std) {
  NoGradGuard no_grad;
  // +0.5 then truncation in the cast: rounding to the nearest level.
  Tensor v = add(mul(to(to(x, Device::cpu()), DType::f32), std * 255.0), mean * 255.0 + 0.5);
  return to(clamp(v, 0.0, 255.0), DType::u8);
}

namespace {

// A cell side both image sizes scale to evenly (42 and 28 -> 168), at least 96 pixels.
int64_t cell_side(int64_t a, int64_t b) {
  int64_t s = std::lcm(a, b);
  if (s > 256) return 160;  // sizes with no small common multiple: uneven nearest scaling
  while (s < 96) s *= 2;
  return s;
}

// Nearest-neighbour copy of a uint8 h x w image into a side x side cell of the canvas.
void paste(std::vector<uint8_t>& canvas, int64_t canvas_w, int64_t top, int64_t left, const uint8_t* img, int64_t h,
           int64_t w, int64_t side) {
  for (int64_t y = 0; y < side; ++y)
    for (int64_t x = 0; x < side; ++x)
      canvas[(top + y) * canvas_w + left + x] = img[(y * h / side) * w + x * w / side];
}

}  // namespace

Tensor pairs_picture(const Tensor& inputs, const Tensor& rectified, int64_t pairs_per_row) {
  OC_CHECK(inputs.dim() == 4 && rectified.dim() == 4 && inputs.size(0) == rectified.size(0) && inputs.size(1) == 1 &&
               rectified.size(1) == 1 && inputs.dtype() == DType::u8 && rectified.dtype() == DType::u8,
           "pairs_picture: expects uint8 [N,1,H,W] inputs and rectified images, got ", inputs.str(), " and ",
           rectified.str());
  const int64_t n = inputs.size(0), h = inputs.size(2), w = inputs.size(3);
  const int64_t rh = rectified.size(2), rw = rectified.size(3);
  const int64_t side = cell_side(std::max(h, w), std::max(rh, rw));
  const int64_t gap = 4, pair_gap = 16, margin = 8;
  const int64_t cols = std::max<int64_t>(1, std::min(pairs_per_row, n));
  const int64_t rows = (n + cols - 1) / cols;
  const int64_t pair_w = 2 * side + gap;
  const int64_t canvas_w = 2 * margin + cols * pair_w + (cols - 1) * pair_gap;
  const int64_t canvas_h = 2 * margin + rows * side + (rows - 1) * gap;
  std::vector<uint8_t> canvas(static_cast<size_t>(canvas_w * canvas_h), 96);
  std::vector<uint8_t> in = to_vector<uint8_t>(contiguous(inputs)), out = to_vector<uint8_t>(contiguous(rectified));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t top = margin + (i / cols) * (side + gap), left = margin + (i % cols) * (pair_w + pair_gap);
    paste(canvas, canvas_w, top, left, in.data() + i * h * w, h, w, side);
    paste(canvas, canvas_w, top, left + side + gap, out.data() + i * rh * rw, rh, rw, side);
  }
  return from_vector(canvas, {1, canvas_h, canvas_w});
}

}  // namespace oc::cli
