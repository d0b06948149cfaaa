// Spatial transformer sampling, with PyTorch's semantics (F.affine_grid, F.grid_sample):
// affine_grid turns per-sample affine matrices theta into sampling grids of normalized coordinates
// in [-1, 1]; grid_sample reads the input at those points. Both differentiable (input, grid, theta).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace oc {

// bilinear: bilinear on 4-D input, trilinear on 5-D; bicubic: 4-D only (A = -0.75).
enum class GridSampleMode { bilinear, nearest, bicubic };
// Where a sample point outside the input reads: zeros, the nearest border pixel, or the image
// reflected at its border (at the corner pixels' centres with align_corners, else at the edges).
enum class GridPadding { zeros, border, reflection };

struct GridSampleOptions {
  GridSampleMode mode = GridSampleMode::bilinear;
  GridPadding padding = GridPadding::zeros;
  // true: -1 and 1 are the centres of the corner pixels; false: the outer edges of the corner pixels.
  bool align_corners = false;
  // CUDA only: the input gradient without atomics, the same bits on every run (slower, see
  // docs/performance.md). The CPU is always deterministic.
  bool deterministic = false;
};

// "bilinear" | "nearest" | "bicubic", "zeros" | "border" | "reflection"; other names are errors
// listing the valid ones.
GridSampleMode grid_sample_mode_from_string(const std::string& name);
GridPadding grid_padding_from_string(const std::string& name);
std::vector<std::string> grid_sample_mode_names();
std::vector<std::string> grid_padding_names();
const char* to_string(GridSampleMode mode);
const char* to_string(GridPadding padding);

// theta [N,2,3] with size {N,C,H,W} -> grid [N,H,W,2] (x, y);
// theta [N,3,4] with size {N,C,D,H,W} -> grid [N,D,H,W,3] (x, y, z).
// grid[n,h,w] = theta[n] @ (x_w, y_h, 1), x_w the normalized coordinate of column w.
Tensor affine_grid(const Tensor& theta, const std::vector<int64_t>& size, bool align_corners);

// input [N,C,H,W] with grid [N,Ho,Wo,2] -> [N,C,Ho,Wo];
// input [N,C,D,H,W] with grid [N,Do,Ho,Wo,3] -> [N,C,Do,Ho,Wo]. grid[..., 0] is x (width),
// grid[..., 1] is y (height), grid[..., 2] is z (depth); -1 / 1 are the input's two ends.
Tensor grid_sample(const Tensor& input, const Tensor& grid, const GridSampleOptions& options = {});

}  // namespace oc
