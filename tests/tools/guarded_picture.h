// A uint8 [3,H,W] picture of seeded noise inside a larger buffer whose other bytes are sentinels:
// the drawing tests check which pixels changed and that nothing was written outside the image.
#pragma once
#include <algorithm>
#include <cstdint>
#include <random>

#include "core/tensor.h"
#include "tools/draw.h"

namespace oc::test {

struct GuardedPicture {
  static constexpr int64_t kGuard = 64;  // sentinel bytes on each side of the picture
  Tensor buffer, image, before;          // image: a view into buffer; before: buffer as it was made
  int64_t H, W;
  GuardedPicture(int64_t h, int64_t w, uint32_t seed) : H(h), W(w) {
    buffer = Tensor::empty({3 * H * W + 2 * kGuard}, DType::u8);
    std::mt19937 rng(seed);
    uint8_t* b = buffer.data<uint8_t>();
    for (int64_t i = 0; i < buffer.numel(); ++i) b[i] = static_cast<uint8_t>(rng());
    image = buffer.as_strided({3, H, W}, {H * W, W, 1}, kGuard);
    before = Tensor::empty({buffer.numel()}, DType::u8);
    std::copy(b, b + buffer.numel(), before.data<uint8_t>());
  }
  cli::Rgb at(int64_t x, int64_t y) const { return rgb_of(buffer, x, y); }   // now
  cli::Rgb was(int64_t x, int64_t y) const { return rgb_of(before, x, y); }  // before drawing
  bool sentinels_intact() const {
    const uint8_t *a = buffer.data<uint8_t>(), *b = before.data<uint8_t>();
    const int64_t n = buffer.numel();
    return std::equal(a, a + kGuard, b) && std::equal(a + n - kGuard, a + n, b + n - kGuard);
  }

 private:
  cli::Rgb rgb_of(const Tensor& t, int64_t x, int64_t y) const {
    const uint8_t* p = t.data<uint8_t>() + kGuard;
    return {p[y * W + x], p[(H + y) * W + x], p[(2 * H + y) * W + x]};
  }
};

}  // namespace oc::test
