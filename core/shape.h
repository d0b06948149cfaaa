// Shapes and strides (in elements), and the NumPy broadcasting rule.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace oc {

using Shape = std::vector<int64_t>;

constexpr int kMaxDims = 8;  // kernels index with fixed-size arrays of this length

std::string shape_str(const Shape& s);  // "[2, 3, 4]"
int64_t shape_numel(const Shape& s);
Shape contiguous_strides(const Shape& s);
// Result shape of broadcasting a with b; throws naming `op` and both shapes when they don't broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Normalizes a possibly negative axis for a tensor of `ndim` dims; throws naming `op` when out of range.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

}  // namespace oc
