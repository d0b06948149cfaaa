// The elementwise losses (MSE, L1, smooth L1, BCE-with-logits) and the reductions, composed of
// kernels/ ops (their gradient rules give the losses' gradients). Cross-entropy: cross_entropy.cpp.
#include "losses/losses.h"

#include <cmath>

#include "core/enum_names.h"
#include "kernels/common/checks.h"
#include "kernels/ops.h"

namespace oc {

constexpr EnumName<Reduction> kReductionNames[] = {
    {Reduction::none, "none"}, {Reduction::mean, "mean"}, {Reduction::sum, "sum"}};

Reduction parse_reduction(const std::string& s) { return enum_from_name(kReductionNames, s, "reduction: unknown value"); }
const char* reduction_name(Reduction r) { return enum_to_name(kReductionNames, r); }

namespace {

Tensor apply_reduction(const Tensor& per_element, Reduction r) {
  switch (r) {
    case Reduction::none: return per_element;
    case Reduction::mean: return mean(per_element);  // NaN for an empty input, as PyTorch
    case Reduction::sum: return sum(per_element);
  }
  OC_FAIL("reduction: invalid value ", static_cast<int>(r));
}

// input and target: defined, one floating dtype, one device, one shape.
void check_pair(const char* op, const char* input_name, const Tensor& input, const Tensor& target) {
  OC_CHECK(input.defined(), op, ": ", input_name, " is undefined");
  OC_CHECK(target.defined(), op, ": target is undefined");
  check_floating(op, input);
  OC_CHECK(target.dtype() == input.dtype(), op, ": target ", target.str(), " and ", input_name, " ", input.str(),
           " must have the same dtype");
  check_same_device(op, {&input, &target});
  OC_CHECK(target.shape() == input.shape(), op, ": target ", shape_str(target.shape()), " and ", input_name, " ",
           shape_str(input.shape()), " must have the same shape");
}

// True when `s` broadcasts to `to` without growing it (NumPy rule, trailing dims aligned).
bool broadcasts_to(const Shape& s, const Shape& to) {
  if (s.size() > to.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    int64_t a = s[s.size() - 1 - i], b = to[to.size() - 1 - i];
    if (a != b && a != 1) return false;
  }
  return true;
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction r) {
  check_pair("mse_loss", "input", input, target);
  Tensor d = sub(input, target);
  return apply_reduction(mul(d, d), r);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction r) {
  check_pair("l1_loss", "input", input, target);
  return apply_reduction(abs(sub(input, target)), r);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, double beta, Reduction r) {
  check_pair("smooth_l1_loss", "input", input, target);
  OC_CHECK(beta >= 0 && std::isfinite(beta), "smooth_l1_loss: beta must be finite and >= 0, got ", beta);
  if (beta == 0) return l1_loss(input, target, r);  // PyTorch's special case (the quadratic part vanishes)
  Tensor z = abs(sub(input, target));
  // z < beta: 0.5 z^2 / beta (slope z / beta, 1 at the seam); else z - 0.5 beta (slope 1).
  Tensor quadratic = div(mul(mul(z, 0.5), z), beta);
  Tensor linear = sub(z, 0.5 * beta);
  Tensor inside = lt(z.detach(), full({}, beta, z.dtype(), z.device()));
  return apply_reduction(where(inside, quadratic, linear), r);
}

Tensor bce_with_logits(const Tensor& logits, const Tensor& target, Reduction r, const Tensor& pos_weight) {
  const char* op = "bce_with_logits";
  check_pair(op, "logits", logits, target);
  Tensor pw;
  if (pos_weight.defined()) {
    OC_CHECK(pos_weight.dtype() == logits.dtype(), op, ": pos_weight ", pos_weight.str(), " and logits ",
             logits.str(), " must have the same dtype");
    check_same_device(op, {&logits, &pos_weight});
    OC_CHECK(broadcasts_to(pos_weight.shape(), target.shape()), op, ": pos_weight ", shape_str(pos_weight.shape()), " does not broadcast to target ",
             shape_str(target.shape()));
    pw = pos_weight.detach();
  }
  // softplus(-x) = -log sigmoid(x) = m + log(e^-m + e^(-x-m)) with m = max(-x, 0): both exponents
  // are <= 0, so nothing overflows, and one term is 1, so the log never sees 0. The gradient through
  // m cancels exactly (d/dm = 1 - 1), leaving -sigmoid(-x). Term order as PyTorch 1.13 (Loss.cpp).
  Tensor m = relu(neg(logits));
  Tensor log_term = log(add(exp(neg(m)), exp(sub(neg(logits), m))));
  Tensor linear = mul(rsub(1.0, target), logits);  // (1 - t) x
  Tensor loss;
  if (pw.defined()) {
    Tensor log_weight = add(mul(sub(pw, 1.0), target), 1.0);  // 1 + (p - 1) t
    loss = add(linear, mul(log_weight, add(log_term, m)));
  } else {
    loss = add(add(linear, m), log_term);
  }
  return apply_reduction(loss, r);
}

}  // namespace oc
