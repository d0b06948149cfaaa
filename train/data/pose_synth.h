// Synthetic pose data: articulated stick people (the 17 COCO joints, tapered limbs, an elliptic head)
// drawn over patches of real photos, with COCO keypoint annotations. Image i depends only on
// (seed, i), so the output is identical with any number of threads.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "train/io/coco_keypoints.h"

namespace oc {

struct PoseSynthOptions {
  int64_t count = 100;                    // images
  int64_t size = 128;                     // each S x S pixels, RGB
  int64_t min_people = 1, max_people = 3;  // people per image, uniform in [min, max]
  uint64_t seed = 0;
  std::vector<std::string> backgrounds;   // photos cut into backgrounds; empty: drawn gradients only
  void check() const;                     // throws oc::Error naming the bad field
};

// Debian's opencv-doc sample photos (no people in them) that exist on this machine, sorted; empty
// when the package is not installed.
std::vector<std::string> default_pose_backgrounds();
// Every image file (png, jpg, jpeg, bmp, ppm, pgm; any case) directly in dir, sorted by name.
std::vector<std::string> image_files_in(const std::string& dir);

struct SynthImage {
  Tensor image;               // uint8 [3,S,S]
  std::vector<Person> people;  // image_id = index, id = 0 (numbered when written)
};

// Image `index`: backgrounds are the decoded opt.backgrounds (uint8 [3,H,W]). Joints outside the
// image are v = 0 (x = y = 0); joints covered by a later person or an occluder rectangle, or facing
// away (nose and eyes of a person seen from behind, the far ear of a turned head), are v = 1; the
// rest v = 2. bbox: the labelled joints' box grown by the head's long radius (the largest drawn
// radius), clipped to the image; area: the pixels where the person is the visible top layer, at
// least 1 (COCO's area is that of the visible segmentation mask).
SynthImage pose_synth_image(const PoseSynthOptions& opt, const std::vector<Tensor>& backgrounds, int64_t index);

// Writes dir/images/000000.png ... and dir/annotations.json (COCO keypoints; image id = index,
// annotation ids 1, 2, ... in image order) and returns what it wrote.
CocoKeypoints write_pose_synth(const std::string& dir, const PoseSynthOptions& opt);

}  // namespace oc
