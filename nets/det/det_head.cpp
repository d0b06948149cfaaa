// The detection head registry and make_det_head (see det_head.h).
#include "nets/det/det_head.h"

#include "nets/det/det_heads.h"

namespace oc {

const Registry<DetHeadMaker>& det_head_registry() {
  static const Registry<DetHeadMaker> r = [] {
    Registry<DetHeadMaker> r("detection head");
    r.add("yolo", {"anchors", "stride", "ignore_threshold", "box_loss"}, make_yolo_head);
    return r;
  }();
  return r;
}

std::unique_ptr<DetHead> make_det_head(const DetSettings& s, const Network& model, int64_t classes,
                                       const std::string& source) {
  const DetHeadMaker& make = det_head_registry().at(s.head, source + ": task.head").factory;
  const Shape& in = model.input_shape();
  OC_CHECK(in.size() == 3, source, ": a detector takes [C, H, W] images, model.input is ", shape_str(in));
  OC_CHECK(classes >= 1, source, ": the data set has no object classes");
  DetHeadGeometry g{classes, in[1], in[2]};
  std::unique_ptr<DetHead> head = make(s, g);
  head->check_outputs(model, source);
  return head;
}

}  // namespace oc
