// Reductions on CUDA by hand: NaN wins max/argmax and the first NaN is the one reported, wherever
// the lanes, warps and blocks hold them (the parity of every layout comes from reduce_cases.cpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include "tests/cuda/parity.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("NaN wins max/argmax, and the first NaN is the one reported") {
  // NaNs far apart in long rows, so that different lanes, warps and (for the split rows) blocks each
  // hold one and the tree must still report the first.
  for (int64_t cols : {int64_t{37}, int64_t{5000}, int64_t{200000}}) {
    INFO("cols " << cols);
    std::vector<float> v = to_vector<float>(test::rand({3, cols}, 321));
    const float nan = std::numeric_limits<float>::quiet_NaN();
    v[cols - 1] = nan;                              // row 0: one NaN, at the end
    v[cols + cols / 2] = nan;                       // row 1: two NaNs, the first in the middle
    v[cols + cols - 2] = nan;
    v[2 * cols + 5] = nan;                          // row 2: a NaN early and another at the start of a late warp
    v[2 * cols + std::min<int64_t>(cols - 1, 4100)] = nan;
    Tensor x = from_vector(v, {3, cols});
    for (auto op : {+[](const Tensor& t) { return argmax(t, 1); }, +[](const Tensor& t) { return argmin(t, 1); },
                    +[](const Tensor& t) { return max(t, {1}); }, +[](const Tensor& t) { return min(t, {1}); }})
      check_parity([op](const std::vector<Tensor>& in) { return op(in[0]); }, {x}, kExact, kExact, false);
  }
}
