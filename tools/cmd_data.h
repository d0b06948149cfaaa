// `ocellus data`: the data set generators (pose-synth: synthetic people with COCO keypoints;
// det-synth: Fashion-MNIST items on photos with COCO boxes and masks; homography-pairs: LIFT's warped
// photo pairs and patch quadruplets), chosen from a registry by name.
#pragma once
#include "tools/commands.h"

namespace oc::cli {

int cmd_data(const Args& args);

}  // namespace oc::cli
