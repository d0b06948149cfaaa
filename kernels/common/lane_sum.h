// Long sums in double on the CPU without one dependent chain of adds: eight independent partial
// sums, which overlap in the pipeline (and vectorize), added together at the end.
#pragma once
#include <cstdint>

namespace oc {

// sum of f(k) for k < n; f returns double.
template <class F>
double lane_sum(int64_t n, F f) {
  constexpr int kLanes = 8;
  double acc[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += f(k + j);
  for (; k < n; ++k) acc[k % kLanes] += f(k);
  double s = 0;
  for (double a : acc) s += a;
  return s;
}

}  // namespace oc
