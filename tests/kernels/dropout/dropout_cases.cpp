// The dropout case table: with a generator of a fixed seed, dropout is x * bernoulli(1 - p) / (1 - p)
// drawn from that generator; checked against that formula, by float64 finite differences, and CUDA
// against the CPU (Philox gives the same bits on both devices). PyTorch draws other masks: no goldens.
#include "tests/op_cases.h"

namespace oc::test {
namespace {

// transpose: x [A, B] read as its [B, A] transpose (the mask follows the view's logical order).
OpCase dropout_row(const Shape& x, double p, uint64_t seed, bool transposed = false) {
  OpCase c;
  c.op = "dropout";
  c.shapes = {x};
  c.params = {{"p", p}, {"seed", seed}};
  if (transposed) c.params["transpose"] = true;
  c.inputs = uniform_inputs(c.shapes);
  auto view = [transposed](const Tensor& t) { return transposed ? transpose(t, 0, 1) : t; };
  c.run = [=](const std::vector<Tensor>& in) {
    Generator g(seed);
    return dropout(view(in[0]), p, true, &g);
  };
  c.reference = [=](const std::vector<Tensor>& in) {
    Generator g(seed);
    const Tensor v = view(in[0]);
    return mul(v, div(bernoulli(v.shape(), 1 - p, &g, DType::f64), 1 - p));
  };
  // One multiply by the scale: float32 within an ulp of the double product.
  c.fwd64 = {0, 1e-15}, c.fwd32 = {0, 1e-6};
  c.cuda32 = c.cuda32_grad = c.cuda64 = c.cuda64_grad = kExact;
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(dropout) {
  std::vector<OpCase> t;
  t.push_back(with_checks(dropout_row({3, 7}, 0.3, 65), true, false));  // the gradient is the scaled mask
  for (const Shape& shape : {Shape{7}, Shape{64, 3, 17, 5}, Shape{1000003}})
    for (double p : {0.1, 0.5, 0.9}) t.push_back(dropout_row(shape, p, 752));
  t.push_back(dropout_row({33, 65}, 0.3, 753, true));
  return t;
}
