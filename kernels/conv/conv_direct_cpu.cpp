// Direct convolution on the CPU (conv_direct_cpu.h). Every pass is one image at a time:
// - forward and input gradient are the same direct convolution (the input gradient of a stride-1
//   convolution is a convolution of gy with the flipped, transposed weights). The image is copied
//   once into a zero-padded buffer whose columns are split by phase (column % stride), so the 16
//   outputs of a vector read 16 consecutive floats for every tap; each tile computes 12 output
//   channels of two 16-pixel runs over all C*R*S taps.
// - weight gradient: each tile sums, over the image's output pixels, up to 24 taps of the padded
//   input times 16, 32 or 48 output channels of gy (transposed to pixel-major once per image).
// Work is split over images (and output-channel blocks when the batch is small); the weight
// gradient keeps one partial sum per fixed range of images, added in order, so results do not
// depend on thread timing.
#include "kernels/conv/conv_direct_cpu.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/conv/conv_parts_cpu.h"
#include "kernels/gemm/gemm_cpu.h"

namespace oc {
namespace {

using namespace conv_direct_detail;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Output runs per band of the forward pass (even: tiles take two), and output pixels per band of
// the weight gradient: a band's inputs and gradients are a few tens of KiB.
constexpr size_t kBandRuns = 16;
constexpr int64_t kBandPixels = 512;

// A per-thread buffer that grows and is kept (zeroed when it grows, so slack reads see zeros).
std::vector<float>& thread_buffer(int which) {
  thread_local std::vector<float> buffers[3];
  return buffers[which];
}

float* scratch(int which, int64_t n) {
  std::vector<float>& b = thread_buffer(which);
  if (static_cast<int64_t>(b.size()) < n) b.assign(static_cast<size_t>(n), 0.0f);
  return b.data();
}

// One image's direct convolution:
//   out[o, oh, ow] = bias[o] + sum_{i,r,s} wt[o, i, r, s] * in[i, oh*st + r*dh - pt, ow*st + s*dw - pl]
// with zeros outside in's [Hi, Wi].
struct DirectGeom {
  int64_t Ci, Hi, Wi, Co, R, S, Ho, Wo, st, dh, dw, pt, pl;
  int64_t taps() const { return Ci * R * S; }
  int64_t blocks() const { return ceil_div(Co, kRows); }
};

// The padded input: rows hp = ih + pt, columns wp = iw + pl stored at [phase = wp % st][q = wp / st],
// each row kLanes floats longer than any vector reads, and kLanes more floats at the end.
struct PhasedLayout {
  int64_t Hp, Wq, row, plane, size;
  explicit PhasedLayout(const DirectGeom& d) {
    Hp = (d.Ho - 1) * d.st + (d.R - 1) * d.dh + 1;
    const int64_t Wp = (d.Wo - 1) * d.st + (d.S - 1) * d.dw + 1;
    Wq = ceil_div(Wp, d.st) + kLanes;
    row = d.st * Wq;
    plane = Hp * row;
    size = d.Ci * plane + kLanes;
  }
};

// dst[j] = src[j - left] for j < n, zero where j - left falls outside [0, width).
void copy_padded_row(const float* src, int64_t width, int64_t left, float* dst, int64_t n) {
  const int64_t a = std::clamp<int64_t>(left, 0, n), b = std::clamp<int64_t>(left + width, a, n);
  std::fill(dst, dst + a, 0.0f);
  std::copy(src + (a - left), src + (b - left), dst + a);
  std::fill(dst + b, dst + n, 0.0f);
}

// Rows hp < Hp of a padded plane (row stride `row`, `n` floats written a row) from the plane src
// [H, W] read at row hp - top and column j - left: zero rows and columns outside it.
void pad_plane(const float* src, int64_t H, int64_t W, int64_t top, int64_t left, int64_t Hp, int64_t n, int64_t row,
               float* dst) {
  for (int64_t hp = 0; hp < Hp; ++hp, dst += row) {
    const int64_t ih = hp - top;
    if (ih < 0 || ih >= H) std::fill(dst, dst + n, 0.0f);
    else copy_padded_row(src + ih * W, W, left, dst, n);
  }
}

void fill_phased(const DirectGeom& d, const PhasedLayout& L, const float* in, float* buf) {
  for (int64_t i = 0; i < d.Ci; ++i) {
    if (d.st == 1) {  // one phase: plain padded rows
      pad_plane(in + i * d.Hi * d.Wi, d.Hi, d.Wi, d.pt, d.pl, L.Hp, L.row, L.row, buf + i * L.plane);
      continue;
    }
    for (int64_t hp = 0; hp < L.Hp; ++hp) {
      float* dst = buf + i * L.plane + hp * L.row;
      const int64_t ih = hp - d.pt;
      if (ih < 0 || ih >= d.Hi) {
        std::fill(dst, dst + L.row, 0.0f);
        continue;
      }
      const float* src = in + (i * d.Hi + ih) * d.Wi;
      for (int64_t phase = 0; phase < d.st; ++phase)
        for (int64_t q = 0; q < L.Wq; ++q) {
          const int64_t iw = q * d.st + phase - d.pl;
          dst[phase * L.Wq + q] = iw >= 0 && iw < d.Wi ? src[iw] : 0.0f;
        }
    }
  }
  std::fill(buf + d.Ci * L.plane, buf + L.size, 0.0f);
}

// Where tap (i, r, s) reads, relative to a vector's first pixel.
std::vector<int64_t> tap_offsets(const DirectGeom& d, const PhasedLayout& L) {
  std::vector<int64_t> off;
  off.reserve(static_cast<size_t>(d.taps()));
  for (int64_t i = 0; i < d.Ci; ++i)
    for (int64_t r = 0; r < d.R; ++r)
      for (int64_t s = 0; s < d.S; ++s)
        off.push_back(i * L.plane + r * d.dh * L.row + (s * d.dw) % d.st * L.Wq + (s * d.dw) / d.st);
  return off;
}

// Weights [block][tap][kRows], zero past Co: weight(o, i, r, s) gives wt.
template <class Weight>
std::vector<float> pack_weights(const DirectGeom& d, Weight weight) {
  const int64_t T = d.taps();
  std::vector<float> p(static_cast<size_t>(d.blocks() * T * kRows), 0.0f);
  for (int64_t o = 0; o < d.Co; ++o)
    for (int64_t i = 0; i < d.Ci; ++i)
      for (int64_t r = 0; r < d.R; ++r)
        for (int64_t s = 0; s < d.S; ++s) {
          const int64_t t = (i * d.R + r) * d.S + s;
          p[static_cast<size_t>(((o / kRows) * T + t) * kRows + o % kRows)] = weight(o, i, r, s);
        }
  return p;
}

struct Run {
  int64_t oh, ow0, n;  // up to 16 output pixels of one row
};

std::vector<Run> output_runs(const DirectGeom& d) {
  std::vector<Run> runs;
  for (int64_t oh = 0; oh < d.Ho; ++oh)
    for (int64_t ow = 0; ow < d.Wo; ow += kLanes) runs.push_back({oh, ow, std::min<int64_t>(kLanes, d.Wo - ow)});
  return runs;
}

uint32_t lanes_mask(int64_t n) { return n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1u; }

// N images: in [N, Ci, Hi, Wi] -> out [N, Co, Ho, Wo].
void direct_conv(const DirectGeom& d, int64_t N, const float* in, const std::vector<float>& wpack, const float* bias,
                 float* out) {
  const PhasedLayout L(d);
  const std::vector<int64_t> off = tap_offsets(d, L);
  const std::vector<Run> runs = output_runs(d);
  const int64_t T = d.taps(), blocks = d.blocks(), P = d.Ho * d.Wo;
  // Units: (image, range of channel blocks); a small batch splits its blocks so every thread works.
  const int64_t splits = std::min(blocks, std::max<int64_t>(1, ceil_div(2 * num_threads(), N)));
  parallel_for(0, N * splits, 1, [&](int64_t u0, int64_t u1) {
    float* buf = scratch(0, L.size);
    int64_t filled = -1;
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t n = u / splits, part = u % splits;
      if (filled != n) fill_phased(d, L, in + n * d.Ci * d.Hi * d.Wi, buf), filled = n;
      // Bands of runs, every block of the unit over one band: the band's input rows stay in cache
      // while the blocks' weights take turns (block-outer order streamed the whole image per block).
      const int64_t b0 = part * blocks / splits, b1 = (part + 1) * blocks / splits;
      for (size_t band = 0; band < runs.size(); band += kBandRuns)
        for (int64_t b = b0; b < b1; ++b) {
          const int rows = static_cast<int>(std::min<int64_t>(kRows, d.Co - b * kRows));
          const float* wb = wpack.data() + b * T * kRows;
          float* ob = out + (n * d.Co + b * kRows) * P;
          for (size_t k = band; k < std::min(runs.size(), band + kBandRuns); k += 2) {
            const Run& r0 = runs[k];
            const bool pair = k + 1 < std::min(runs.size(), band + kBandRuns);
            const Run& r1 = pair ? runs[k + 1] : runs[k];
            forward_tile_avx512(T, wb, off.data(), buf + r0.oh * d.st * L.row + r0.ow0,
                                buf + r1.oh * d.st * L.row + r1.ow0, ob + r0.oh * d.Wo + r0.ow0,
                                ob + r1.oh * d.Wo + r1.ow0, P, rows, lanes_mask(r0.n), pair ? lanes_mask(r1.n) : 0u,
                                bias ? bias + b * kRows : nullptr);
          }
        }
    }
  });
}

constexpr int64_t kMinChannels = 8, kMinWeightGradTaps = 16;

std::atomic<bool> g_direct_enabled{[] {
  const char* env = std::getenv("OCELLUS_CONV_DIRECT");
  return !(env && std::strcmp(env, "0") == 0);
}()};
}  // namespace

