// The detection heads' makers, registered in det_head.cpp.
#pragma once
#include <memory>

#include "nets/det/det_head.h"

namespace oc {

std::unique_ptr<DetHead> make_yolo_head(const DetSettings& s, const DetHeadGeometry& g);
std::unique_ptr<DetHead> make_faster_rcnn_head(const DetSettings& s, const DetHeadGeometry& g, const Network& model);
std::unique_ptr<DetHead> make_mask_rcnn_head(const DetSettings& s, const DetHeadGeometry& g, const Network& model);

}  // namespace oc
