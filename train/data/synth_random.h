// The random stream of one synthetic image: Philox blocks (index << 32) + 0, 1, ... keyed by the
// seed, so image i is a pure function of (seed, i) whatever the thread or order that draws it.
// Integer and real draws are written out here (no std::*_distribution: their output differs
// between standard libraries).
#pragma once
#include <cmath>
#include <cstdint>

#include "kernels/random/philox.h"

namespace oc {

class SynthRandom {
 public:
  SynthRandom(uint64_t seed, int64_t index) : seed_(seed), next_(static_cast<uint64_t>(index) << 32) {}
  uint32_t word() {
    if (used_ == 4) block_ = philox4x32_10(next_++, seed_), used_ = 0;
    return block_.w[used_++];
  }
  double unit() { return static_cast<double>(word()) * (1.0 / 4294967296.0); }  // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * unit(); }
  // An integer in [0, n), n <= 2^32 (multiply-shift: no modulo bias worth counting at these n).
  int64_t below(int64_t n) { return static_cast<int64_t>((static_cast<uint64_t>(word()) * static_cast<uint64_t>(n)) >> 32); }
  bool chance(double p) { return unit() < p; }

 private:
  uint64_t seed_, next_;
  PhiloxBlock block_{};
  int used_ = 4;
};

}  // namespace oc
