// Helpers shared by the `ocellus bench` memory-bound benchmarks (grid_sample, soft_argmax).
#pragma once
#include "core/device.h"

namespace oc::cli {

// GB/s of a large contiguous copy on `dev` (256 MB of float32, read + write counted): the ceiling
// the memory-bound passes are held against, measured in the same run.
double copy_bandwidth_gbs(Device dev);

}  // namespace oc::cli
