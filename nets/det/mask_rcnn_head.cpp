// Mask R-CNN (He et al. 2017; the semantics of torchvision's roi_heads.py maskrcnn_loss and
// paste_masks_in_image): Faster R-CNN plus a network attached as "mask_head" that reads RoIAlign's
// [C, roi.mask_size, roi.mask_size] pooling of a region and gives one mask logit map per class
// [classes, S, S]. Training: on the RoI stage's positive samples, the map of the sample's class
// learns, by per-pixel BCE, its ground truth's mask resampled to the region (RoIAlign of the 0/1 mask
// into S x S bins, so edge bins hold fractions). Decoding: each box found gets the sigmoid of its
// class's map over its own box, resampled to the pixels inside the box (bilinear at each pixel
// centre) and thresholded at 0.5.
#include <algorithm>
#include <cmath>

#include "losses/losses.h"
#include "nets/det/det_heads.h"
#include "nets/det/faster_rcnn_head.h"

namespace oc {
namespace {

constexpr double kMaskThreshold = 0.5;

// The S x S probability map `p` of box (x1, y1, x2, y2) pasted into an H x W mask.
Tensor paste_mask(const float* p, int64_t S, const Detection& d, int64_t H, int64_t W) {
  std::vector<uint8_t> out(H * W, 0);
  const double bw = double(d.x2) - d.x1, bh = double(d.y2) - d.y1;
  if (bw > 0 && bh > 0) {
    const int64_t xa = std::max<int64_t>(0, int64_t(std::floor(d.x1))), xb = std::min<int64_t>(W, int64_t(std::ceil(d.x2)));
    const int64_t ya = std::max<int64_t>(0, int64_t(std::floor(d.y1))), yb = std::min<int64_t>(H, int64_t(std::ceil(d.y2)));
    for (int64_t y = ya; y < yb; ++y) {
      const double cy = y + 0.5;
      if (cy < d.y1 || cy > d.y2) continue;
      // The map's bin centres are at (i + 0.5) bh / S: sample bilinearly, clamped to the edge bins.
      const double v = std::clamp((cy - d.y1) / bh * S - 0.5, 0.0, double(S - 1));
      const int64_t i0 = int64_t(v), i1 = std::min(i0 + 1, S - 1);
      const double fy = v - i0;
      for (int64_t x = xa; x < xb; ++x) {
        const double cx = x + 0.5;
        if (cx < d.x1 || cx > d.x2) continue;
        const double u = std::clamp((cx - d.x1) / bw * S - 0.5, 0.0, double(S - 1));
        const int64_t j0 = int64_t(u), j1 = std::min(j0 + 1, S - 1);
        const double fx = u - j0;
        const double value = (1 - fy) * ((1 - fx) * p[i0 * S + j0] + fx * p[i0 * S + j1]) +
                             fy * ((1 - fx) * p[i1 * S + j0] + fx * p[i1 * S + j1]);
        out[y * W + x] = value >= kMaskThreshold;
      }
    }
  }
  return from_vector(out, {H, W});
}

class MaskRcnnHead : public FasterRcnnHead {
 public:
  MaskRcnnHead(const DetSettings& s, const DetHeadGeometry& g, std::shared_ptr<Network> box_head,
               std::shared_ptr<Network> mask_head)
      : FasterRcnnHead(s, g, std::move(box_head)), mask_head_(std::move(mask_head)) {}

  void check_outputs(const Network& model, const std::string& source) const override {
    FasterRcnnHead::check_outputs(model, source);
    OC_CHECK(mask_head_, source, ": task.mask_head: the mask_rcnn head needs its mask head network, e.g. {\"layers\": "
             "[{\"type\": \"conv2d\", ...}, {\"type\": \"conv_transpose2d\", \"kernel\": 2, \"stride\": 2, ...}, ...]}");
    const int64_t C = model.output_shape(model.output_names()[0])[0];
    OC_CHECK(mask_head_->input_shape() == (Shape{C, s_.roi.mask_size, s_.roi.mask_size}), source,
             ": task.mask_head reads [", C, ", ", s_.roi.mask_size, ", ", s_.roi.mask_size, "], built for ",
             shape_str(mask_head_->input_shape()));
    const Shape out = mask_head_->output_shape(mask_head_->output_names()[0]);
    OC_CHECK(out.size() == 3 && out[0] == g_.classes && out[1] == out[2] && out[1] >= 1, source,
             ": task.mask_head's output must be square mask logits [", g_.classes, ", S, S] (one map per class), got ",
             shape_str(out));
  }

  bool learns_masks() const override { return true; }

