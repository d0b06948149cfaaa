// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
// counter-based generator, so element i of a draw is a pure function of (seed, offset, i) and the
// CPU and CUDA kernels produce the same streams. Shared by both.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/hd.h"

namespace oc {

struct PhiloxBlock {
  uint32_t w[4];
};

OC_HD void philox_mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// The 4 words of block `counter` under key `seed`.
OC_HD PhiloxBlock philox4x32_10(uint64_t counter, uint64_t seed) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(0xD2511F53u, c0, hi0, lo0);
    philox_mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return PhiloxBlock{{c0, c1, c2, c3}};
}

// A uniform number in (0, 1]: never 0, so log() is safe in Box-Muller.
OC_HD double philox_unit(uint32_t w) { return (static_cast<double>(w) + 1.0) * (1.0 / 4294967296.0); }

enum class RandomKind { uniform, normal, bernoulli };

// Element i of a draw starting at block `offset`. uniform: a + (b-a) u; normal: mean a, std b
// (Box-Muller on the two words of half a block); bernoulli: 1 with probability a.
OC_HD double philox_sample(RandomKind kind, uint64_t seed, uint64_t offset, int64_t i, double a, double b) {
  if (kind == RandomKind::normal) {
    PhiloxBlock blk = philox4x32_10(offset + static_cast<uint64_t>(i / 2), seed);
    int h = static_cast<int>(i % 2) * 2;
    double u1 = philox_unit(blk.w[h]), u2 = philox_unit(blk.w[h + 1]);
    return a + b * ::sqrt(-2.0 * ::log(u1)) * ::cos(6.283185307179586 * u2);
  }
  PhiloxBlock blk = philox4x32_10(offset + static_cast<uint64_t>(i / 4), seed);
  double u = philox_unit(blk.w[i % 4]);
  if (kind == RandomKind::uniform) return a + (b - a) * (u - 0.5 / 4294967296.0);  // centre of the bin, in (0,1)
  return (1.0 - u) < a ? 1.0 : 0.0;
}

// Blocks consumed by a draw of n elements (the generator's offset advances by this).
OC_HD uint64_t philox_blocks(RandomKind kind, int64_t n) {
  return kind == RandomKind::normal ? static_cast<uint64_t>((n + 1) / 2) : static_cast<uint64_t>((n + 3) / 4);
}

}  // namespace oc
