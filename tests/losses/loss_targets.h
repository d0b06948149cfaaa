// Seeded class targets for the loss tests (the case table and the hand tests).
#pragma once
#include <random>
#include <vector>

#include "kernels/ops.h"

namespace oc::test {

// Class targets in [0, classes), about a quarter set to `ignore` when `with_ignored` (then at least
// one ignored, and one kept).
inline Tensor random_targets(const Shape& shape, int64_t classes, uint64_t seed, bool with_ignored, int64_t ignore) {
  std::mt19937_64 rng(seed);
  std::vector<int64_t> v(shape_numel(shape));
  for (auto& e : v) {
    e = static_cast<int64_t>(rng() % static_cast<uint64_t>(classes));
    if (with_ignored && rng() % 4 == 0) e = ignore;
  }
  if (with_ignored && !v.empty() && v[0] != ignore) v[0] = ignore;
  if (v.size() > 1 && v[1] == ignore) v[1] = (ignore == 0 ? 1 : 0);
  return from_vector(v, shape);
}

}  // namespace oc::test
