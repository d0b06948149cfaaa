// LIFT's differentiable pieces (see lift.h).
#include "nets/lift/lift.h"

#include "core/error.h"
#include "kernels/ops.h"

namespace oc {
namespace {

// Rows divided by their length (+ a floor, so a zero row stays finite).
Tensor unit_rows(const Tensor& x) { return div(x, sqrt(add(sum(mul(x, x), {1}, true), 1e-12))); }

}  // namespace

LiftNets lift_nets(Network& model) {
  LiftNets n{&model, model.attached("orientation").get(), model.attached("descriptor").get()};
  OC_CHECK(n.orientation && n.descriptor, "lift: the model needs the attached networks \"orientation\" and "
           "\"descriptor\" (task.orientation, task.descriptor)");
  return n;
}

Tensor crop_theta(const Tensor& centre, const Tensor& cos_sin, double scale) {
  OC_CHECK(centre.dim() == 2 && centre.size(1) == 2, "crop_theta: centre must be [N, 2], got ", centre.str());
  const int64_t n = centre.size(0);
  Tensor c, s;
  if (cos_sin.defined()) {
    OC_CHECK(cos_sin.shape() == centre.shape(), "crop_theta: cos_sin ", cos_sin.str(), " must match centre ",
             centre.str());
    c = mul(slice(cos_sin, 1, 0, 1), scale), s = mul(slice(cos_sin, 1, 1, 2), scale);
  } else {
    c = full({n, 1}, scale, centre.dtype(), centre.device()), s = zeros({n, 1}, centre.dtype(), centre.device());
  }
  Tensor row0 = cat({c, s, slice(centre, 1, 0, 1)}, 1), row1 = cat({neg(s), c, slice(centre, 1, 1, 2)}, 1);
  return stack({row0, row1}, 1);
}

Tensor crop_patches(const Tensor& images, const Tensor& theta, int64_t size) {
  Tensor grid = affine_grid(theta, {images.size(0), images.size(1), size, size}, false);
  return grid_sample(images, grid);
}

Tensor predict_orientation(Network& orientation, const Tensor& crops) {
  Tensor o = orientation.forward(crops);
  OC_CHECK(o.dim() == 2 && o.size(1) == 2, "lift: the orientation network must give [N, 2] (cos, sin), got ",
           o.str());
  return unit_rows(o);
}

Tensor describe(Network& descriptor, const Tensor& crops) {
  Tensor d = descriptor.forward(crops);
  OC_CHECK(d.dim() == 2, "lift: the descriptor network must give [N, D] vectors, got ", d.str());
  return unit_rows(d);
}

Tensor compose_rotations(const Tensor& a, const Tensor& b) {
  Tensor ca = slice(a, 1, 0, 1), sa = slice(a, 1, 1, 2), cb = slice(b, 1, 0, 1), sb = slice(b, 1, 1, 2);
  return cat({sub(mul(ca, cb), mul(sa, sb)), add(mul(sa, cb), mul(ca, sb))}, 1);
}

Tensor inverse_rotation(const Tensor& a) { return cat({slice(a, 1, 0, 1), neg(slice(a, 1, 1, 2))}, 1); }

Tensor turn_error_loss(const Tensor& o1, const Tensor& o2, const Tensor& truth) {
  Tensor err = compose_rotations(compose_rotations(o2, inverse_rotation(o1)), inverse_rotation(truth));
  return mean(rsub(1.0, slice(err, 1, 0, 1)));
}

}  // namespace oc
