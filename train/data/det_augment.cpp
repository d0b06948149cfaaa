// Flip, scale and crop of a detection sample (see det_augment.h): one affine map, applied to the
// pixels (bilinear), the boxes (corners) and the masks (nearest neighbour).
#include "train/data/det_augment.h"

#include <algorithm>
#include <cmath>

#include "kernels/copy/copy.h"
#include "kernels/random/philox.h"
#include "train/data/homography.h"

namespace oc {

void DetAugmentOptions::check() const {
  OC_CHECK(width >= 1 && width <= 8192 && height >= 1 && height <= 8192,
           "detection augment: width and height must be in 1..8192, got ", width, " x ", height);
  OC_CHECK(scale_min > 0 && scale_min <= scale_max && std::isfinite(scale_max),
           "detection augment: need 0 < scale_min <= scale_max, got ", scale_min, " and ", scale_max);
  OC_CHECK(min_kept >= 0 && min_kept <= 1, "detection augment: min_kept must be in [0, 1], got ", min_kept);
}

DetAugmentDraw draw_det_augment(const DetAugmentOptions& opt, uint64_t seed, uint64_t index, int64_t height,
                                int64_t width) {
  opt.check();
  const PhiloxBlock b = philox4x32_10(index, seed);
  auto unit = [](uint32_t w) { return static_cast<double>(w) * (1.0 / 4294967296.0); };  // [0, 1)
  // An integer uniform over [min(0, room), max(0, room)].
  auto offset = [](uint32_t w, int64_t room) {
    const int64_t lo = std::min<int64_t>(0, room), n = std::abs(room) + 1;
    return lo + static_cast<int64_t>((static_cast<uint64_t>(w) * static_cast<uint64_t>(n)) >> 32);
  };
  DetAugmentDraw d;
  d.flip = opt.horizontal_flip && unit(b.w[0]) < 0.5;
  d.scale = opt.scale_min + (opt.scale_max - opt.scale_min) * unit(b.w[1]);
  d.crop_x = offset(b.w[2], static_cast<int64_t>(std::floor(width * d.scale)) - opt.width);
  d.crop_y = offset(b.w[3], static_cast<int64_t>(std::floor(height * d.scale)) - opt.height);
  return d;
}

DetSample augment_detection(const Tensor& image, const std::vector<CocoDetAnnotation>& objects,
                            const DetAugmentOptions& opt, const DetAugmentDraw& draw) {
  opt.check();
  OC_CHECK(image.defined() && image.dtype() == DType::u8 && image.dim() == 3,
           "augment_detection: expected a uint8 [C,H,W] image, got ", image.defined() ? image.str() : "undefined");
  OC_CHECK(draw.scale > 0 && std::isfinite(draw.scale), "augment_detection: scale must be positive, got ", draw.scale);
  const int64_t C = image.size(0), H = image.size(1), W = image.size(2), Ho = opt.height, Wo = opt.width;
  const double s = draw.scale, cx = static_cast<double>(draw.crop_x), cy = static_cast<double>(draw.crop_y);
  // Crop coordinate u comes from image x = (u + cx) / s, mirrored to W - x (pixel centres: u + 0.5).
  auto source_x = [&](double u) { const double x = (u + cx) / s; return draw.flip ? W - x : x; };
  auto source_y = [&](double v) { return (v + cy) / s; };

  DetSample out;
  {
    // The warp's pixel centres sit at integers: source = COCO coordinate - 0.5.
    const double a = draw.flip ? -1 / s : 1 / s;
    const Homography to_source{{a, 0, source_x(0.5) - 0.5, 0, 1 / s, source_y(0.5) - 0.5, 0, 0, 1}};
    const Tensor src = contiguous(to(image.detach(), Device::cpu()));
    out.image = Tensor::empty({C, Ho, Wo}, DType::u8);
    warp_homography(src.data<uint8_t>(), C, H, W, out.image.data<uint8_t>(), Ho, Wo, to_source);
  }

  // The image pixel holding each crop column's / row's centre, or -1 outside the image.
  std::vector<int64_t> from_col(static_cast<size_t>(Wo)), from_row(static_cast<size_t>(Ho));
  for (int64_t u = 0; u < Wo; ++u) {
    const double x = std::floor(source_x(u + 0.5));
    from_col[u] = x >= 0 && x < W ? static_cast<int64_t>(x) : -1;
  }
  for (int64_t v = 0; v < Ho; ++v) {
    const double y = std::floor(source_y(v + 0.5));
    from_row[v] = y >= 0 && y < H ? static_cast<int64_t>(y) : -1;
  }

  for (const CocoDetAnnotation& in : objects) {
    const double x0 = in.bbox[0], x1 = in.bbox[0] + in.bbox[2];
    double nx0 = s * (draw.flip ? W - x1 : x0) - cx, nx1 = s * (draw.flip ? W - x0 : x1) - cx;
    double ny0 = s * in.bbox[1] - cy, ny1 = s * (in.bbox[1] + in.bbox[3]) - cy;
    const double mapped = (nx1 - nx0) * (ny1 - ny0);
    nx0 = std::clamp<double>(nx0, 0, Wo), nx1 = std::clamp<double>(nx1, 0, Wo);
    ny0 = std::clamp<double>(ny0, 0, Ho), ny1 = std::clamp<double>(ny1, 0, Ho);
    const double kept_w = nx1 - nx0, kept_h = ny1 - ny0;
    if (kept_w < 1 || kept_h < 1) continue;
    const double kept = mapped > 0 ? kept_w * kept_h / mapped : 0;
    if (kept < opt.min_kept) continue;

    CocoDetAnnotation o = in;
    o.bbox = {nx0, ny0, kept_w, kept_h};
    o.area = in.area * s * s * kept;
    if (in.mask) {
      OC_CHECK(in.mask->height == H && in.mask->width == W, "augment_detection: annotation ", in.id, "'s mask is ",
               in.mask->height, " x ", in.mask->width, ", the image ", H, " x ", W);
      const std::vector<uint8_t> m = rle_decode(*in.mask);
      std::vector<uint8_t> nm(static_cast<size_t>(Ho * Wo));
      int64_t area = 0;
      for (int64_t v = 0; v < Ho; ++v) {
        if (from_row[v] < 0) continue;
        for (int64_t u = 0; u < Wo; ++u)
          if (from_col[u] >= 0 && m[from_row[v] * W + from_col[u]]) nm[v * Wo + u] = 1, ++area;
      }
      if (area == 0) continue;
      o.mask = rle_encode(nm.data(), Ho, Wo);
      o.area = static_cast<double>(area);
    }
    out.objects.push_back(std::move(o));
  }
  return out;
}

}  // namespace oc