void conv_direct_enable(bool on) { g_direct_enabled = on; }

bool conv_direct_applies(const ConvGeom& g, ConvPass pass) {
#if defined(__x86_64__)
  if (!g_direct_enabled) return false;
  if (std::strcmp(gemm_cpu_isa(), "avx512") != 0) return false;
  if (g.G != 1 || g.pointwise() || g.sh != g.sw || g.sh > 4) return false;
  // Measured against im2col + GEMM (docs/performance.md): a tile is 12 channels of the pass's output
  // (or 12 taps of the weight gradient), so too few of them leave most of it idle.
  if (pass == ConvPass::input_grad && (g.sh != 1 || g.C < kMinChannels)) return false;
  if (pass == ConvPass::forward && g.K < kMinChannels) return false;
  if (pass == ConvPass::weight_grad && g.CRS() < kMinWeightGradTaps) return false;
  return g.N > 0 && g.P() > 0 && g.C > 0 && g.K > 0;
#else
  (void)g;
  (void)pass;
  return false;
#endif
}

#if defined(__x86_64__)
void conv_direct_forward(const ConvGeom& g, const float* x, const float* w, const float* bias, float* y) {
  const DirectGeom d{g.C, g.H, g.W, g.K, g.R, g.S, g.Ho, g.Wo, g.sh, g.dh, g.dw, g.ph, g.pw};
  const std::vector<float> wp = pack_weights(d, [&](int64_t k, int64_t c, int64_t r, int64_t s) {
    return w[((k * g.C + c) * g.R + r) * g.S + s];
  });
  direct_conv(d, g.N, x, wp, bias, y);
}

