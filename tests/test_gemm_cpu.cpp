// Tests for oc::gemm_cpu: every transpose combination, odd and blocking-crossing sizes, strided
// views with sentinels, beta = 0 on NaN-filled C, K = 0, M = 0, every float32 ISA on this CPU.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/gemm/gemm_cpu.h"
#include "tests/helpers.h"

namespace {

constexpr float kSentinel = 12345.0f;  // written around every view; must survive unchanged

// A rows x cols view with row stride ld = cols + pad inside a buffer that also has a guarded tail.
template <typename T>
struct View {
  int64_t rows, cols, ld;
  std::vector<T> buf;
  View(int64_t r, int64_t c, int64_t pad) : rows(r), cols(c), ld(c + pad) {
    buf.assign(static_cast<size_t>(r * ld + 16), T(kSentinel));
  }
  T* data() { return buf.data(); }
  T& at(int64_t i, int64_t j) { return buf[i * ld + j]; }
  // Uniform in [-1,1], never exactly zero, so a dropped term always changes the result.
  void fill_random(std::mt19937& rng) {
    std::uniform_real_distribution<double> dist(-1.0, 1.0);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        double x;
        do x = dist(rng);
        while (static_cast<T>(x) == T(0));
        at(i, j) = static_cast<T>(x);
      }
  }
  void fill(T v) {
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) at(i, j) = v;
  }
  // Everything outside the view (row padding and the tail) still holds the sentinel.
  bool sentinels_intact() const {
    for (size_t p = 0; p < buf.size(); ++p) {
      const int64_t i = static_cast<int64_t>(p) / ld, j = static_cast<int64_t>(p) % ld;
      const bool inside = i < rows && j < cols;
      if (!inside && buf[p] != T(kSentinel)) return false;
    }
    return true;
  }
};

struct Shape {
  int64_t M, N, K;
};

// Reference in double: alpha * op(A) op(B) + beta * C0 (C0 ignored when beta == 0).
template <typename T>
std::vector<double> reference(bool ta, bool tb, const Shape& s, double alpha, View<T>& A,
                              View<T>& B, double beta, View<T>& C0) {
  std::vector<double> ref(static_cast<size_t>(s.M * s.N));
  for (int64_t i = 0; i < s.M; ++i)
    for (int64_t j = 0; j < s.N; ++j) {
      double acc = 0.0;
      for (int64_t k = 0; k < s.K; ++k) {
        const double a = ta ? A.at(k, i) : A.at(i, k);
        const double b = tb ? B.at(j, k) : B.at(k, j);
        acc += a * b;
      }
      ref[i * s.N + j] = alpha * acc + (beta == 0.0 ? 0.0 : beta * double(C0.at(i, j)));
    }
  return ref;
}

// Tolerance: |x - ref| <= atol + rtol*|ref|, with atol growing linearly in K. With inputs in
// [-1,1] the partial sums grow like sqrt(k), so K roundings of that size add up (as a random walk)
// to about eps*K/3; measured worst case over 12800 float outputs was 2.1e-5 at K=300 (alpha 1.5),
// and atol = 5e-7*K = 1.5e-4 there leaves 7x margin. Any indexing, packing or blocking bug moves
// outputs by O(0.1), far above it. rtol covers large |ref| from the beta*C term. Doubles: the
// same argument at eps = 2^-53.
template <typename T>
struct Tol;
template <>
struct Tol<float> {
  static constexpr double atol_per_k = 5e-7, rtol = 1e-5;
};
template <>
struct Tol<double> {
  static constexpr double atol_per_k = 4e-15, rtol = 1e-13;
};

// Runs one gemm on padded views and checks values, NaN-freedom and sentinels.
template <typename T>
void check_gemm(bool ta, bool tb, const Shape& s, T alpha, T beta, bool nan_c, uint32_t seed) {
  std::mt19937 rng(seed);
  View<T> A(ta ? s.K : s.M, ta ? s.M : s.K, 3);
  View<T> B(tb ? s.N : s.K, tb ? s.K : s.N, 5);
  View<T> C(s.M, s.N, 2);
  A.fill_random(rng);
  B.fill_random(rng);
  if (nan_c)
    C.fill(std::numeric_limits<T>::quiet_NaN());
  else
    C.fill_random(rng);
  View<T> C0 = C;
  const std::vector<double> ref = reference(ta, tb, s, alpha, A, B, beta, C0);

  oc::gemm_cpu(ta, tb, s.M, s.N, s.K, alpha, A.data(), A.ld, B.data(), B.ld, beta, C.data(),
               C.ld);

  INFO("ta=" << ta << " tb=" << tb << " M=" << s.M << " N=" << s.N << " K=" << s.K
             << " alpha=" << alpha << " beta=" << beta << " isa=" << oc::gemm_cpu_isa());
  const double atol = Tol<T>::atol_per_k * static_cast<double>(std::max<int64_t>(s.K, 1));
  int64_t bad = 0;
  double worst = 0.0;
  for (int64_t i = 0; i < s.M; ++i)
    for (int64_t j = 0; j < s.N; ++j) {
      const double x = C.at(i, j), r = ref[i * s.N + j];
      const double err = std::fabs(x - r);
      if (!(err <= atol + Tol<T>::rtol * std::fabs(r))) ++bad;  // NaN counts as bad
      if (err > worst || std::isnan(err)) worst = err;
    }
  INFO("worst |x-ref| = " << worst);
  CHECK(bad == 0);
  CHECK(C.sentinels_intact());
  CHECK(A.sentinels_intact());  // inputs are const, but a stray write would show here too
  CHECK(B.sentinels_intact());
}

