// The CUDA-vs-CPU comparison shared by every parity test: run f on CPU inputs and on CUDA copies of
// them (separate leaves), compare the outputs, then the gradients of sum(w * f) with respect to
// every floating input, each with its stated tolerance.
#pragma once
#include <functional>
#include <vector>

#include "tests/helpers.h"

namespace oc::test {

inline const Device kCuda = Device::cuda(0);

using ParityFn = std::function<Tensor(const std::vector<Tensor>&)>;

void check_parity(const ParityFn& f, const std::vector<Tensor>& inputs, Tol out_tol, Tol grad_tol, bool grads = true);

}  // namespace oc::test
