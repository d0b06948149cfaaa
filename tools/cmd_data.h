// `ocellus data`: data set generators (pose-synth: synthetic people with COCO keypoint annotations).
#pragma once
#include "tools/commands.h"

namespace oc::cli {

int cmd_data(const Args& args);

}  // namespace oc::cli
