// Shape helpers shared by every op's front-end checks.
#include "core/shape.h"

#include <algorithm>

#include "core/error.h"

namespace oc {

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

// A shape whose element count (or, with empty dims counted as 1, whose strides) would not fit in
// int64 cannot be addressed: a file that claims one (an IDX header, a safetensors shape) must end in a
// clear error, not in an overflow.
namespace {
int64_t checked_product(const Shape& s, bool empty_as_one) {
  int64_t n = 1;
  for (int64_t d : s)
    OC_CHECK(!__builtin_mul_overflow(n, empty_as_one ? std::max<int64_t>(d, 1) : d, &n), "the shape ",
             shape_str(s), " has more elements than int64 can count");
  return n;
}
}  // namespace

int64_t shape_numel(const Shape& s) { return checked_product(s, false); }

Shape contiguous_strides(const Shape& s) {
  checked_product(s, true);
  Shape st(s.size());
  int64_t acc = 1;
  for (int64_t i = static_cast<int64_t>(s.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return st;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    OC_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ", shape_str(b),
             " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t lo = ndim > 0 ? -ndim : -1, hi = ndim > 0 ? ndim - 1 : 0;
  OC_CHECK(dim >= lo && dim <= hi, op, ": dimension ", dim, " is out of range for a tensor of ", ndim,
           " dims (expected ", lo, "..", hi, ")");
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

}  // namespace oc
