// Front end of the random draws: argument checks, generator bookkeeping, dispatch.
#include "kernels/random/random.h"

#include <cmath>
#include <numeric>
#include <vector>

#include "kernels/common/dispatch.h"
#include "kernels/fill/fill.h"
#include "kernels/random/random_kernels.h"

namespace oc {
namespace {

Tensor draw(const char* op, RandomKind kind, const Shape& shape, double a, double b, Generator* gen, DType dtype,
            Device device) {
  OC_CHECK(dtype == DType::f32 || dtype == DType::f64, op, ": dtype must be float32 or float64, got ",
           dtype_name(dtype));
  Generator& g = gen ? *gen : default_generator();
  Tensor t = Tensor::empty(shape, dtype, device);
  if (t.numel() > 0) OC_ON_DEVICE(device, random_fill, t, kind, a, b, g.seed, g.offset);
  g.offset += philox_blocks(kind, t.numel());
  return t;
}

}  // namespace

Generator& default_generator() {
  static Generator g(20261125);
  return g;
}

void manual_seed(uint64_t seed) { default_generator() = Generator(seed); }

Tensor uniform(const Shape& shape, double lo, double hi, Generator* gen, DType dtype, Device device) {
  OC_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo <= hi, "uniform: need finite lo <= hi, got ", lo, ", ", hi);
  return draw("uniform", RandomKind::uniform, shape, lo, hi, gen, dtype, device);
}

Tensor normal(const Shape& shape, double mean, double std, Generator* gen, DType dtype, Device device) {
  OC_CHECK(std::isfinite(mean) && std::isfinite(std) && std >= 0, "normal: need finite mean and std >= 0, got ",
           mean, ", ", std);
  return draw("normal", RandomKind::normal, shape, mean, std, gen, dtype, device);
}

Tensor bernoulli(const Shape& shape, double p, Generator* gen, DType dtype, Device device) {
  OC_CHECK(p >= 0 && p <= 1, "bernoulli: p must be in [0, 1], got ", p);
  return draw("bernoulli", RandomKind::bernoulli, shape, p, 0, gen, dtype, device);
}

Tensor randperm(int64_t n, Generator* gen, Device device) {
  OC_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  Generator& g = gen ? *gen : default_generator();
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = n - 1; i > 0; --i) {
    // Uniform j in [0, i] from 64 random bits (bias below 2^-32 for any realistic n).
    PhiloxBlock blk = philox4x32_10(g.offset + static_cast<uint64_t>(i), g.seed);
    uint64_t r = (static_cast<uint64_t>(blk.w[0]) << 32) | blk.w[1];
    std::swap(perm[i], perm[r % static_cast<uint64_t>(i + 1)]);
  }
  g.offset += static_cast<uint64_t>(n);
  return from_vector(perm, {n}, device);
}

}  // namespace oc
