// LIFT's features of a whole image (see lift_features.h).
#include "train/tasks/lift_features.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "kernels/ops.h"

namespace oc {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kChunk = 256;  // keypoints described at once (bounds the crops' memory)

// Affine matrices of crops of the whole image: crop offset u (normalized) -> keypoint + R u scaled
// to crop_extent pixels, in the image's normalized coordinates (see crop_theta).
Tensor image_crop_theta(const std::vector<FeaturePoint>& pts, size_t begin, size_t end,
                        const std::vector<float>& cos_sin, double extent, int64_t H, int64_t W) {
  std::vector<float> t;
  for (size_t i = begin; i < end; ++i) {
    const double c = cos_sin.empty() ? 1 : cos_sin[2 * (i - begin)], s = cos_sin.empty() ? 0 : cos_sin[2 * (i - begin) + 1];
    const double ex = extent / static_cast<double>(W), ey = extent / static_cast<double>(H);
    const double cx = (2 * pts[i].x + 1) / static_cast<double>(W) - 1, cy = (2 * pts[i].y + 1) / static_cast<double>(H) - 1;
    for (double v : {ex * c, ex * s, cx, -ey * s, ey * c, cy}) t.push_back(static_cast<float>(v));
  }
  return from_vector<float>(t, {static_cast<int64_t>(end - begin), 2, 3});
}

// Crops [n, 1, crop, crop] of the one image x [1, 1, H, W]: the n grids side by side as one tall
// grid, so the image is read in place (no per-crop copy of it).
Tensor crops_of(const Tensor& x, const Tensor& theta, int64_t crop) {
  const int64_t n = theta.size(0);
  Tensor grid = reshape(affine_grid(theta, {n, 1, crop, crop}, false), {1, n * crop, crop, 2});
  return reshape(grid_sample(x, grid), {n, 1, crop, crop});
}

}  // namespace

std::vector<FeaturePoint> score_map_keypoints(const std::vector<float>& score, int64_t H, int64_t W,
                                              const LiftSettings& s, int64_t border) {
  OC_CHECK(static_cast<int64_t>(score.size()) == H * W, "score_map_keypoints: ", score.size(),
           " values for a ", H, " x ", W, " map");
  auto at = [&](int64_t y, int64_t x) { return score[static_cast<size_t>(y * W + x)]; };
  std::vector<std::pair<float, int64_t>> peaks;  // (score, y * W + x)
  const int64_t r = s.nms_radius;
  for (int64_t y = border; y < H - border; ++y)
    for (int64_t x = border; x < W - border; ++x) {
      const float v = at(y, x);
      if (!(v >= s.min_score)) continue;
      bool is_max = true;
      // Strictly greater than later neighbours, at least as great as earlier ones: one peak per plateau.
      for (int64_t dy = -r; dy <= r && is_max; ++dy)
        for (int64_t dx = -r; dx <= r; ++dx) {
          const int64_t yy = y + dy, xx = x + dx;
          if ((dy == 0 && dx == 0) || yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
          const float u = at(yy, xx);
          const bool later = dy > 0 || (dy == 0 && dx > 0);
          if (u > v || (later && u == v)) {
            is_max = false;
            break;
          }
        }
      if (is_max) peaks.push_back({v, y * W + x});
    }
  std::stable_sort(peaks.begin(), peaks.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (static_cast<int64_t>(peaks.size()) > s.max_keypoints) peaks.resize(static_cast<size_t>(s.max_keypoints));
  std::vector<FeaturePoint> out;
  const int64_t w = s.refine_radius;
  for (const auto& [v, pos] : peaks) {
    const int64_t y0 = pos / W, x0 = pos % W;
    // Soft-argmax over the window, relative to the peak (the max subtracted: no overflow).
    double total = 0, ex = 0, ey = 0;
    for (int64_t dy = -w; dy <= w; ++dy)
      for (int64_t dx = -w; dx <= w; ++dx) {
        const int64_t yy = y0 + dy, xx = x0 + dx;
        if (yy < 0 || yy >= H || xx < 0 || xx >= W) continue;
        const double e = std::exp(s.beta * (static_cast<double>(at(yy, xx)) - v));
        total += e, ex += e * static_cast<double>(dx), ey += e * static_cast<double>(dy);
      }
    FeaturePoint p;
    p.x = static_cast<double>(x0) + ex / total, p.y = static_cast<double>(y0) + ey / total;
    p.size = s.crop_extent;
    p.response = v;
    out.push_back(p);
  }
  return out;
}

ImageFeatures lift_features(Network& model, const LiftSettings& s, const Tensor& image,
                            const LiftExtractOptions& opt) {
  OC_CHECK(image.dim() == 3 && image.size(0) == 1 && image.dtype() == DType::u8,
           "lift_features: expected a gray uint8 image [1, H, W], got ", image.str());
  LiftNets n = lift_nets(model);
  NoGradGuard no_grad;
  const int64_t H = image.size(1), W = image.size(2);
  Tensor x = to(unsqueeze(to(image, DType::f32), 0), opt.device);
  x = div(sub(div(x, 255.0), opt.mean), opt.std);
  ImageFeatures f;
  f.width = W, f.height = H;
  if (opt.given) {
    f.points = *opt.given;
  } else {
    Tensor score = n.detector->run_any_size(x)[0];
    OC_CHECK(score.shape() == (Shape{1, 1, H, W}), "lift: the detector's score map is ", score.str(),
             " for a ", H, " x ", W, " image; it must be [1, 1, H, W]");
    const int64_t border = static_cast<int64_t>(std::ceil(s.crop_extent * std::sqrt(0.5))) + 1;
    f.points = score_map_keypoints(to_vector<float>(contiguous(to(score, Device::cpu()))), H, W, s, border);
  }
  for (size_t begin = 0; begin < f.points.size(); begin += kChunk) {
    const size_t end = std::min(f.points.size(), begin + kChunk);
    std::vector<float> cs;
    if (opt.learned_orientation) {
      Tensor upright = crops_of(x, to(image_crop_theta(f.points, begin, end, {}, s.crop_extent, H, W), opt.device), s.crop);
      cs = to_vector<float>(contiguous(to(predict_orientation(*n.orientation, upright), Device::cpu())));
    } else {
      for (size_t i = begin; i < end; ++i) {
        // OpenCV's angle turns clockwise as displayed: the content is turned by minus that.
        const double a = f.points[i].angle >= 0 ? -f.points[i].angle * kPi / 180 : 0;
        cs.push_back(static_cast<float>(std::cos(a))), cs.push_back(static_cast<float>(std::sin(a)));
      }
    }
    Tensor turned = crops_of(x, to(image_crop_theta(f.points, begin, end, cs, s.crop_extent, H, W), opt.device), s.crop);
    Tensor d = contiguous(to(describe(*n.descriptor, turned), Device::cpu()));
    f.dim = d.size(1);
    std::vector<float> dv = to_vector<float>(d);
    f.descriptors.insert(f.descriptors.end(), dv.begin(), dv.end());
    for (size_t i = begin; i < end; ++i) {
      const double a = std::atan2(cs[2 * (i - begin) + 1], cs[2 * (i - begin)]) * 180 / kPi;
      f.points[i].angle = std::fmod(360.0 - a, 360.0);
    }
  }
  return f;
}

}  // namespace oc
