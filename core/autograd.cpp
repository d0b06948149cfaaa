// The autograd engine: graph recording and the backward pass.
#include "core/autograd.h"

#include <unordered_map>
#include <vector>

namespace oc {
namespace {
thread_local bool t_grad_enabled = true;
thread_local GradReadyHook t_grad_ready_hook;

std::shared_ptr<Node> grad_node_of(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return nullptr;
  if (t.grad_fn()) return t.grad_fn();
  auto& impl = t.impl();
  auto acc = impl.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<Node>();
    acc->op = "accumulate_grad";
    acc->is_leaf_accumulator = true;
    acc->leaf = t.impl_ptr();
    acc->out_shape = t.shape();
    impl.grad_accumulator = acc;
  }
  return acc;
}

void accumulate_into_leaf(Node& node, const Tensor& g) {
  auto leaf_impl = node.leaf.lock();
  if (!leaf_impl) return;  // the leaf is gone; nobody can read its gradient
  Tensor leaf(leaf_impl);
  OC_CHECK(g.dtype() == leaf.dtype() && g.device() == leaf.device(), "backward: gradient ", g.str(),
           " does not match leaf ", leaf.str());
  // Out of place: a gradient tensor may be shared by several inputs of one op.
  leaf_impl->grad = leaf.grad().defined() ? add(leaf.grad(), g).impl_ptr() : g.impl_ptr();
  // A leaf's accumulator runs once per backward, after all its producers: its gradient is complete.
  if (t_grad_ready_hook) t_grad_ready_hook(leaf);
}
}  // namespace

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : prev_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = prev_; }
GradReadyHookGuard::GradReadyHookGuard(GradReadyHook hook) : prev_(std::move(t_grad_ready_hook)) {
  t_grad_ready_hook = std::move(hook);
}
GradReadyHookGuard::~GradReadyHookGuard() { t_grad_ready_hook = std::move(prev_); }

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record_op(Tensor& out, const char* op, const std::vector<Tensor>& inputs, BackwardFn rule) {
  if (!t_grad_enabled || !any_requires_grad(inputs)) return;
  auto node = std::make_shared<Node>();
  node->op = op;
  node->backward = std::move(rule);
  node->out_shape = out.shape();
  for (const auto& t : inputs) {
    node->next.push_back(grad_node_of(t));
    node->input_needs_grad.push_back(t.defined() && t.requires_grad());
  }
  out.impl().requires_grad = true;
  out.impl().grad_fn = std::move(node);
}

void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  OC_CHECK(requires_grad(), "backward: tensor ", str(), " does not require grad (no input of the ",
           "graph has requires_grad set, or it was computed under no_grad)");
  Tensor seed = grad;
  if (!seed.defined()) {
    OC_CHECK(numel() == 1, "backward: an implicit gradient needs a one-element output, got shape ",
             shape_str(shape()), "; pass the gradient explicitly");
    seed = ones_like(*this);
  }
  OC_CHECK(seed.shape() == shape(), "backward: gradient shape ", shape_str(seed.shape()),
           " differs from output shape ", shape_str(shape()));
  NoGradGuard no_grad;

  std::shared_ptr<Node> root = grad_node_of(*this);
  // Count, for every node, how many consumers will send it a gradient.
  std::unordered_map<Node*, int> pending;
  std::vector<Node*> stack{root.get()};
  pending[root.get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& nx : n->next) {
      if (!nx) continue;
      if (pending.emplace(nx.get(), 0).second) stack.push_back(nx.get());
      pending[nx.get()]++;
    }
  }

  std::unordered_map<Node*, Tensor> grads{{root.get(), seed}};
  std::vector<std::shared_ptr<Node>> ready{root};
  while (!ready.empty()) {
    std::shared_ptr<Node> node = ready.back();
    ready.pop_back();
    auto found = grads.find(node.get());
    Tensor g = found == grads.end() ? Tensor() : found->second;
    if (found != grads.end()) grads.erase(found);
    std::vector<Tensor> in_grads(node->next.size());
    if (g.defined()) {  // a node no gradient reached only passes the countdown on
      if (!node->backward) {
        if (node->is_leaf_accumulator) {
          accumulate_into_leaf(*node, g);
          continue;
        }
        OC_FAIL("backward: the graph through ", node->op, " was already freed by an earlier backward ",
                "(pass retain_graph=true to backward twice)");
      }
      in_grads = node->backward(g);
      OC_CHECK(in_grads.size() == node->next.size(), "backward of ", node->op, " returned ", in_grads.size(),
               " gradients for ", node->next.size(), " inputs");
      if (!retain_graph) node->backward = nullptr;  // frees the tensors the rule captured
    }
    for (size_t i = 0; i < node->next.size(); ++i) {
      const auto& nx = node->next[i];
      if (!nx) continue;
      const Tensor& gi = in_grads[i];
      if (gi.defined()) {
        OC_CHECK(gi.shape() == nx->out_shape, "backward of ", node->op, ": gradient for input ", i,
                 " has shape ", shape_str(gi.shape()), ", expected ", shape_str(nx->out_shape));
        auto it = grads.find(nx.get());
        if (it == grads.end()) grads.emplace(nx.get(), gi);
        else it->second = add(it->second, gi);
      }
      if (--pending[nx.get()] == 0) ready.push_back(nx);
    }
  }
}

}  // namespace oc