// Stride 1: gx[c, h, w] = sum_{k, r, s} w[k, c, r, s] gy[k, h + ph - r*dh, w + pw - s*dw]; with
// r' = R-1-r it is a convolution of gy by w[k, c, R-1-r', S-1-s'] padded (R-1)*dh - ph.
void conv_direct_input_grad(const ConvGeom& g, const float* gy, const float* w, const float* bias, float* gx) {
  const DirectGeom d{g.K, g.Ho, g.Wo, g.C, g.R, g.S, g.H, g.W, 1, g.dh, g.dw, (g.R - 1) * g.dh - g.ph,
                     (g.S - 1) * g.dw - g.pw};
  const std::vector<float> wp = pack_weights(d, [&](int64_t c, int64_t k, int64_t r, int64_t s) {
    return w[((k * g.C + c) * g.R + (g.R - 1 - r)) * g.S + (g.S - 1 - s)];
  });
  direct_conv(d, g.N, gy, wp, bias, gx);
}

// Vectors of 16 output channels per weight-gradient tile: K = 48 takes three (8 taps a tile), K = 16
// one (24 taps), the rest two (12 taps), so a tile wastes no lanes on channels K does not have.
int weight_grad_vecs(int64_t K) {
  const int64_t v = ceil_div(K, kLanes);
  return v == 1 ? 1 : v % 3 == 0 && v % 2 != 0 ? 3 : 2;
}

