// Faster R-CNN's head as a class, so that Mask R-CNN (mask_rcnn_head.cpp) can extend it: the
// semantics are described in faster_rcnn_head.cpp. Internal to nets/det.
#pragma once
#include <cmath>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/ops.h"
#include "nets/det/det_head.h"

namespace oc {

// One image's ground truths, read from the batch's [M, 5] rows (empty slots and empty boxes skipped).
struct GroundTruth {
  std::vector<float> boxes;    // 4 per object
  std::vector<int64_t> labels;
  std::vector<int64_t> slots;  // each object's row in the batch's [M, 5] (and mask slot)
  int64_t count() const { return static_cast<int64_t>(labels.size()); }
};

// Host-built values (targets, RoIs) as a tensor of `like`'s dtype on its device.
inline Tensor host_values(const std::vector<float>& v, const Shape& shape, const Tensor& like) {
  return to(to(from_vector(v, shape), like.dtype()), like.device());
}
// Host-built indices as an int64 tensor on `device`.
inline Tensor index_tensor(const std::vector<int64_t>& v, Device device) {
  return to(from_vector(v, {static_cast<int64_t>(v.size())}), device);
}

// The RoI stage's sampled regions of a batch, image by image, each image's positives first.
struct RoiSample {
  std::vector<float> rois;             // 5 per RoI: batch index, x1, y1, x2, y2
  std::vector<int64_t> classes;        // per RoI: 1 + its ground truth's label, or 0 (background)
  std::vector<int64_t> positives;      // the RoIs with a class
  std::vector<int64_t> positive_truth; // per positive: its ground truth's index in truth[image]
  int64_t count() const { return static_cast<int64_t>(classes.size()); }
};

class FasterRcnnHead : public DetHead {
 public:
  FasterRcnnHead(const DetSettings& s, const DetHeadGeometry& g, std::shared_ptr<Network> box_head);

  void check_outputs(const Network& model, const std::string& source) const override;
  DetLoss loss(const std::vector<Tensor>& outputs, const Tensor& boxes, const Tensor& masks,
               uint64_t draw_key) const override;
  std::vector<std::vector<Detection>> decode(const std::vector<Tensor>& outputs) const override;

 protected:
  // Mask R-CNN's additions: more loss terms on the sampled RoIs, and masks for the boxes found.
  virtual void add_terms(const Tensor& /*features*/, const RoiSample& /*sample*/,
                         const std::vector<GroundTruth>& /*truth*/, const Tensor& /*masks*/, DetLoss& /*l*/) const {}
  virtual void add_masks(const Tensor& /*features*/, std::vector<std::vector<Detection>>& /*found*/) const {}
  // RoIAlign of `rois` [K, 5] on the feature map into size x size bins.
  Tensor pool(const Tensor& features, const Tensor& rois, int64_t size) const;

 private:
  int64_t anchors_per_image() const { return h_ * w_ * A_; }
  // [h w A, 4] on the outputs' device and dtype: row (y w + x) A + a is anchor a of cell (y, x).
  Tensor anchor_boxes(const Tensor& like) const;
  // objectness [B, A, h, w] -> [B, h w A]; deltas [B, 4 A, h, w] -> [B, h w A, 4] (the anchors' order).
  Tensor objectness_rows(const Tensor& obj) const;
  Tensor delta_rows(const Tensor& del) const;
  // Each image's proposals, float32 host boxes (4 per proposal), by decreasing objectness.
  std::vector<std::vector<float>> propose(const Tensor& obj, const Tensor& del, const Tensor& anchors) const;
  // The RPN terms (rpn_object, rpn_box) for a batch.
  std::pair<Tensor, Tensor> rpn_loss(const Tensor& obj, const Tensor& del, const Tensor& anchors,
                                     const std::vector<GroundTruth>& truth, Generator& gen) const;
  // The proposals plus the ground truths, matched and sampled per image.
  RoiSample sample_rois(const std::vector<std::vector<float>>& proposals, const std::vector<GroundTruth>& truth,
                        Generator& gen) const;
  // The box head on the regions `rois` [K, 5]: class logits [K, classes + 1] and deltas [K, 4 classes].
  std::pair<Tensor, Tensor> run_box_head(const Tensor& features, const Tensor& rois) const;

  std::shared_ptr<Network> box_head_;
  int64_t A_, h_, w_;
};

}  // namespace oc
