// SpatialTransformer: localization network -> head -> theta -> affine_grid -> grid_sample.
#include "layers/spatial_transformer.h"

#include <algorithm>

#include "core/enum_names.h"

namespace oc {
namespace {

// One entry of theta, row by row: a head output times a sign (param >= 0), or a constant.
struct ThetaEntry {
  int param;     // index into the head's output, or -1
  double value;  // the coefficient (+1 / -1) of that output, or the constant
};

ThetaEntry p(int k, double sign = 1) { return {k, sign}; }
ThetaEntry c(double v) { return {-1, v}; }

// theta as a function of the head's outputs, for each family. Every family is linear in its
// parameters (similarity uses a = s cos, b = s sin), so no trig is needed and the gradient is exact;
// rotation's (c, s) are first scaled to unit length (transform_theta).
std::vector<ThetaEntry> theta_layout(TransformKind kind, int dims) {
  using K = TransformKind;
  if (dims == 2) {
    switch (kind) {
      case K::translation: return {c(1), c(0), p(0), c(0), c(1), p(1)};
      case K::translation_scale: return {p(0), c(0), p(1), c(0), p(0), p(2)};
      case K::similarity: return {p(0), p(1, -1), p(2), p(1), p(0), p(3)};
      case K::rotation: return {p(0), p(1, -1), c(0), p(1), p(0), c(0)};
      case K::affine: return {p(0), p(1), p(2), p(3), p(4), p(5)};
    }
  } else if (dims == 3) {
    switch (kind) {
      case K::translation: return {c(1), c(0), c(0), p(0), c(0), c(1), c(0), p(1), c(0), c(0), c(1), p(2)};
      case K::translation_scale:
        return {p(0), c(0), c(0), p(1), c(0), p(0), c(0), p(2), c(0), c(0), p(0), p(3)};
      case K::similarity:
      case K::rotation: return {};  // a 3-D rotation is not linear in a few parameters
      case K::affine: {
        std::vector<ThetaEntry> e;
        for (int k = 0; k < 12; ++k) e.push_back(p(k));
        return e;
      }
    }
  }
  return {};
}

void check_dims(int dims) { OC_CHECK(dims == 2 || dims == 3, "spatial transformer: 2 or 3 spatial dims, got ", dims); }

}  // namespace

constexpr EnumName<TransformKind> kTransformNames[] = {{TransformKind::translation, "translation"},
                                                       {TransformKind::translation_scale, "translation_scale"},
                                                       {TransformKind::similarity, "similarity"},
                                                       {TransformKind::rotation, "rotation"},
                                                       {TransformKind::affine, "affine"}};

std::vector<std::string> transform_kind_names() { return enum_names(kTransformNames); }
TransformKind transform_kind_from_string(const std::string& name) {
  return enum_from_name(kTransformNames, name, "unknown transform");
}
const char* to_string(TransformKind kind) { return enum_to_name(kTransformNames, kind); }

int64_t transform_param_count(TransformKind kind, int dims) {
  check_dims(dims);
  int most = -1;
  for (const ThetaEntry& e : theta_layout(kind, dims)) most = std::max(most, e.param);
  return most + 1;
}

std::vector<double> transform_identity_params(TransformKind kind, int dims) {
  // Read off the layout: a parameter sitting on theta's diagonal is 1 at the identity, else 0.
  check_dims(dims);
  std::vector<double> id(static_cast<size_t>(transform_param_count(kind, dims)), 0.0);
  std::vector<ThetaEntry> layout = theta_layout(kind, dims);
  for (int r = 0; r < dims; ++r) {
    const ThetaEntry& e = layout[static_cast<size_t>(r * (dims + 1) + r)];
    if (e.param >= 0) id[static_cast<size_t>(e.param)] = e.value;
  }
  return id;
}

Tensor transform_theta(const Tensor& params, TransformKind kind, int dims) {
  check_dims(dims);
  const int64_t count = transform_param_count(kind, dims);
  OC_CHECK(count > 0, "spatial transformer: the \"", to_string(kind), "\" transform has no 3-D form");
  OC_CHECK(params.dim() == 2 && params.size(1) == count, "spatial transformer: ", to_string(kind), " takes [N, ",
           count, "] parameters, got ", params.str());
  const int64_t n = params.size(0);
  // rotation: (c, s) / |(c, s)|, so any direction the head predicts is a pure rotation (no scale).
  // The tiny constant keeps (0, 0) finite; it changes a unit-length direction by ~1e-13.
  const Tensor unit = kind == TransformKind::rotation
                          ? div(params, sqrt(add(sum(mul(params, params), {1}, true), 1e-12)))
                          : params;
  std::vector<Tensor> entries;
  for (const ThetaEntry& e : theta_layout(kind, dims)) {
    if (e.param < 0) {
      entries.push_back(full({n}, e.value, params.dtype(), params.device()));
    } else {
      Tensor v = select(unit, 1, e.param);
      entries.push_back(e.value < 0 ? neg(v) : v);
    }
  }
  return reshape(stack(entries, 1), {n, dims, dims + 1});
}

SpatialTransformer::SpatialTransformer(ModulePtr localization, int64_t features,
                                       const SpatialTransformerOptions& options, Generator& gen)
    : options_(options), localization_(std::move(localization)) {
  check_dims(options_.spatial_dims);
  OC_CHECK(static_cast<int>(options_.output_size.size()) == options_.spatial_dims,
           "spatial transformer: output_size needs ", options_.spatial_dims, " sizes, got ",
           options_.output_size.size());
  const int64_t count = transform_param_count(options_.kind, options_.spatial_dims);
  OC_CHECK(count > 0, "spatial transformer: the \"", to_string(options_.kind), "\" transform has no 3-D form");
  register_module("localization", localization_);
  head_ = register_module("head", std::make_shared<Linear>(features, count, true, gen));
  // Zero weights and the identity as bias: training starts from the untransformed image, the
  // standard STN initialization (a random start warps the images before anything is learnt).
  NoGradGuard no_grad;
  NamedTensors head = head_->named_parameters();
  copy_(head[0].second, zeros_like(head[0].second));
  copy_(head[1].second, from_vector(transform_identity_params(options_.kind, options_.spatial_dims), {count}));
}

Tensor SpatialTransformer::predict_params(const Tensor& x) {
  Tensor f = flatten(localization_->forward(x), 1);
  // The head follows the features' dtype, so a float64 localization gives a float64 check end to end.
  NamedTensors head = head_->named_parameters();
  Tensor w = oc::to(head[0].second, f.dtype()), b = oc::to(head[1].second, f.dtype());
  return add(matmul(f, transpose(w, 0, 1)), b);
}

SpatialTransformResult SpatialTransformer::transform(const Tensor& x) {
  const int dims = options_.spatial_dims;
  OC_CHECK(x.dim() == dims + 2, "spatial_transformer: expects [N, C, ", dims == 2 ? "H, W" : "D, H, W", "], got ",
           x.str());
  SpatialTransformResult r;
  r.theta = transform_theta(predict_params(x), options_.kind, dims);
  std::vector<int64_t> size{x.size(0), x.size(1)};
  size.insert(size.end(), options_.output_size.begin(), options_.output_size.end());
  Tensor grid = affine_grid(r.theta, size, options_.sample.align_corners);
  r.output = grid_sample(x, grid, options_.sample);
  if (capture_) captured_ = {r.output.detach(), r.theta.detach()};
  return r;
}

Tensor SpatialTransformer::forward(const Tensor& x) { return transform(x).output; }

}  // namespace oc
