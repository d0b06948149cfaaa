// Numeric test helpers without Catch2 (the op case tables use them, and the tables are linked into
// the `ocellus` command too): seeded random tensors, closeness with a mixed bound, and a
// finite-difference gradient check in float64.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "kernels/ops.h"

namespace oc::test {

// Uniform in [lo, hi) from a fixed seed; never all zeros.
Tensor rand(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1, DType dtype = DType::f32,
            Device device = Device::cpu());

// Random int64 indices in [0, n) (host RNG; only the values matter).
Tensor random_index(const Shape& shape, int64_t n, uint64_t seed);

// A bound |got - want| <= atol + rtol * |want|.
struct Tol {
  double atol, rtol;
};
inline constexpr Tol kExact{0, 0};

// Every |got - want| <= atol + rtol * |want| (NaN only where want is NaN, an infinity only where want
// is the same one); on failure the message names the first bad element, its index and both values.
struct CloseResult {
  bool ok = true;
  std::string message;
};
CloseResult all_close(const Tensor& got, const Tensor& want, double atol, double rtol);

// Compares d(sum(w * f(inputs)))/d(input) from backward with central differences
// (f(x + eps) - f(x - eps)) / 2 eps, computed in float64 on the CPU, for every input that requires
// grad. w is a fixed random weight tensor, so every output element's gradient matters.
CloseResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f, std::vector<Tensor> inputs,
                      double eps = 1e-6, double atol = 1e-7, double rtol = 1e-5);

}  // namespace oc::test
