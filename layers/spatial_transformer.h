// SpatialTransformer (Jaderberg et al. 2015): a localization network predicts, per sample, the
// parameters of a transform; affine_grid + grid_sample resample the input with it. The head that
// maps the localization features to the parameters starts at the identity transform.
#pragma once
#include <string>
#include <vector>

#include "kernels/grid_sample/grid_sample.h"
#include "layers/basic.h"
#include "layers/module.h"

namespace oc {

// The transform family and its parameters, in the head's output order:
//   translation        (tx, ty)            2-D; 3-D: (tx, ty, tz)
//   translation_scale  (s, tx, ty)         2-D; 3-D: (s, tx, ty, tz)
//   similarity         (a, b, tx, ty)      2-D only: theta = [[a, -b, tx], [b, a, ty]]
//   rotation           (c, s)              2-D only: (c, s) scaled to unit length, then
//                                          theta = [[c, -s, 0], [s, c, 0]] (a turn about the centre)
//   affine             the 6 (2-D) or 12 (3-D) entries of theta, row by row
enum class TransformKind { translation, translation_scale, similarity, rotation, affine };

// "translation" | "translation_scale" | "similarity" | "rotation" | "affine"; other names are errors listing them.
TransformKind transform_kind_from_string(const std::string& name);
const char* to_string(TransformKind kind);
std::vector<std::string> transform_kind_names();

// Number of parameters of a transform with `spatial_dims` (2 or 3); 0 when the kind has no 3-D form.
int64_t transform_param_count(TransformKind kind, int spatial_dims);
// The parameters of the identity transform (what the head's bias starts at).
std::vector<double> transform_identity_params(TransformKind kind, int spatial_dims);
// params [N, P] -> theta [N, 2, 3] (2-D) or [N, 3, 4] (3-D); differentiable in params.
Tensor transform_theta(const Tensor& params, TransformKind kind, int spatial_dims);

struct SpatialTransformerOptions {
  TransformKind kind = TransformKind::affine;
  int spatial_dims = 2;              // 2: input [N,C,H,W]; 3: input [N,C,D,H,W]
  std::vector<int64_t> output_size;  // [Ho, Wo] or [Do, Ho, Wo]
  GridSampleOptions sample;
};

// What the layer computed for one batch: the resampled images and the transforms used.
struct SpatialTransformResult {
  Tensor output;  // [N, C, Ho, Wo] (or [N, C, Do, Ho, Wo])
  Tensor theta;   // [N, 2, 3] (or [N, 3, 4])
};

class SpatialTransformer : public Module {
 public:
  // localization: reads the layer's input, returns [N, ...] with `features` values per sample
  // (flattened here). Its parameters are named "localization.*", the head's "head.*".
  SpatialTransformer(ModulePtr localization, int64_t features, const SpatialTransformerOptions& options,
                     Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "spatial_transformer"; }

  // The output and theta for a batch (differentiable, like forward).
  SpatialTransformResult transform(const Tensor& x);
  // The transform parameters the localization network and head predict, [N, P].
  Tensor predict_params(const Tensor& x);

  // While on, forward keeps a detached copy of its last result (for pictures and `infer --out`).
  void set_capture(bool on) { capture_ = on; }
  const SpatialTransformResult& captured() const { return captured_; }

  const SpatialTransformerOptions& options() const { return options_; }
  Module& localization() { return *localization_; }

 private:
  SpatialTransformerOptions options_;
  ModulePtr localization_;
  std::shared_ptr<Linear> head_;
  bool capture_ = false;
  SpatialTransformResult captured_;
};

}  // namespace oc
