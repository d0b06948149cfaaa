// Front end of the anchor generator: checks naming the op and the bad value, the plan of levels and
// base anchors (tiny, built on the host), dispatch.
#include "kernels/anchors/anchors.h"

#include <cmath>

#include "kernels/anchors/anchors_kernels.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/fill/fill.h"

namespace oc {

std::vector<float> anchor_base_boxes(const std::vector<double>& sizes, const std::vector<double>& aspect_ratios) {
  OC_CHECK(!sizes.empty() && !aspect_ratios.empty(), "anchors: need at least one size and one aspect ratio, got ",
           sizes.size(), " sizes and ", aspect_ratios.size(), " aspect ratios");
  for (double s : sizes) OC_CHECK(std::isfinite(s) && s > 0, "anchors: size ", s, " must be finite and positive");
  for (double r : aspect_ratios)
    OC_CHECK(std::isfinite(r) && r > 0, "anchors: aspect ratio ", r, " must be finite and positive");
  std::vector<float> boxes;
  boxes.reserve(sizes.size() * aspect_ratios.size() * 4);
  for (double r : aspect_ratios)
    for (double s : sizes) {
      float box[4];
      // torchvision converts sizes and ratios to float32 tensors first.
      anchor_base_box(static_cast<float>(s), static_cast<float>(r), box);
      boxes.insert(boxes.end(), box, box + 4);
    }
  return boxes;
}

Tensor anchors(const std::vector<AnchorLevel>& levels, DType dtype, Device device) {
  OC_CHECK(dtype == DType::f32 || dtype == DType::f64, "anchors: dtype must be float32 or float64, got ",
           dtype_name(dtype));
  std::vector<int64_t> plan;
  std::vector<float> bases;
  int64_t rows = 0;
  for (size_t l = 0; l < levels.size(); ++l) {
    const AnchorLevel& lv = levels[l];
    OC_CHECK(lv.feat_h >= 0 && lv.feat_w >= 0, "anchors: level ", l, " feature map size ", lv.feat_h, "x",
             lv.feat_w, " must be non-negative");
    OC_CHECK(lv.stride_h > 0 && lv.stride_w > 0, "anchors: level ", l, " stride ", lv.stride_h, "x", lv.stride_w,
             " must be positive");
    const std::vector<float> b = anchor_base_boxes(lv.sizes, lv.aspect_ratios);
    const int64_t a = static_cast<int64_t>(b.size() / 4);
    const AnchorLevelGeom g{rows, a, lv.feat_w, lv.stride_h, lv.stride_w, static_cast<int64_t>(bases.size() / 4)};
    plan.insert(plan.end(), {g.first_row, g.num_base, g.feat_w, g.stride_h, g.stride_w, g.base_first});
    bases.insert(bases.end(), b.begin(), b.end());
    rows += lv.feat_h * lv.feat_w * a;
  }
  Tensor out = Tensor::empty({rows, 4}, dtype, device);
  if (rows == 0) return out;
  const int64_t num_levels = static_cast<int64_t>(levels.size());
  Tensor plan_t = to(from_vector(plan, {num_levels, 6}), device);
  Tensor bases_t = to(from_vector(bases, {static_cast<int64_t>(bases.size() / 4), 4}), device);
  OC_ON_DEVICE(device, anchors, plan_t, bases_t, out);
  return out;
}

Tensor anchors_for_image(const std::vector<std::vector<double>>& sizes,
                         const std::vector<std::vector<double>>& aspect_ratios,
                         const std::vector<std::pair<int64_t, int64_t>>& feature_sizes, int64_t image_h,
                         int64_t image_w, DType dtype, Device device) {
  OC_CHECK(sizes.size() == aspect_ratios.size() && sizes.size() == feature_sizes.size(),
           "anchors: need one entry per level, got ", sizes.size(), " size lists, ", aspect_ratios.size(),
           " aspect ratio lists and ", feature_sizes.size(), " feature maps");
  OC_CHECK(image_h > 0 && image_w > 0, "anchors: image size ", image_h, "x", image_w, " must be positive");
  std::vector<AnchorLevel> levels;
  for (size_t l = 0; l < sizes.size(); ++l) {
    const auto [fh, fw] = feature_sizes[l];
    OC_CHECK(fh > 0 && fw > 0 && fh <= image_h && fw <= image_w, "anchors: level ", l, " feature map ", fh, "x",
             fw, " must be positive and at most the image ", image_h, "x", image_w);
    levels.push_back({sizes[l], aspect_ratios[l], fh, fw, image_h / fh, image_w / fw});
  }
  return anchors(levels, dtype, device);
}

}  // namespace oc
