// What a spatial transformer did, as pictures: `ocellus demo` (inputs beside their rectified
// versions) and `ocellus infer --out` (one rectified image).
#pragma once
#include <string>
#include <vector>

#include "layers/spatial_transformer.h"
#include "nets/network.h"

namespace oc::cli {

// The network's first spatial transformer layer, or null.
SpatialTransformer* first_spatial_transformer(Network& net);

// Normalized float images [..., H, W] back to uint8 pixels: (x * std + mean) * 255, rounded, clamped.
Tensor denormalize_to_uint8(const Tensor& x, double mean, double std);

// uint8 [N,1,H,W] inputs and [N,1,h,w] rectified outputs -> one gray uint8 [1, H', W'] picture with
// `pairs_per_row` (input | rectified) pairs per row, each image scaled (nearest) to a common cell size.
Tensor pairs_picture(const Tensor& inputs, const Tensor& rectified, int64_t pairs_per_row);

}  // namespace oc::cli