 protected:
  int64_t map_size() const { return mask_head_->output_shape(mask_head_->output_names()[0])[1]; }

  // Each region's logit map of one class: rois [K, 5], classes (0-based) per region -> [K, S, S].
  Tensor class_maps(const Tensor& features, const Tensor& rois, const std::vector<int64_t>& classes) const {
    const int64_t K = rois.size(0), S = map_size(), C = g_.classes;
    const Tensor maps = forward_outputs(*mask_head_, pool(features, rois, s_.roi.mask_size))[0];  // [K, C, S, S]
    std::vector<int64_t> rows(K);
    for (int64_t k = 0; k < K; ++k) rows[k] = k * C + classes[k];
    return index_select(reshape(maps, {K * C, S, S}), 0, index_tensor(rows, features.device()));
  }

  void add_terms(const Tensor& features, const RoiSample& sample, const std::vector<GroundTruth>& truth,
                 const Tensor& masks, DetLoss& l) const override {
    const int64_t B = features.size(0), P = static_cast<int64_t>(sample.positives.size()), S = map_size();
    const Device dev = features.device();
    const DType dt = features.dtype();
    Tensor term = zeros({}, dt, dev);
    if (P > 0) {
      OC_CHECK(masks.defined() && masks.dim() == 4 && masks.size(0) == B && masks.size(2) == g_.H &&
                   masks.size(3) == g_.W,
               "mask_rcnn loss: masks must be [", B, ", M, ", g_.H, ", ", g_.W, "] (the batch's instance masks), got ",
               masks.defined() ? shape_str(masks.shape()) : std::string("none"));
      const int64_t M = masks.size(1);
      // The positives' regions, and their ground truths' masks (each object once) with the same regions.
      std::vector<float> rois, target_rois;
      std::vector<int64_t> classes, objects, object_of(B * M, -1);
      for (int64_t j = 0; j < P; ++j) {
        const int64_t k = sample.positives[j], b = static_cast<int64_t>(sample.rois[5 * k]);
        const int64_t slot = b * M + truth[b].slots[sample.positive_truth[j]];
        if (object_of[slot] < 0) object_of[slot] = static_cast<int64_t>(objects.size()), objects.push_back(slot);
        rois.insert(rois.end(), sample.rois.begin() + 5 * k, sample.rois.begin() + 5 * k + 5);
        target_rois.push_back(float(object_of[slot]));
        target_rois.insert(target_rois.end(), sample.rois.begin() + 5 * k + 1, sample.rois.begin() + 5 * k + 5);
        classes.push_back(sample.classes[k] - 1);
      }
      const int64_t n = static_cast<int64_t>(objects.size());
      const Tensor object_masks = to(to(index_select(reshape(to(masks, Device::cpu()), {B * M, 1, g_.H, g_.W}), 0,
                                                     from_vector(objects, {n})),
                                        dt),
                                     dev);
      RoiAlignParams p;  // the ground truth is at image resolution: scale 1, adaptive sampling
      p.pooled_h = p.pooled_w = S;
      const Tensor targets =
          reshape(roi_align(object_masks, host_values(target_rois, {P, 5}, features), p), {P, S, S});
      term = bce_with_logits(class_maps(features, host_values(rois, {P, 5}, features), classes), targets);
    }
    l.terms.push_back({"mask", mul(term, s_.mask_weight)});
  }

  void add_masks(const Tensor& features, std::vector<std::vector<Detection>>& found) const override {
    std::vector<float> rois;
    std::vector<int64_t> classes;
    for (size_t b = 0; b < found.size(); ++b)
      for (const Detection& d : found[b]) {
        rois.insert(rois.end(), {float(b), d.x1, d.y1, d.x2, d.y2});
        classes.push_back(d.label);
      }
    const int64_t K = static_cast<int64_t>(classes.size()), S = map_size();
    if (K == 0) return;
    const Tensor maps = class_maps(features, host_values(rois, {K, 5}, features), classes);
    const std::vector<float> probs = to_vector<float>(to(to(sigmoid(maps), Device::cpu()), DType::f32));
    int64_t k = 0;
    for (auto& image : found)
      for (Detection& d : image) d.mask = paste_mask(&probs[k++ * S * S], S, d, g_.H, g_.W);
  }

 private:
  std::shared_ptr<Network> mask_head_;
};

}  // namespace

std::unique_ptr<DetHead> make_mask_rcnn_head(const DetSettings& s, const DetHeadGeometry& g, const Network& model) {
  return std::make_unique<MaskRcnnHead>(s, g, model.attached("box_head"), model.attached("mask_head"));
}

}  // namespace oc