// Edge tiles: M mod 12/6/4 and N mod 32/16/8 (the three kernels' tiles) take many values here,
// including edge widths above half a tile (N = 61, 50), which exercise the second vector.
const Shape kShapes[] = {
    {1, 1, 1},     {7, 13, 5},   {65, 33, 129}, {300, 257, 190}, {29, 61, 17}, {131, 50, 270},
    {37, 1100, 300},  // crosses the K block (256) and the per-task column chunk (512)
    {4100, 3, 5},     // crosses the outer M block (4096)
    {3, 4100, 5},     // crosses the outer N block (4096)
};

template <typename T>
void check_all(uint32_t seed) {
  for (const Shape& s : kShapes)
    for (int t = 0; t < 4; ++t) {
      const bool ta = t & 1, tb = t & 2;
      check_gemm<T>(ta, tb, s, T(1.5), T(-0.7), false, seed++);
      check_gemm<T>(ta, tb, s, T(-0.9), T(0), true, seed++);  // beta = 0: NaN in C is ignored
      check_gemm<T>(ta, tb, s, T(1), T(1), false, seed++);
    }
}

// Edge conventions that need no reference: K = 0, M = 0, N = 0, alpha = 0.
template <typename T>
void check_degenerate() {
  std::mt19937 rng(7);
  const T nan = std::numeric_limits<T>::quiet_NaN();
  for (int t = 0; t < 4; ++t) {
    const bool ta = t & 1, tb = t & 2;
    // K = 0: C = beta*C; A and B are never touched (null here).
    View<T> C(5, 6, 2);
    C.fill_random(rng);
    View<T> C0 = C;
    oc::gemm_cpu(ta, tb, 5, 6, 0, T(2), static_cast<const T*>(nullptr), 1,
                 static_cast<const T*>(nullptr), 1, T(0.5), C.data(), C.ld);
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 6; ++j) CHECK(C.at(i, j) == T(0.5) * C0.at(i, j));
    CHECK(C.sentinels_intact());
    // K = 0 with beta = 0 on NaN-filled C gives exact zeros.
    C.fill(nan);
    oc::gemm_cpu(ta, tb, 5, 6, 0, T(2), static_cast<const T*>(nullptr), 1,
                 static_cast<const T*>(nullptr), 1, T(0), C.data(), C.ld);
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 6; ++j) CHECK(C.at(i, j) == T(0));
    // M = 0 and N = 0: nothing is read or written.
    C.fill(T(3));
    oc::gemm_cpu(ta, tb, 0, 6, 4, T(1), static_cast<const T*>(nullptr), 6,
                 static_cast<const T*>(nullptr), 6, T(0), C.data(), C.ld);
    oc::gemm_cpu(ta, tb, 5, 0, 4, T(1), static_cast<const T*>(nullptr), 6,
                 static_cast<const T*>(nullptr), 6, T(0), C.data(), C.ld);
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 6; ++j) CHECK(C.at(i, j) == T(3));
    CHECK(C.sentinels_intact());
    // alpha = 0: C = beta*C and A, B are not read (BLAS convention), so NaN in them is harmless.
    View<T> A(8, 8, 0), B(8, 8, 0);
    A.fill(nan);
    B.fill(nan);
    C.fill(T(2));
    oc::gemm_cpu(ta, tb, 5, 6, 4, T(0), A.data(), A.ld, B.data(), B.ld, T(0.25), C.data(), C.ld);
    for (int64_t i = 0; i < 5; ++i)
      for (int64_t j = 0; j < 6; ++j) CHECK(C.at(i, j) == T(0.5));
  }
}

// One test per ISA, so an ISA this CPU lacks is reported as skipped rather than quietly left out.
void check_isa(const char* isa, uint32_t seed) {
  if (!oc::gemm_cpu_force_isa(isa)) oc::test::skip_test(std::string("gemm_cpu: this CPU does not support ") + isa);
  REQUIRE(std::string(oc::gemm_cpu_isa()) == isa);
  check_all<float>(seed);
  check_degenerate<float>();
  oc::gemm_cpu_force_isa(nullptr);
}

}  // namespace

