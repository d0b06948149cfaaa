// The detection head registry and make_det_head (see det_head.h).
#include "nets/det/det_head.h"

#include <algorithm>

#include "nets/det/det_heads.h"

namespace oc {

const Registry<DetHeadMaker>& det_head_registry() {
  static const Registry<DetHeadMaker> r = [] {
    Registry<DetHeadMaker> r("detection head");
    r.add("yolo", {"anchors", "stride", "ignore_threshold", "box_loss"},
          [](const DetSettings& s, const DetHeadGeometry& g, const Network&) { return make_yolo_head(s, g); });
    r.add("faster_rcnn", {"anchor_sizes", "aspect_ratios", "stride", "rpn", "roi", "box_head"}, make_faster_rcnn_head);
    r.add("mask_rcnn", {"anchor_sizes", "aspect_ratios", "stride", "rpn", "roi", "box_head", "mask_head", "mask_weight"},
          make_mask_rcnn_head);
    return r;
  }();
  return r;
}

std::vector<Detection> keep_best_detections(std::vector<Detection> cand, const DetSettings& s) {
  std::stable_sort(cand.begin(), cand.end(), [](const Detection& x, const Detection& y) { return x.score > y.score; });
  if (static_cast<int64_t>(cand.size()) > s.pre_nms_top_k) cand.resize(s.pre_nms_top_k);
  const int64_t n = static_cast<int64_t>(cand.size());
  std::vector<float> bv(4 * n), sv(n);
  std::vector<int64_t> lv(n);
  for (int64_t k = 0; k < n; ++k) {
    const Detection& d = cand[k];
    bv[4 * k] = d.x1, bv[4 * k + 1] = d.y1, bv[4 * k + 2] = d.x2, bv[4 * k + 3] = d.y2, sv[k] = d.score, lv[k] = d.label;
  }
  const std::vector<int64_t> keep = to_vector<int64_t>(
      batched_nms(from_vector(bv, {n, 4}), from_vector(sv, {n}), from_vector(lv, {n}), s.nms_threshold));
  std::vector<Detection> out;
  for (size_t k = 0; k < keep.size() && static_cast<int64_t>(k) < s.max_detections; ++k) out.push_back(cand[keep[k]]);
  return out;
}

std::unique_ptr<DetHead> make_det_head(const DetSettings& s, const Network& model, int64_t classes,
                                       const std::string& source) {
  const DetHeadMaker& make = det_head_registry().at(s.head, source + ": task.head").factory;
  const Shape& in = model.input_shape();
  OC_CHECK(in.size() == 3, source, ": a detector takes [C, H, W] images, model.input is ", shape_str(in));
  OC_CHECK(classes >= 1, source, ": the data set has no object classes");
  DetHeadGeometry g{classes, in[1], in[2]};
  std::unique_ptr<DetHead> head = make(s, g, model);
  head->check_outputs(model, source);
  return head;
}

}  // namespace oc
