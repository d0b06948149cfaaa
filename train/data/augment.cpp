// Augmentations on uint8 [C,H,W] images: the parameter draw (Philox), the pixel loops, and the
// tensor front ends that check shapes once.
#include "train/data/augment.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/copy/copy.h"
#include "kernels/random/philox.h"

namespace oc {
namespace {

constexpr double kPi = 3.14159265358979323846;

// [0, 1) from one 32-bit word.
double unit(uint32_t w) { return static_cast<double>(w) * (1.0 / 4294967296.0); }

uint8_t round_u8(double v) {
  v = std::floor(v + 0.5);
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// Pixel centres sit at integer coordinates; the centre of the image is ((W-1)/2, (H-1)/2). The
// forward map is p_out = c + t + s R(theta) (p_in - c); each output pixel samples the input at
// p_in = c + R(-theta) (p_out - c - t) / s, bilinearly, counting samples outside as 0.
void affine_kernel(const uint8_t* src, uint8_t* dst, int64_t C, int64_t H, int64_t W, double degrees, double tx,
                   double ty, double scale) {
  const double th = degrees * kPi / 180.0, cs = std::cos(th) / scale, sn = std::sin(th) / scale;
  const double cx = (W - 1) * 0.5, cy = (H - 1) * 0.5;
  for (int64_t y = 0; y < H; ++y) {
    for (int64_t x = 0; x < W; ++x) {
      const double u = x - cx - tx, v = y - cy - ty;
      // Inverse rotation in display coordinates (y down): (u, v) -> (u cos - v sin, u sin + v cos).
      const double xi = cx + u * cs - v * sn, yi = cy + u * sn + v * cs;
      const double fx0 = std::floor(xi), fy0 = std::floor(yi);
      const double ax = xi - fx0, ay = yi - fy0;
      const int64_t x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
      const double wts[4] = {(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay};
      const int64_t xs[4] = {x0, x0 + 1, x0, x0 + 1}, ys[4] = {y0, y0, y0 + 1, y0 + 1};
      for (int64_t c = 0; c < C; ++c) {
        const uint8_t* plane = src + c * H * W;
        double acc = 0;
        for (int k = 0; k < 4; ++k)
          if (xs[k] >= 0 && xs[k] < W && ys[k] >= 0 && ys[k] < H) acc += wts[k] * plane[ys[k] * W + xs[k]];
        dst[c * H * W + y * W + x] = round_u8(acc);
      }
    }
  }
}

// dst[c, y, x] = padded[c, y + dy, x + dx] with `pad` zeros around src.
void crop_kernel(const uint8_t* src, uint8_t* dst, int64_t C, int64_t H, int64_t W, int64_t pad, int64_t dy,
                 int64_t dx) {
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y) {
      const int64_t ys = y + dy - pad;
      uint8_t* row = dst + (c * H + y) * W;
      if (ys < 0 || ys >= H) {
        std::memset(row, 0, static_cast<size_t>(W));
        continue;
      }
      for (int64_t x = 0; x < W; ++x) {
        const int64_t xs = x + dx - pad;
        row[x] = (xs >= 0 && xs < W) ? src[(c * H + ys) * W + xs] : 0;
      }
    }
}

void flip_kernel(const uint8_t* src, uint8_t* dst, int64_t C, int64_t H, int64_t W) {
  for (int64_t r = 0; r < C * H; ++r)
    for (int64_t x = 0; x < W; ++x) dst[r * W + x] = src[r * W + (W - 1 - x)];
}

Tensor checked_image(const char* op, const Tensor& image) {
  OC_CHECK(image.defined() && image.dtype() == DType::u8 && image.dim() == 3 && image.device().is_cpu(), op,
           ": expected a uint8 [C,H,W] image on the CPU, got ", image.defined() ? image.str() : "an undefined tensor");
  return contiguous(image.detach());
}

}  // namespace

bool AugmentOptions::any() const {
  return random_crop_padding > 0 || horizontal_flip || affine_degrees != 0 || affine_translate != 0 ||
         affine_scale_min != 1 || affine_scale_max != 1;
}

void AugmentOptions::check() const {
  OC_CHECK(random_crop_padding >= 0, "augment: random_crop_padding must be >= 0, got ", random_crop_padding);
  OC_CHECK(std::isfinite(affine_degrees) && affine_degrees >= 0 && affine_degrees <= 180,
           "augment: affine_degrees must be in [0, 180], got ", affine_degrees);
  OC_CHECK(std::isfinite(affine_translate) && affine_translate >= 0 && affine_translate <= 1,
           "augment: affine_translate must be in [0, 1] (a fraction of the image size), got ", affine_translate);
  OC_CHECK(std::isfinite(affine_scale_min) && std::isfinite(affine_scale_max) && affine_scale_min > 0 &&
               affine_scale_min <= affine_scale_max,
           "augment: need 0 < affine_scale_min <= affine_scale_max, got ", affine_scale_min, " and ",
           affine_scale_max);
}

AugmentDraw draw_augment(const AugmentOptions& opt, int64_t H, int64_t W, Generator& gen) {
  const PhiloxBlock a = philox4x32_10(gen.offset, gen.seed), b = philox4x32_10(gen.offset + 1, gen.seed);
  gen.offset += kAugmentBlocks;
  AugmentDraw d;
  d.affine = opt.affine_degrees != 0 || opt.affine_translate != 0 || opt.affine_scale_min != 1 ||
             opt.affine_scale_max != 1;
  if (d.affine) {
    d.degrees = opt.affine_degrees * (2 * unit(a.w[0]) - 1);
    d.translate_x = opt.affine_translate * W * (2 * unit(a.w[1]) - 1);
    d.translate_y = opt.affine_translate * H * (2 * unit(a.w[2]) - 1);
    d.scale = opt.affine_scale_min + (opt.affine_scale_max - opt.affine_scale_min) * unit(a.w[3]);
  }
  if (opt.random_crop_padding > 0) {
    const uint64_t span = static_cast<uint64_t>(2 * opt.random_crop_padding + 1);
    d.crop_dy = static_cast<int64_t>((static_cast<uint64_t>(b.w[0]) * span) >> 32);
    d.crop_dx = static_cast<int64_t>((static_cast<uint64_t>(b.w[1]) * span) >> 32);
  }
  d.flip = opt.horizontal_flip && (b.w[2] >> 31) != 0;
  return d;
}

AugmentDraw draw_augment_for_sample(const AugmentOptions& opt, int64_t H, int64_t W, uint64_t seed, int64_t index) {
  Generator gen(seed);
  gen.offset = static_cast<uint64_t>(index) * kAugmentBlocks;
  return draw_augment(opt, H, W, gen);
}

void apply_augment(const uint8_t* src, uint8_t* dst, uint8_t* scratch, int64_t C, int64_t H, int64_t W,
                   const AugmentDraw& draw, int64_t crop_padding) {
  // Stages alternate between dst and scratch, chosen so that the last one writes dst and no stage
  // reads the buffer it writes.
  const size_t n = static_cast<size_t>(C * H * W);
  const bool crop = crop_padding > 0;
  const int stages = int(draw.affine) + int(crop) + int(draw.flip);
  if (stages == 0) {
    std::memcpy(dst, src, n);
    return;
  }
  const uint8_t* cur = src;
  int done = 0;
  auto target = [&]() -> uint8_t* {
    ++done;
    return (stages - done) % 2 == 0 ? dst : scratch;
  };
  if (draw.affine) {
    uint8_t* out = target();
    affine_kernel(cur, out, C, H, W, draw.degrees, draw.translate_x, draw.translate_y, draw.scale);
    cur = out;
  }
  if (crop) {
    uint8_t* out = target();
    crop_kernel(cur, out, C, H, W, crop_padding, draw.crop_dy, draw.crop_dx);
    cur = out;
  }
  if (draw.flip) {
    uint8_t* out = target();
    flip_kernel(cur, out, C, H, W);
  }
}

bool augment_point(const AugmentDraw& draw, int64_t H, int64_t W, int64_t crop_padding, double& x, double& y) {
  auto on_image = [&] { return x >= -0.5 && x < W - 0.5 && y >= -0.5 && y < H - 0.5; };
  bool kept = on_image();
  if (draw.affine) {
    // The inverse of affine_kernel's sampling map: p_out = c + t + s R(theta) (p_in - c).
    const double th = draw.degrees * kPi / 180.0, cs = std::cos(th) * draw.scale, sn = std::sin(th) * draw.scale;
    const double cx = (W - 1) * 0.5, cy = (H - 1) * 0.5, u = x - cx, v = y - cy;
    x = cx + draw.translate_x + u * cs + v * sn;
    y = cy + draw.translate_y - u * sn + v * cs;
    kept = kept && on_image();
  }
  if (crop_padding > 0) {  // out[y, x] = in[y + dy - pad, x + dx - pad]
    x -= static_cast<double>(draw.crop_dx - crop_padding);
    y -= static_cast<double>(draw.crop_dy - crop_padding);
    kept = kept && on_image();
  }
  if (draw.flip) x = static_cast<double>(W - 1) - x;  // keeps the image to itself
  return kept;
}

Tensor hflip(const Tensor& image) {
  Tensor src = checked_image("hflip", image);
  Tensor out = Tensor::empty(src.shape(), DType::u8);
  flip_kernel(src.data<uint8_t>(), out.data<uint8_t>(), src.size(0), src.size(1), src.size(2));
  return out;
}

Tensor crop_with_padding(const Tensor& image, int64_t padding, int64_t dy, int64_t dx) {
  Tensor src = checked_image("crop_with_padding", image);
  OC_CHECK(padding >= 0 && dy >= 0 && dy <= 2 * padding && dx >= 0 && dx <= 2 * padding,
           "crop_with_padding: need padding >= 0 and dy, dx in [0, 2 * padding], got padding ", padding, ", dy ", dy,
           ", dx ", dx);
  Tensor out = Tensor::empty(src.shape(), DType::u8);
  crop_kernel(src.data<uint8_t>(), out.data<uint8_t>(), src.size(0), src.size(1), src.size(2), padding, dy, dx);
  return out;
}

Tensor affine(const Tensor& image, double degrees, double tx, double ty, double scale) {
  Tensor src = checked_image("affine", image);
  OC_CHECK(std::isfinite(degrees) && std::isfinite(tx) && std::isfinite(ty) && std::isfinite(scale) && scale > 0,
           "affine: need finite degrees, tx, ty and scale > 0, got ", degrees, ", ", tx, ", ", ty, ", ", scale);
  Tensor out = Tensor::empty(src.shape(), DType::u8);
  affine_kernel(src.data<uint8_t>(), out.data<uint8_t>(), src.size(0), src.size(1), src.size(2), degrees, tx, ty,
                scale);
  return out;
}

Tensor augment(const Tensor& image, const AugmentOptions& opt, Generator& gen) {
  Tensor src = checked_image("augment", image);
  opt.check();
  const int64_t C = src.size(0), H = src.size(1), W = src.size(2);
  AugmentDraw d = draw_augment(opt, H, W, gen);
  Tensor out = Tensor::empty(src.shape(), DType::u8);
  std::vector<uint8_t> scratch(static_cast<size_t>(src.numel()));
  apply_augment(src.data<uint8_t>(), out.data<uint8_t>(), scratch.data(), C, H, W, d, opt.random_crop_padding);
  return out;
}

}  // namespace oc