TEST_CASE("gemm_cpu float32 matches a double reference: generic", "[gemm_cpu][may_skip]") { check_isa("generic", 100); }
TEST_CASE("gemm_cpu float32 matches a double reference: avx2", "[gemm_cpu][may_skip]") { check_isa("avx2", 1100); }
TEST_CASE("gemm_cpu float32 matches a double reference: avx512", "[gemm_cpu][may_skip]") { check_isa("avx512", 2100); }

TEST_CASE("gemm_cpu float32 gives the same answers with 1 and 3 threads", "[gemm_cpu]") {
  for (int threads : {1, 3}) {
    oc::set_num_threads(threads);
    check_gemm<float>(false, false, {300, 257, 190}, 1.5f, -0.7f, false, 5);
    check_gemm<float>(true, true, {37, 1100, 300}, 1.5f, 0.0f, true, 6);
    check_gemm<float>(false, true, {4100, 3, 5}, 1.0f, 1.0f, false, 7);
  }
  oc::set_num_threads(0);
}

TEST_CASE("gemm_cpu called from inside parallel_for (nested, concurrent)", "[gemm_cpu]") {
  // Nested calls run inline on each pool thread, concurrently; each thread packs into its own
  // buffers, so the results must match separate calls.
  const Shape s{100, 70, 300};
  std::mt19937 rng(11);
  View<float> A(s.M, s.K, 0), B(s.K, s.N, 0);
  A.fill_random(rng);
  B.fill_random(rng);
  std::vector<View<float>> Cs(6, View<float>(s.M, s.N, 0));
  oc::parallel_for(0, 6, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      oc::gemm_cpu(false, false, s.M, s.N, s.K, float(i + 1), A.data(), A.ld, B.data(), B.ld,
                   0.0f, Cs[i].data(), Cs[i].ld);
  });
  View<float> C1(s.M, s.N, 0);
  oc::gemm_cpu(false, false, s.M, s.N, s.K, 1.0f, A.data(), A.ld, B.data(), B.ld, 0.0f, C1.data(),
               C1.ld);
  // Same sums, only alpha differs; alpha is applied per K block, so allow a few roundings.
  for (int i = 0; i < 6; ++i) {
    int64_t bad = 0;
    for (int64_t r = 0; r < s.M; ++r)
      for (int64_t c = 0; c < s.N; ++c) {
        const double want = double(i + 1) * C1.at(r, c);
        if (!(std::fabs(Cs[i].at(r, c) - want) <= 1e-6 * (i + 1) * (1.0 + std::fabs(want)))) ++bad;
      }
    INFO("call " << i);
    CHECK(bad == 0);
    CHECK(Cs[i].sentinels_intact());
  }
}

TEST_CASE("gemm_cpu float64 matches a double reference", "[gemm_cpu]") {
  check_all<double>(200);
  check_degenerate<double>();
}

TEST_CASE("gemm_cpu rejects negative sizes and short row strides", "[gemm_cpu]") {
  std::vector<float> a(64, 1.0f), b(64, 1.0f), c(64, 0.0f);
  CHECK_THROWS_AS(oc::gemm_cpu(false, false, -1, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f,
                               c.data(), 2),
                  std::invalid_argument);
  // A stored [M,K] = [2,4] needs lda >= 4; stored [K,M] = [4,2] needs lda >= 2.
  CHECK_THROWS_AS(oc::gemm_cpu(false, false, 2, 2, 4, 1.0f, a.data(), 3, b.data(), 2, 0.0f,
                               c.data(), 2),
                  std::invalid_argument);
  CHECK_NOTHROW(oc::gemm_cpu(true, false, 2, 2, 4, 1.0f, a.data(), 2, b.data(), 2, 0.0f,
                             c.data(), 2));
  CHECK_THROWS_AS(oc::gemm_cpu(false, false, 2, 3, 2, 1.0f, a.data(), 2, b.data(), 3, 0.0f,
                               c.data(), 2),
                  std::invalid_argument);
}

TEST_CASE("gemm_cpu OCELLUS_GEMM_ISA lowers the ISA and rejects unknown names", "[gemm_cpu]") {
  const char* saved = std::getenv("OCELLUS_GEMM_ISA");
  const std::string saved_value = saved ? saved : "";
  setenv("OCELLUS_GEMM_ISA", "generic", 1);
  REQUIRE(oc::gemm_cpu_force_isa(nullptr));  // re-reads the environment
  CHECK(std::string(oc::gemm_cpu_isa()) == "generic");
  setenv("OCELLUS_GEMM_ISA", "sse9", 1);
  CHECK_THROWS_AS(oc::gemm_cpu_force_isa(nullptr), std::invalid_argument);
  CHECK_FALSE(oc::gemm_cpu_force_isa("sse9"));
  if (saved)
    setenv("OCELLUS_GEMM_ISA", saved_value.c_str(), 1);
  else
    unsetenv("OCELLUS_GEMM_ISA");
  oc::gemm_cpu_force_isa(nullptr);
}
