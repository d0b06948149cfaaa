// CPU reference of soft_argmax, in parallel over maps (each map belongs to one thread: the same
// bits on every run). Forward reads each map once, row by row: the row's max (a larger one than the
// map's max so far rescales the sums with sa_combine), then the row's sums of exp(beta (S - max))
// and of that times x in T, added to the map's sums in double. Backward recomputes each pixel's
// probability from the saved (max, sum) and writes its gradient; the softmax is never stored.
//
// The row loops keep kLanes independent partial results (max, sums) combined in a fixed order at
// the end: the compiler vectorizes them without reassociating float additions. float32 uses
// exp_nonpos below (vectorizable, ~1 ulp) instead of std::exp, which stays scalar without
// -ffast-math; float64 uses std::exp. The float32 map loops are compiled twice, for any x86-64
// (SSE2) and for AVX2+FMA (twice the width; contracted multiply-adds change the last bits), and
// picked at run time as the GEMM picks its microkernel.
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/soft_argmax/soft_argmax_kernels.h"

namespace oc {
namespace {

constexpr int64_t kLanes = 8;

// exp(t) for t <= 0 (NaN passes through): t = k ln 2 + r with |r| <= ln(2) / 2, exp(r) by its
// Taylor polynomial of degree 7 (truncation < 6e-9 relative), times 2^k built in the exponent bits;
// within 1.1e-7 relative of exp over [-87, 0]. Below -87 (exp < 1.7e-38, near the smallest normal
// float) the result is 0. Selections are bit masks, not branches or float compares, so the loops
// that call it vectorize.
[[gnu::always_inline]] inline float exp_nonpos(float t) {
  const int32_t bits = std::bit_cast<int32_t>(t), mag = bits & 0x7fffffff;
  const int32_t tiny = -static_cast<int32_t>(mag > 0x42ae0000);  // all ones where |t| > 87 (inf, NaN too)
  const int32_t nan = -static_cast<int32_t>(mag > 0x7f800000);
  const float tc = std::bit_cast<float>((bits & ~tiny) | (static_cast<int32_t>(0xc2ae0000) & tiny));  // -87
  const float kf = (tc * 1.44269504f + 12582912.f) - 12582912.f;  // round(t / ln 2): the 1.5 * 2^23 trick
  const float r = (tc - kf * 0.693145752f) - kf * 1.42860677e-6f;  // ln 2 split in two (Cody-Waite)
  float p = 1.f / 5040;
  p = p * r + 1.f / 720;
  p = p * r + 1.f / 120;
  p = p * r + 1.f / 24;
  p = p * r + 1.f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.f;
  p = p * r + 1.f;
  const int32_t k = static_cast<int32_t>(kf);  // in [-126, 0]
  const int32_t scaled = std::bit_cast<int32_t>(p * std::bit_cast<float>((k + 127) << 23));
  return std::bit_cast<float>((scaled & ~tiny) | (bits & nan));
}
[[gnu::always_inline]] inline double exp_nonpos(double t) { return std::exp(t); }

// One map's statistics; xs[i] = i as T (converting int64 in the loop would keep it scalar).
template <class T>
[[gnu::always_inline]] inline SoftArgmaxStats<double> map_stats(const T* map, const T* xs, const SoftArgmaxGeom& g) {
  const int64_t w = g.w, rows = g.d * g.h;
  const T beta = static_cast<T>(g.beta);
  SoftArgmaxStats<double> total = sa_empty<double>();
  T big = -std::numeric_limits<T>::infinity();  // the map's max so far: the reference of every row
  for (int64_t r = 0; r < rows; ++r) {
    const T* row = map + r * w;
    // The row's max, NaN never taking it (a NaN in the row makes the sums NaN below: exp(NaN - max)).
    T lane_max[kLanes];
    for (int64_t j = 0; j < kLanes; ++j) lane_max[j] = -std::numeric_limits<T>::infinity();
    int64_t i = 0;
    for (; i + kLanes <= w; i += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) lane_max[j] = row[i + j] > lane_max[j] ? row[i + j] : lane_max[j];
    for (; i < w; ++i) lane_max[0] = row[i] > lane_max[0] ? row[i] : lane_max[0];
    for (int64_t j = 1; j < kLanes; ++j) lane_max[0] = lane_max[j] > lane_max[0] ? lane_max[j] : lane_max[0];
    if (lane_max[0] > big) {  // a new max: rescale the sums so far (rare after the first rows)
      total = sa_combine(SoftArgmaxStats<double>{static_cast<double>(lane_max[0]), 0, 0, 0, 0}, total, g.beta);
      big = lane_max[0];
    }
    if (big == -std::numeric_limits<T>::infinity()) {  // only -inf (or NaN) so far: probability 0
      for (int64_t j = 0; j < w; ++j)
        if (row[j] != row[j]) total.s = std::numeric_limits<double>::quiet_NaN();  // a NaN makes the map NaN
      continue;
    }
    // The row's sums of e = exp(beta (S - big)) and e * x.
    T lane_s[kLanes] = {}, lane_sx[kLanes] = {};
    for (i = 0; i + kLanes <= w; i += kLanes)
      for (int64_t j = 0; j < kLanes; ++j) {
        const T e = exp_nonpos(beta * (row[i + j] - big));
        lane_s[j] += e;
        lane_sx[j] += e * xs[i + j];
      }
    for (; i < w; ++i) {
      const T e = exp_nonpos(beta * (row[i] - big));
      lane_s[0] += e;
      lane_sx[0] += e * xs[i];
    }
    T s = 0, sx = 0;
    for (int64_t j = 0; j < kLanes; ++j) s += lane_s[j], sx += lane_sx[j];
    const double y = static_cast<double>(r % g.h), z = static_cast<double>(r / g.h);
    total.s += s, total.sx += sx, total.sy += y * s, total.sz += z * s;
  }
  return total;
}

// One map's gradient from its saved (m, s), output mu and output gradient gq; cx[i] is column i's
// x in the output convention.
template <class T>
[[gnu::always_inline]] inline void map_grads(const T* map, const T* cx, T m, T s, const T* mu, const T* gq,
                                             const SoftArgmaxGeom& g, T* gmap) {
  const int64_t w = g.w, rows = g.d * g.h;
  const T beta = static_cast<T>(g.beta), inv_s = T(1) / s;
  const T g_x = gq[0], mu_x = mu[0], g_value = g.with_value ? gq[g.dims] : T(0);
  for (int64_t r = 0; r < rows; ++r) {
    const T cy = soft_argmax_coord(static_cast<T>(r % g.h), g.h, g.normalized);
    const T cz = soft_argmax_coord(static_cast<T>(r / g.h), g.d, g.normalized);
    // g . (c - mu) = g_x (c_x - mu_x) + [the row's constant y and z terms]
    const T row_dot = gq[1] * (cy - mu[1]) + (g.dims == 3 ? gq[2] * (cz - mu[2]) : T(0));
    const T* row = map + r * w;
    T* grow = gmap + r * w;
    for (int64_t i = 0; i < w; ++i)
      grow[i] = sa_grad(exp_nonpos(beta * (row[i] - m)), inv_s, beta, row_dot + g_x * (cx[i] - mu_x), g_value);
  }
}

// The per-map loops for T: float32 on AVX2+FMA where the CPU has it, else the portable build.
template <class T>
struct MapLoops {
  SoftArgmaxStats<double> (*stats)(const T*, const T*, const SoftArgmaxGeom&);
  void (*grads)(const T*, const T*, T, T, const T*, const T*, const SoftArgmaxGeom&, T*);
};

template <class T>
SoftArgmaxStats<double> map_stats_portable(const T* map, const T* xs, const SoftArgmaxGeom& g) {
  return map_stats(map, xs, g);
}
template <class T>
void map_grads_portable(const T* map, const T* cx, T m, T s, const T* mu, const T* gq, const SoftArgmaxGeom& g,
                        T* gmap) {
  map_grads(map, cx, m, s, mu, gq, g, gmap);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) SoftArgmaxStats<double> map_stats_avx2(const float* map, const float* xs,
                                                                          const SoftArgmaxGeom& g) {
  return map_stats(map, xs, g);
}
__attribute__((target("avx2,fma"))) void map_grads_avx2(const float* map, const float* cx, float m, float s,
                                                        const float* mu, const float* gq, const SoftArgmaxGeom& g,
                                                        float* gmap) {
  map_grads(map, cx, m, s, mu, gq, g, gmap);
}

bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#endif

template <class T>
MapLoops<T> map_loops() {
#if defined(__x86_64__)
  if constexpr (std::is_same_v<T, float>) {
    static const bool avx2 = cpu_has_avx2_fma();
    if (avx2) return {map_stats_avx2, map_grads_avx2};
  }
#endif
  return {map_stats_portable<T>, map_grads_portable<T>};
}

template <class T>
void forward_typed(const Tensor& x, const Tensor& out, const Tensor& stats, const SoftArgmaxGeom& g) {
  const T* xp = static_cast<const T*>(x.raw_data());
  T* op = static_cast<T*>(out.raw_data());
  T* sp = static_cast<T*>(stats.raw_data());
  std::vector<T> xs(g.w);
  for (int64_t i = 0; i < g.w; ++i) xs[i] = static_cast<T>(i);
  const MapLoops<T> loops = map_loops<T>();
  parallel_for(0, g.maps, 1, [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q)
      sa_finish(loops.stats(xp + q * g.plane(), xs.data(), g), g, op + q * g.cols(), sp + q * 2);
  });
}

template <class T>
void backward_typed(const Tensor& x, const Tensor& stats, const Tensor& out, const Tensor& gout, const Tensor& gx,
                    const SoftArgmaxGeom& g) {
  const T* xp = static_cast<const T*>(x.raw_data());
  const T* sp = static_cast<const T*>(stats.raw_data());
  const T* op = static_cast<const T*>(out.raw_data());
  const T* gp = static_cast<const T*>(gout.raw_data());
  T* gxp = static_cast<T*>(gx.raw_data());
  std::vector<T> cx(g.w);
  for (int64_t i = 0; i < g.w; ++i) cx[i] = soft_argmax_coord(static_cast<T>(i), g.w, g.normalized);
  const MapLoops<T> loops = map_loops<T>();
  parallel_for(0, g.maps, 1, [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q)
      loops.grads(xp + q * g.plane(), cx.data(), sp[q * 2], sp[q * 2 + 1], op + q * g.cols(), gp + q * g.cols(), g,
                  gxp + q * g.plane());
  });
}

}  // namespace

void soft_argmax_forward_cpu(const Tensor& x, const Tensor& out, const Tensor& stats, const SoftArgmaxGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "soft_argmax", [&] { forward_typed<scalar_t>(x, out, stats, g); });
}

void soft_argmax_backward_cpu(const Tensor& x, const Tensor& stats, const Tensor& out, const Tensor& gout,
                              const Tensor& gx, const SoftArgmaxGeom& g) {
  OC_DISPATCH_FLOATING(x.dtype(), "soft_argmax_backward",
                       [&] { backward_typed<scalar_t>(x, stats, out, gout, gx, g); });
}

}  // namespace oc
