// Soft-argmax (integral pose regression, Sun et al. ECCV 2018): the expected pixel position under
// softmax(beta * S) of each heatmap S, differentiable, and optionally the smooth maximum
// (1 / beta) log sum_y exp(beta S(y)). One pass over each map; the softmax is never materialized.
#pragma once
#include <string>

#include "core/tensor.h"

namespace oc {

// Where the coordinates are measured, per axis of `size` pixels (pixel centres at integers):
//
//   pixel:       x in [0, size - 1], pixel centres at 0, 1, ..., size - 1
//   normalized:  grid_sample's align_corners = false convention, x_norm = (2 x + 1) / size - 1,
//                so -1 and 1 are the outer edges of the corner pixels (the result feeds grid_sample)
//
//   x_norm:       -1   -2/3  -1/3    0    1/3   2/3    1
//                  |     .     |     .     |     .     |
//                  |  pixel 0  |  pixel 1  |  pixel 2  |    (size = 3)
//   x_pixel:             0           1           2
enum class SoftArgmaxCoords { pixel, normalized };

struct SoftArgmaxOptions {
  double beta = 1;  // softmax temperature; > 0 and finite, any magnitude (the max is subtracted)
  SoftArgmaxCoords coordinates = SoftArgmaxCoords::pixel;
};

// "pixel" | "normalized"; other names are errors listing the valid ones.
SoftArgmaxCoords soft_argmax_coords_from_string(const std::string& name);
const char* to_string(SoftArgmaxCoords coords);

// heatmaps [N,K,H,W] -> [N,K,2] (x, y); [N,K,D,H,W] -> [N,K,3] (x, y, z). x runs along W, y along
// H, z along D: coords = sum_y softmax(beta * S)(y) * y over the pixel positions y of each map.
Tensor soft_argmax(const Tensor& heatmaps, const SoftArgmaxOptions& options = {});

struct SoftArgmaxResult {
  Tensor coords;  // [N,K,2] or [N,K,3], as soft_argmax
  Tensor value;   // [N,K]: (1 / beta) log sum_y exp(beta S(y)), the smooth maximum of each map
};
// Both outputs in one pass, differentiable together (one fused backward pass over the heatmaps).
SoftArgmaxResult soft_argmax_with_value(const Tensor& heatmaps, const SoftArgmaxOptions& options = {});

}  // namespace oc
