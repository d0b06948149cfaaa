// cross_entropy and nll_loss as composites: log_softmax over the class dim, then gather of the target
// class. Spatial inputs [N,C,d1,...] are first viewed class-last [N,d1,...,C] (one permute), so
// log_softmax runs over contiguous rows and the target index [N,d1,...,1] gathers along the last dim;
// the gradient is then gather's (scatter into zeros) chained with log_softmax's.
//
// Targets are int64 class indices; the bookkeeping on them (ignore mask, range check, class weight of
// each target) is done in float64, which holds every index below 2^53 exactly.
#include <cmath>

#include "kernels/common/checks.h"
#include "kernels/ops.h"
#include "losses/losses.h"

namespace oc {
namespace {

// [N,C,d1,...,dk] -> view [N,d1,...,dk,C].
Tensor class_last(const Tensor& x) {
  if (x.dim() == 2) return x;
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  dims.push_back(1);
  return permute(x, dims);
}

void check_inputs(const char* op, const char* what, const Tensor& x, const Tensor& target,
                  const CrossEntropyOptions& opt) {
  OC_CHECK(x.defined(), op, ": ", what, " is undefined");
  OC_CHECK(target.defined(), op, ": target is undefined");
  check_floating(op, x);
  OC_CHECK(x.dim() >= 2, op, ": ", what, " ", shape_str(x.shape()), " must be [N, C] or [N, C, d1, ...]");
  OC_CHECK(target.dtype() == DType::i64, op, ": target must be int64 class indices, got ", target.str(),
           " (", what, " ", shape_str(x.shape()), ")");
  check_same_device(op, {&x, &target});
  Shape want = x.shape();
  want.erase(want.begin() + 1);
  OC_CHECK(target.shape() == want, op, ": target ", shape_str(target.shape()), " does not match ", what, " ",
           shape_str(x.shape()), " (expected target ", shape_str(want), ")");
  if (opt.weight.defined()) {
    OC_CHECK(opt.weight.dim() == 1 && opt.weight.size(0) == x.size(1), op, ": weight ",
             shape_str(opt.weight.shape()), " must have one entry per class, C = ", x.size(1), " (", what, " ",
             shape_str(x.shape()), ")");
    OC_CHECK(opt.weight.dtype() == x.dtype(), op, ": weight ", opt.weight.str(), " and ", what, " ", x.str(),
             " must have the same dtype");
    check_same_device(op, {&x, &opt.weight});
  }
  OC_CHECK(opt.label_smoothing >= 0 && opt.label_smoothing <= 1, op, ": label_smoothing must be in [0, 1], got ",
           opt.label_smoothing);
  OC_CHECK(opt.reduction == Reduction::none || opt.reduction == Reduction::mean || opt.reduction == Reduction::sum,
           op, ": invalid reduction ", static_cast<int>(opt.reduction));
}

struct ClassTargets {
  Tensor index;   // int64 [N,d1,...,1]: the target class, 0 where ignored
  Tensor weight;  // x's dtype [N,d1,...]: w[t] (1 without class weights), 0 where ignored
  Tensor keep;    // bool [N,d1,...]: false where ignored
};

// The ignore mask, the range check (one host read of the extreme indices) and the per-target weights.
ClassTargets class_targets(const char* op, const char* what, const Tensor& x, const Tensor& target,
                           const CrossEntropyOptions& opt) {
  NoGradGuard no_grad;
  const int64_t classes = x.size(1);
  const Device dev = target.device();
  Tensor t = to(target, DType::f64);
  Tensor keep = ne(t, full({}, static_cast<double>(opt.ignore_index), DType::f64, dev));
  Tensor safe = where(keep, t, zeros({}, DType::f64, dev));
  if (safe.numel() > 0) {
    std::vector<double> extremes = to_vector<double>(stack({max(safe), min(safe)}, 0));
    for (double v : extremes)
      OC_CHECK(v >= 0 && v < static_cast<double>(classes), op, ": target class index ", static_cast<int64_t>(v),
               " is out of range for C = ", classes, " classes (", what, " ", shape_str(x.shape()), ", target ",
               shape_str(target.shape()), ", ignore_index ", opt.ignore_index, ")");
  }
  ClassTargets ct;
  ct.index = unsqueeze(to(safe, DType::i64), safe.dim());
  ct.keep = keep;
  Tensor valid = to(keep, x.dtype());
  if (opt.weight.defined()) {
    Tensor w = index_select(opt.weight.detach(), 0, flatten(ct.index));
    ct.weight = mul(reshape(w, target.shape()), valid);
  } else {
    ct.weight = valid;
  }
  return ct;
}

// The loss from class-last log-probabilities lp [N,d1,...,C].
Tensor nll_from_log_probs(const Tensor& lp, const ClassTargets& ct, const CrossEntropyOptions& opt) {
  const int64_t classes = lp.size(-1);
  Tensor picked = squeeze(gather(lp, lp.dim() - 1, ct.index), lp.dim() - 1);  // lp[..., t]
  // where, not a product with the mask: an ignored row contributes 0 (and gets gradient 0) even when
  // its log-probabilities are -inf.
  Tensor zero = zeros({}, lp.dtype(), lp.device());
  Tensor nll = where(ct.keep, neg(mul(picked, ct.weight)), zero);  // -w[t] lp[t], 0 if ignored
  Tensor denom;  // mean: the sum of w[t] over non-ignored targets
  if (opt.reduction == Reduction::mean) denom = sum(ct.weight);
  auto reduce = [&](const Tensor& per_element) {
    switch (opt.reduction) {
      case Reduction::none: return per_element;
      case Reduction::sum: return sum(per_element);
      case Reduction::mean: break;
    }
    return div(sum(per_element), denom);
  };
  Tensor loss = reduce(nll);
  if (opt.label_smoothing == 0) return loss;
  // PyTorch 1.13 (cross_entropy_loss_label_smoothing): smooth = -sum_c w[c] lp[c], 0 where ignored,
  // reduced like nll (mean: over the same divisor), then (1 - e) nll + (e / C) smooth.
  Tensor all = opt.weight.defined() ? sum(mul(lp, opt.weight.detach()), {-1}) : sum(lp, {-1});
  Tensor smooth = reduce(where(ct.keep, neg(all), zero));
  const double e = opt.label_smoothing;
  return add(mul(loss, 1 - e), mul(smooth, e / static_cast<double>(classes)));
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& target, const CrossEntropyOptions& opt) {
  check_inputs("cross_entropy", "logits", logits, target, opt);
  ClassTargets ct = class_targets("cross_entropy", "logits", logits, target, opt);
  Tensor lp = log_softmax(class_last(logits), -1);
  return nll_from_log_probs(lp, ct, opt);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, const CrossEntropyOptions& opt) {
  check_inputs("nll_loss", "log_probs", log_probs, target, opt);
  OC_CHECK(opt.label_smoothing == 0, "nll_loss: label_smoothing must be 0, got ", opt.label_smoothing,
           " (use cross_entropy)");
  ClassTargets ct = class_targets("nll_loss", "log_probs", log_probs, target, opt);
  return nll_from_log_probs(class_last(log_probs), ct, opt);
}

}  // namespace oc
