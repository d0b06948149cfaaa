// data.augment on pose data: the loader's random flip, crop and affine warp (train/data/augment.h),
// drawn afresh every epoch, applied to the image and to every person's joints alike. A flip also
// swaps the left and right joints (the skeleton's flip_pairs); a joint the warp carries off the
// image becomes unlabelled.
#pragma once
#include "nets/pose/keypoints.h"
#include "train/data/augment.h"
#include "train/data/pose_dataset.h"

namespace oc {

// Moves the targets of one sample: `target` holds P x K x (x, y, v) in kernel coordinates (pixel
// centres at integers), as PoseDataset stores them; slots with v = 0 stay (0, 0, 0). The image is
// H x W.
void augment_pose_targets(const AugmentDraw& draw, const Skeleton& skeleton, int64_t H, int64_t W,
                          int64_t crop_padding, int64_t people, float* target);

// Makes ds's training transform: sample i of an epoch uses the draw at Generator(seed) offset
// i * kAugmentBlocks, the loader's own scheme, so a run repeats exactly and resumes mid-epoch.
void set_pose_augment(PoseDataset& ds, const AugmentOptions& opt);

}  // namespace oc
