// Reverse-mode autograd over a dynamic graph. Each op records one Node on its output holding the
// op's gradient rule (a closure over what backward needs); backward() runs the nodes in reverse
// topological order and frees each closure as soon as it has run.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace oc {

// Given dL/d(output), returns dL/d(input_i) for every input (undefined where not needed).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  const char* op = "";                       // for error messages
  std::vector<std::shared_ptr<Node>> next;   // per input: producer node, leaf accumulator, or null
  std::vector<bool> input_needs_grad;
  BackwardFn backward;                       // empty for leaf accumulators and after release
  bool is_leaf_accumulator = false;
  std::weak_ptr<TensorImpl> leaf;            // leaf accumulators: the tensor whose grad to sum into
  Shape out_shape;                           // checked against the incoming gradient
};

bool grad_enabled();
// Inside this scope ops record nothing (inference, optimizer updates, backward itself).
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// Data-parallel training (train/dist/) starts summing gradients over its processes while the rest
// of backward runs: backward() calls its thread's hook, when one is set, with each leaf whose
// gradient for this backward is complete (every contribution summed in), right after the last sum.
using GradReadyHook = std::function<void(const Tensor& leaf)>;
// Sets this thread's hook for the guard's scope (the previous one comes back after).
class GradReadyHookGuard {
 public:
  explicit GradReadyHookGuard(GradReadyHook hook);
  ~GradReadyHookGuard();
  GradReadyHookGuard(const GradReadyHookGuard&) = delete;
  GradReadyHookGuard& operator=(const GradReadyHookGuard&) = delete;

 private:
  GradReadyHook prev_;
};

bool any_requires_grad(const std::vector<Tensor>& inputs);
// Records `out` as computed by `op` from `inputs`: if grad mode is on and some input requires grad,
// `out` gets requires_grad and a Node with `rule`. Capture inputs with detach() where the rule
// needs their values, and never capture `out` itself undetached (that would form a cycle).
void record_op(Tensor& out, const char* op, const std::vector<Tensor>& inputs, BackwardFn rule);

// Core needs two ops to run backward; they are defined in kernels/ with the other ops.
Tensor add(const Tensor& a, const Tensor& b);
Tensor ones_like(const Tensor& t);

}  // namespace oc