void conv_direct_weight_grad(const ConvGeom& g, const float* x, const float* gy, float* gw) {
  const int vecs = weight_grad_vecs(g.K);
  const int64_t kCols = vecs * kLanes, kTaps = weight_grad_taps(vecs);  // a tile: kTaps taps x kCols channels
  const int64_t P = g.P(), T = g.CRS(), tap_blocks = ceil_div(T, kTaps), kblocks = ceil_div(g.K, kCols);
  const int64_t Hp = (g.Ho - 1) * g.sh + (g.R - 1) * g.dh + 1, Wp = (g.Wo - 1) * g.sw + (g.S - 1) * g.dw + 1;
  const int64_t plane = Hp * Wp, acc_size = tap_blocks * kblocks * kTaps * kCols;
  std::vector<int64_t> off(static_cast<size_t>(tap_blocks * kTaps), 0);
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t r = 0; r < g.R; ++r)
      for (int64_t s = 0; s < g.S; ++s) off[static_cast<size_t>((c * g.R + r) * g.S + s)] = c * plane + r * g.dh * Wp + s * g.dw;

  // One image into a part's sums: pad x, then per band of output rows, gy's band transposed to
  // [kblock][pixel][kCols] (a few hundred KiB at most, so its strided writes stay in cache) and
  // every tile over the band (tile-outer order streamed the whole image once per tile).
  const int64_t band_rows = std::max<int64_t>(1, kBandPixels / g.Wo);
  auto add_image = [&](int64_t n, float* acc, bool parallel_tiles) {
    float* xp = scratch(1, g.C * plane);
    float* gt = scratch(2, kblocks * band_rows * g.Wo * kCols);
    for (int64_t c = 0; c < g.C; ++c) pad_plane(x + (n * g.C + c) * g.HW(), g.H, g.W, g.ph, g.pw, Hp, Wp, Wp, xp + c * plane);
    for (int64_t a0 = 0; a0 < g.Ho; a0 += band_rows) {
      const int64_t rows = std::min(band_rows, g.Ho - a0), px = rows * g.Wo, p0 = a0 * g.Wo;
      for (int64_t k = 0; k < kblocks * kCols; ++k) {
        float* dst = gt + (k / kCols) * px * kCols + k % kCols;
        if (k >= g.K) {
          for (int64_t p = 0; p < px; ++p) dst[p * kCols] = 0.0f;
          continue;
        }
        const float* src = gy + (n * g.K + k) * P + p0;
        for (int64_t p = 0; p < px; ++p) dst[p * kCols] = src[p];
      }
      auto tiles = [&](int64_t b, int64_t e) {
        for (int64_t tb = b; tb < e; ++tb)
          for (int64_t kb = 0; kb < kblocks; ++kb)
            weight_grad_tile_avx512(rows, g.Wo, g.sh * Wp, g.sw, xp + a0 * g.sh * Wp, off.data() + tb * kTaps,
                                    static_cast<int>(std::min<int64_t>(kTaps, T - tb * kTaps)), vecs,
                                    gt + kb * px * kCols, acc + (tb * kblocks + kb) * kTaps * kCols);
      };
      if (parallel_tiles) {
        parallel_for(0, tap_blocks, 1, tiles);
      } else {
        tiles(0, tap_blocks);
      }
    }
  };

  // Parts: fixed ranges of images with their own sums, as many whatever the thread count
  // (conv_parts_cpu.h). With fewer parts than threads the parts run in turn, each image's tiles in
  // parallel: tiles own disjoint sums, so every sum is added in the same order either way.
  const int64_t parts = weight_grad_parts(g.N, acc_size, sizeof(float));
  std::vector<float> sums(static_cast<size_t>(parts * acc_size), 0.0f);
  auto run_part = [&](int64_t part, bool parallel_tiles) {
    for (int64_t n = part * g.N / parts; n < (part + 1) * g.N / parts; ++n)
      add_image(n, sums.data() + part * acc_size, parallel_tiles);
  };
  if (parts >= num_threads()) {
    parallel_for(0, parts, 1, [&](int64_t b, int64_t e) {
      for (int64_t part = b; part < e; ++part) run_part(part, false);
    });
  } else {
    for (int64_t part = 0; part < parts; ++part) run_part(part, true);
  }
  add_parts_in_order(sums.data(), sums.data() + acc_size, parts - 1, acc_size, acc_size);
  for (int64_t k = 0; k < g.K; ++k)
    for (int64_t t = 0; t < T; ++t)
      gw[k * T + t] = sums[static_cast<size_t>(((t / kTaps) * kblocks + k / kCols) * kTaps * kCols + (t % kTaps) * kCols +
                                               k % kCols)];
}
#else
void conv_direct_forward(const ConvGeom&, const float*, const float*, const float*, float*) {
  OC_CHECK(false, "conv_direct_forward: needs x86-64 with AVX-512 (conv_direct_applies is false here)");
}
void conv_direct_input_grad(const ConvGeom&, const float*, const float*, const float*, float*) {
  OC_CHECK(false, "conv_direct_input_grad: needs x86-64 with AVX-512 (conv_direct_applies is false here)");
}
void conv_direct_weight_grad(const ConvGeom&, const float*, const float*, float*) {
  OC_CHECK(false, "conv_direct_weight_grad: needs x86-64 with AVX-512 (conv_direct_applies is false here)");
}
#endif

}  // namespace oc
