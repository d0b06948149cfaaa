// Front end of grid_sample and affine_grid: every shape, dtype and device check, dispatch, and the
// gradient rules (grid_sample: input and grid, each computed only when required; affine_grid: theta).
#include "kernels/grid_sample/grid_sample.h"

#include "core/autograd.h"
#include "core/enum_names.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/grid_sample/grid_sample_kernels.h"

namespace oc {

constexpr EnumName<GridSampleMode> kModeNames[] = {
    {GridSampleMode::bilinear, "bilinear"}, {GridSampleMode::nearest, "nearest"}, {GridSampleMode::bicubic, "bicubic"}};
constexpr EnumName<GridPadding> kPaddingNames[] = {
    {GridPadding::zeros, "zeros"}, {GridPadding::border, "border"}, {GridPadding::reflection, "reflection"}};

GridSampleMode grid_sample_mode_from_string(const std::string& name) {
  return enum_from_name(kModeNames, name, "grid_sample: unknown mode");
}
GridPadding grid_padding_from_string(const std::string& name) {
  return enum_from_name(kPaddingNames, name, "grid_sample: unknown padding");
}
std::vector<std::string> grid_sample_mode_names() { return enum_names(kModeNames); }
std::vector<std::string> grid_padding_names() { return enum_names(kPaddingNames); }
const char* to_string(GridSampleMode mode) { return enum_to_name(kModeNames, mode); }
const char* to_string(GridPadding padding) { return enum_to_name(kPaddingNames, padding); }

namespace {

GridSampleGeom check_grid_sample(const Tensor& input, const Tensor& grid, const GridSampleOptions& o) {
  const char* op = "grid_sample";
  check_defined(op, {&input, &grid});
  check_floating(op, input);
  check_same_dtype(op, {&input, &grid});
  check_same_device(op, {&input, &grid});
  const int64_t dim = input.dim();
  OC_CHECK(dim == 4 || dim == 5, op, ": expected a 4-D input [N,C,H,W] or 5-D input [N,C,D,H,W], got ",
           shape_str(input.shape()));
  const int dims = static_cast<int>(dim) - 2;
  OC_CHECK(grid.dim() == dim && grid.size(dim - 1) == dims, op, ": input ", shape_str(input.shape()),
           " needs a grid [N,", dims == 2 ? "Ho,Wo,2" : "Do,Ho,Wo,3", "], got ", shape_str(grid.shape()));
  OC_CHECK(grid.size(0) == input.size(0), op, ": batch sizes differ: input ", shape_str(input.shape()), ", grid ",
           shape_str(grid.shape()));
  for (int64_t i = 2; i < dim; ++i)
    OC_CHECK(input.size(i) > 0, op, ": input ", shape_str(input.shape()), " has an empty spatial size");
  OC_CHECK(!(dims == 3 && o.mode == GridSampleMode::bicubic), op,
           ": bicubic needs a 4-D input, got 5-D input ", shape_str(input.shape()), " (use bilinear or nearest)");
  GridSampleGeom g;
  g.dims = dims;
  g.n = input.size(0);
  g.c = input.size(1);
  g.d = dims == 3 ? input.size(2) : 1;
  g.h = input.size(dim - 2);
  g.w = input.size(dim - 1);
  g.out_d = dims == 3 ? grid.size(1) : 1;
  g.out_h = grid.size(dim - 3);
  g.out_w = grid.size(dim - 2);
  g.mode = o.mode;
  g.padding = o.padding;
  g.align_corners = o.align_corners;
  return g;
}

AffineGridGeom check_affine_grid(const Tensor& theta, const std::vector<int64_t>& size, bool align_corners) {
  const char* op = "affine_grid";
  check_defined(op, {&theta});
  check_floating(op, theta);
  OC_CHECK(size.size() == 4 || size.size() == 5, op, ": size must be [N,C,H,W] or [N,C,D,H,W], got ",
           shape_str(Shape(size)));
  const int dims = static_cast<int>(size.size()) - 2;
  OC_CHECK(theta.dim() == 3 && theta.size(1) == dims && theta.size(2) == dims + 1, op, ": size ",
           shape_str(Shape(size)), " needs theta [N,", dims, ",", dims + 1, "], got ", shape_str(theta.shape()));
  OC_CHECK(theta.size(0) == size[0], op, ": theta ", shape_str(theta.shape()), " has batch ", theta.size(0),
           " but size ", shape_str(Shape(size)), " asks for ", size[0]);
  for (size_t i = 2; i < size.size(); ++i)
    OC_CHECK(size[i] > 0, op, ": size ", shape_str(Shape(size)), " has an empty spatial size");
  AffineGridGeom g;
  g.dims = dims;
  g.n = size[0];
  g.d = dims == 3 ? size[2] : 1;
  g.h = size[size.size() - 2];
  g.w = size[size.size() - 1];
  g.align_corners = align_corners;
  return g;
}

}  // namespace

Tensor grid_sample(const Tensor& input, const Tensor& grid, const GridSampleOptions& options) {
  const GridSampleGeom g = check_grid_sample(input, grid, options);
  Tensor xc = contiguous(input.detach()), gc = contiguous(grid.detach());
  Shape out_shape = g.dims == 2 ? Shape{g.n, g.c, g.out_h, g.out_w} : Shape{g.n, g.c, g.out_d, g.out_h, g.out_w};
  Tensor y = Tensor::empty(out_shape, input.dtype(), input.device());
  if (y.numel() > 0) OC_ON_DEVICE(input.device(), grid_sample, xc, gc, y, g);
  const bool need_input = input.requires_grad(), need_grid = grid.requires_grad();
  record_op(y, "grid_sample", {input, grid},
            [xc, gc, g, need_input, need_grid, det = options.deterministic](const Tensor& gy) {
              Tensor gyc = contiguous(gy);
              Tensor gx = need_input ? Tensor::empty(xc.shape(), xc.dtype(), xc.device()) : Tensor();
              Tensor gg = need_grid ? Tensor::empty(gc.shape(), gc.dtype(), gc.device()) : Tensor();
              const bool any = (gx.defined() && gx.numel() > 0) || (gg.defined() && gg.numel() > 0);
              if (any) OC_ON_DEVICE(gy.device(), grid_sample_backward, xc, gc, gyc, gx, gg, g, det);
              return std::vector<Tensor>{gx, gg};
            });
  return y;
}

Tensor affine_grid(const Tensor& theta, const std::vector<int64_t>& size, bool align_corners) {
  const AffineGridGeom g = check_affine_grid(theta, size, align_corners);
  Tensor tc = contiguous(theta.detach());
  Shape out_shape = g.dims == 2 ? Shape{g.n, g.h, g.w, 2} : Shape{g.n, g.d, g.h, g.w, 3};
  Tensor grid = Tensor::empty(out_shape, theta.dtype(), theta.device());
  if (grid.numel() > 0) OC_ON_DEVICE(theta.device(), affine_grid, tc, grid, g);
  record_op(grid, "affine_grid", {theta}, [g, shape = theta.shape()](const Tensor& ggrid) {
    Tensor ggc = contiguous(ggrid);
    Tensor gt = Tensor::empty(shape, ggrid.dtype(), ggrid.device());
    if (gt.numel() > 0) OC_ON_DEVICE(ggrid.device(), affine_grid_backward, ggc, gt, g);
    return std::vector<Tensor>{gt};
  });
  return grid;
}

}  // namespace oc
