// `ocellus eval --maps`: a picture of a pose model's maps beside their targets for the first images
// of the evaluated split (docs/pose_maps.md); the drawing itself is tools/pose_maps_pictures.h.
#pragma once
#include <string>

#include "core/device.h"
#include "train/experiment.h"

namespace oc::cli {

// Runs e.model (its checkpoint loaded, on `device`) on the first `count` (--maps-count, a positive
// integer) images of `split` and writes one PNG to `path`, a row per image: input | S pred | S target
// [| L pred | L target]. Errors name the option, and the head when the model has no maps (task.type
// not pose, head direct).
void write_pose_maps_picture(Experiment& e, Device device, const std::string& split, const std::string& count,
                             const std::string& path);

}  // namespace oc::cli
