// Drawing people (joints and limbs) onto an image, for `ocellus infer` on pose models.
#pragma once
#include <vector>

#include "core/tensor.h"
#include "nets/pose/keypoints.h"

namespace oc::cli {

// image: uint8 [3,H,W] (drawn into, in place; contiguous). Keypoints in COCO coordinates of this
// image. Joints with v = 0 are skipped; each limb gets its own colour, each person's joints a colour
// of their own, so overlapping people stay apart.
void draw_people(Tensor& image, const std::vector<Person>& people, const Skeleton& skeleton);

}  // namespace oc::cli
