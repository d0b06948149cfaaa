// CPU GEMM driver: argument checks, ISA dispatch, Goto/BLIS-style blocking and packing, threading
// for float32; a plain threaded loop for float64 (used by finite-difference tests).
#include "kernels/gemm/gemm_cpu.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "core/thread_pool.h"

namespace oc {
namespace {

using gemm_detail::SgemmMicrokernel;

// ---------------------------------------------------------------------------------------------
// Portable microkernel: a 4x8 tile in a local array; the compiler vectorizes the j loop.
constexpr int GMR = gemm_detail::kGenericMR, GNR = gemm_detail::kGenericNR;

void sgemm_microkernel_generic(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc,
                               int64_t m, int64_t n, float alpha, float beta) {
  float acc[GMR][GNR] = {};
  for (int64_t k = 0; k < K; ++k) {
    for (int i = 0; i < GMR; ++i) {
      const float a = Ap[i];
      for (int j = 0; j < GNR; ++j) acc[i][j] += a * Bp[j];
    }
    Ap += GMR;
    Bp += GNR;
  }
  for (int64_t i = 0; i < m; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f) {
      for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[i][j];
    } else {
      for (int64_t j = 0; j < n; ++j) c[j] = alpha * acc[i][j] + beta * c[j];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Runtime ISA dispatch.
struct Microkernel {
  const char* name;
  int mr, nr;
  SgemmMicrokernel fn;
};

const Microkernel kGenericKernel{"generic", GMR, GNR, sgemm_microkernel_generic};
#if defined(__x86_64__)
const Microkernel kAvx2Kernel{"avx2", gemm_detail::kAvx2MR, gemm_detail::kAvx2NR,
                              gemm_detail::sgemm_microkernel_avx2};
const Microkernel kAvx512Kernel{"avx512", gemm_detail::kAvx512MR, gemm_detail::kAvx512NR,
                                gemm_detail::sgemm_microkernel_avx512};
#endif

// Ranks: 0 generic, 1 avx2, 2 avx512. __builtin_cpu_supports also checks that the OS saves the
// vector registers, so a "yes" here means the instructions are usable.
int cpu_isa_rank() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return 2;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
  return 0;
}

const Microkernel& kernel_of_rank(int rank) {
#if defined(__x86_64__)
  if (rank >= 2) return kAvx512Kernel;
  if (rank == 1) return kAvx2Kernel;
#endif
  return kGenericKernel;
}

int isa_rank_of_name(const std::string& name) {
  if (name == "generic") return 0;
  if (name == "avx2") return 1;
  if (name == "avx512") return 2;
  return -1;
}

const Microkernel* default_kernel() {
  int rank = cpu_isa_rank();
  if (const char* env = std::getenv("OCELLUS_GEMM_ISA"); env && *env) {
    const int wanted = isa_rank_of_name(env);
    if (wanted < 0)
      throw std::invalid_argument(std::string("OCELLUS_GEMM_ISA: unknown ISA '") + env +
                                  "' (expected generic, avx2 or avx512)");
    rank = std::min(rank, wanted);  // the env var may only lower the ISA
  }
  return &kernel_of_rank(rank);
}

std::atomic<const Microkernel*> g_kernel{nullptr};

const Microkernel& active_kernel() {
  const Microkernel* k = g_kernel.load(std::memory_order_acquire);
  if (!k) {
    k = default_kernel();
    g_kernel.store(k, std::memory_order_release);
  }
  return *k;
}

// ---------------------------------------------------------------------------------------------
// Blocking. Loop nest (outer to inner) and where each piece lives:
//   nb: N by kNB      packed B block [kc x nb]  shared by all threads (L3)
//   pc: K by kKC      (beta applies on the first K block only)
//   mb: M by kMB      packed A block [mb x kc]  shared by all threads (L3)
//   task: (row chunk of ~kMCT rows, column chunk of kNCT columns), one parallel region per
//         (nb, pc, mb); panels are packed inside it by the first thread that needs them
//     ir: MR rows      A micro-panel [kc x MR] stays in L1
//       jr: NR cols    B micro-panels [kc x NR] stream from the column chunk, kept in L2
// Measured on a 2-core Zen 4 (32 KiB L1d, 1 MiB L2 per core); other choices within a factor of
// two of these ran within noise at 1024^3 and 2048^3 and lost on the skinny shapes.
constexpr int64_t kKC = 256;
constexpr int64_t kMB = 4096;
constexpr int64_t kNB = 4096;
constexpr int64_t kMCT = 192;  // A chunk 192 x 256 floats = 192 KiB
constexpr int64_t kNCT = 512;  // B chunk 256 x 512 floats = 512 KiB, half of L2
// A column chunk of B is packed in pieces of kBPieceK rows (all kNCT columns, so each row of B
// is read as one long run), letting threads that need the same chunk share its packing.
constexpr int64_t kBPieceK = 64;
// Below this many flops the thread pool's wake-up cost outweighs the second core.
constexpr double kParallelFlops = 2e6;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Grows, never shrinks; one per calling thread, so concurrent gemm_cpu calls from different
// threads (e.g. inside a parallel_for, where gemm runs inline) never share packing buffers.
struct PackBuffer {
  std::unique_ptr<float, decltype(&std::free)> data{nullptr, &std::free};
  int64_t capacity = 0;
  float* get(int64_t floats) {
    if (floats > capacity) {
      const size_t bytes = static_cast<size_t>(ceil_div(floats * 4, 64) * 64);
      data.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data) throw std::bad_alloc();
      capacity = floats;
    }
    return data.get();
  }
};

// "Packed yet?" flags for panels or pieces, so packing happens inside the compute region (by the
// first thread that needs the data) instead of in a region of its own: each parallel region
// costs a thread wake-up, tens of microseconds on this pool.
class PackFlags {
 public:
  void reset(int64_t n) {
    if (n > capacity_) {
      flags_.reset(new std::atomic<uint8_t>[n]);
      capacity_ = n;
    }
    for (int64_t i = 0; i < n; ++i) flags_[i].store(kTodo, std::memory_order_relaxed);
  }
  // Items [begin, end): packs every one nobody has claimed yet, then waits for those other
  // threads are packing. A packer never waits while holding a claim, so this cannot deadlock.
  template <typename F>
  void ensure(int64_t begin, int64_t end, F&& pack) {
    for (int64_t i = begin; i < end; ++i) {
      uint8_t expected = kTodo;
      if (flags_[i].load(std::memory_order_relaxed) == kTodo &&
          flags_[i].compare_exchange_strong(expected, kBusy, std::memory_order_acquire)) {
        pack(i);
        flags_[i].store(kDone, std::memory_order_release);
      }
    }
    for (int64_t i = begin; i < end; ++i)
      while (flags_[i].load(std::memory_order_acquire) != kDone) std::this_thread::yield();
  }

 private:
  static constexpr uint8_t kTodo = 0, kBusy = 1, kDone = 2;
  std::unique_ptr<std::atomic<uint8_t>[]> flags_;
  int64_t capacity_ = 0;
};

// dst[k][P] = src[r*ld + k] for r < rows, k < kc; rows past `rows` zero-filled. This is the
// transposing pack (A stored [M,K], B stored [N,K]); 4x4 SSE transposes keep it several times
// faster than a scalar loop, which matters for skinny shapes where packing rivals the compute.
template <int P>
void pack_transpose(const float* src, int64_t ld, int64_t rows, int64_t kc, float* dst) {
  int64_t k = 0;
#if defined(__SSE2__)
  if (rows == P) {
    for (; k + 4 <= kc; k += 4) {
      float* d = dst + k * P;
      int r = 0;
      for (; r + 4 <= P; r += 4) {
        __m128 r0 = _mm_loadu_ps(src + (r + 0) * ld + k);
        __m128 r1 = _mm_loadu_ps(src + (r + 1) * ld + k);
        __m128 r2 = _mm_loadu_ps(src + (r + 2) * ld + k);
        __m128 r3 = _mm_loadu_ps(src + (r + 3) * ld + k);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _mm_storeu_ps(d + 0 * P + r, r0);
        _mm_storeu_ps(d + 1 * P + r, r1);
        _mm_storeu_ps(d + 2 * P + r, r2);
        _mm_storeu_ps(d + 3 * P + r, r3);
      }
      if (r + 2 <= P) {  // P = 6: two rows left, interleave them pairwise
        const __m128 r0 = _mm_loadu_ps(src + (r + 0) * ld + k);
        const __m128 r1 = _mm_loadu_ps(src + (r + 1) * ld + k);
        const __m128 lo = _mm_unpacklo_ps(r0, r1), hi = _mm_unpackhi_ps(r0, r1);
        _mm_storel_pi(reinterpret_cast<__m64*>(d + 0 * P + r), lo);
        _mm_storeh_pi(reinterpret_cast<__m64*>(d + 1 * P + r), lo);
        _mm_storel_pi(reinterpret_cast<__m64*>(d + 2 * P + r), hi);
        _mm_storeh_pi(reinterpret_cast<__m64*>(d + 3 * P + r), hi);
        r += 2;
      }
      for (; r < P; ++r)
        for (int kk = 0; kk < 4; ++kk) d[kk * P + r] = src[r * ld + k + kk];
    }
  }
#endif
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t kk = k; kk < kc; ++kk) dst[kk * P + r] = src[r * ld + kk];
  for (int64_t r = rows; r < P; ++r)
    for (int64_t kk = k; kk < kc; ++kk) dst[kk * P + r] = 0.0f;
}

// One row of a panel: P floats of src (cols of them valid, the rest zero).
template <int P>
inline void copy_panel_row(const float* src, int64_t cols, float* dst) {
  if (cols == P) {
    std::memcpy(dst, src, sizeof(float) * P);
  } else {
    for (int64_t c = 0; c < cols; ++c) dst[c] = src[c];
    for (int64_t c = cols; c < P; ++c) dst[c] = 0.0f;
  }
}

// op(A)[i0 : i0+rows, k0 : k0+kc] -> one panel dst[kc][MR].
template <int MR>
void pack_a_panel(bool trans_a, const float* A, int64_t lda, int64_t i0, int64_t rows, int64_t k0,
                  int64_t kc, float* dst) {
  if (!trans_a) {  // A is [M,K]
    pack_transpose<MR>(A + i0 * lda + k0, lda, rows, kc, dst);
    return;
  }
  // A is [K,M]: each k is a short run of MR, lda apart, a stride the hardware prefetchers
  // follow poorly, so fetch a few rows ahead (prefetches past the matrix do not fault).
  const float* src = A + k0 * lda + i0;
  for (int64_t k = 0; k < kc; ++k) {
#if defined(__SSE2__)
    _mm_prefetch(reinterpret_cast<const char*>(src + (k + 16) * lda), _MM_HINT_T0);
#endif
    copy_panel_row<MR>(src + k * lda, rows, dst + k * MR);
  }
}

// op(B)[k0 : k0+kn, j0 : j0+cols] -> rows of ceil(cols/NR) consecutive panels; panel p starts
// at dst + p*NR*kc (dst already points at this piece's first row within the panels).
template <int NR>
void pack_b_piece(bool trans_b, const float* B, int64_t ldb, int64_t k0, int64_t kn, int64_t j0,
                  int64_t cols, int64_t kc, float* dst) {
  const int64_t panels = ceil_div(cols, NR);
  if (trans_b) {  // B is [N,K]
    for (int64_t p = 0; p < panels; ++p)
      pack_transpose<NR>(B + (j0 + p * NR) * ldb + k0, ldb, std::min<int64_t>(NR, cols - p * NR),
                         kn, dst + p * NR * kc);
    return;
  }
  // B is [K,N]: read 8 rows of the whole width at a time and write each panel's 8 rows as one
  // contiguous 1 KiB run; row by row (panels 32 KiB apart) thrashes L1 sets and ran 2.5x slower.
  constexpr int64_t kRows = 8;
  for (int64_t kb = 0; kb < kn; kb += kRows) {
    const int64_t ke = std::min(kn, kb + kRows);
    for (int64_t p = 0; p < panels; ++p) {
      const int64_t n = std::min<int64_t>(NR, cols - p * NR);
      for (int64_t k = kb; k < ke; ++k)
        copy_panel_row<NR>(B + (k0 + k) * ldb + j0 + p * NR, n, dst + p * NR * kc + k * NR);
    }
  }
}

// The packers for one kernel's tile size.
struct Packers {
  void (*a)(bool, const float*, int64_t, int64_t, int64_t, int64_t, int64_t, float*);
  void (*b)(bool, const float*, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float*);
};

template <int MR, int NR>
constexpr Packers packers_of() {
  return {pack_a_panel<MR>, pack_b_piece<NR>};
}

Packers packers_for(const Microkernel& kern) {
  using namespace gemm_detail;
  if (kern.mr == kAvx512MR && kern.nr == kAvx512NR) return packers_of<kAvx512MR, kAvx512NR>();
  if (kern.mr == kAvx2MR && kern.nr == kAvx2NR) return packers_of<kAvx2MR, kAvx2NR>();
  return packers_of<GMR, GNR>();
}

// Runs task(t) for every t in [0, n). In parallel, each pool thread claims tasks one at a time
// from a shared counter (finer and more even than parallel_for's chunks), then waits for the
// others' last tasks by spinning: a thread that returns to the pool sleeps, and waking it again
// costs more than the wait. A thread that wakes late finds the counter drained and returns.
void run_tasks(int64_t n, bool parallel, const std::function<void(int64_t)>& task) {
  if (!parallel) {
    for (int64_t t = 0; t < n; ++t) task(t);
    return;
  }
  std::atomic<int64_t> next{0}, done{0};
  parallel_for(0, num_threads(), 1, [&](int64_t, int64_t) {
    for (int64_t t = next.fetch_add(1); t < n; t = next.fetch_add(1)) {
      task(t);
      done.fetch_add(1, std::memory_order_release);
    }
    while (done.load(std::memory_order_acquire) < n) std::this_thread::yield();
  });
}

template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < N; ++j) c[j] = T(0);  // write-only: NaN in C must not survive
    } else if (beta != T(1)) {
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
  }
}

void sgemm_blocked(const Microkernel& kern, bool trans_a, bool trans_b, int64_t M, int64_t N,
                   int64_t K, float alpha, const float* A, int64_t lda, const float* B,
                   int64_t ldb, float beta, float* C, int64_t ldc) {
  const int64_t MR = kern.mr, NR = kern.nr;
  const Packers pack = packers_for(kern);
  const int threads = num_threads();
  const bool parallel = threads > 1 && 2.0 * M * N * K >= kParallelFlops;

  // Outer blocks are whole micro-panels, so a panel never straddles two blocks.
  const int64_t mb_step = kMB / MR * MR, nb_step = kNB / NR * NR;
  const int64_t nct_panels = std::max<int64_t>(1, kNCT / NR);
  const int64_t kc_max = std::min(K, kKC);
  const int64_t mb_max = ceil_div(std::min(M, mb_step), MR) * MR;
  const int64_t nb_max = ceil_div(std::min(N, nb_step), NR) * NR;
  // Per calling thread; the workers must use the caller's instances, so the lambdas see them
  // through pointers and references (a thread_local named inside a lambda is the worker's own).
  thread_local PackBuffer buf_a, buf_b;
  thread_local PackFlags flags_a, flags_b;
  float* const Ap = buf_a.get(mb_max * kc_max);
  float* const Bp = buf_b.get(nb_max * kc_max);
  PackFlags& a_packed = flags_a;  // one flag per A panel
  PackFlags& b_packed = flags_b;  // one flag per (column chunk, kBPieceK rows) piece of B

  for (int64_t nb0 = 0; nb0 < N; nb0 += nb_step) {
    const int64_t nb = std::min(nb_step, N - nb0);
    const int64_t nb_panels = ceil_div(nb, NR);
    const int64_t n_chunks = ceil_div(nb_panels, nct_panels);

    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = std::min(kKC, K - pc);
      const int64_t k_pieces = ceil_div(kc, kBPieceK);
      const float beta_k = pc == 0 ? beta : 1.0f;
      b_packed.reset(n_chunks * k_pieces);  // packed once per (nb, pc), reused for every mb

      for (int64_t mb0 = 0; mb0 < M; mb0 += mb_step) {
        const int64_t mb = std::min(mb_step, M - mb0);
        const int64_t mb_panels = ceil_div(mb, MR);
        a_packed.reset(mb_panels);

        // Row chunks: about kMCT rows each, but enough tasks that the threads finish together.
        int64_t m_chunks = ceil_div(mb, kMCT);
        if (parallel) m_chunks = std::max(m_chunks, ceil_div(8 * threads, n_chunks));
        m_chunks = std::min(m_chunks, mb_panels);

        run_tasks(n_chunks * m_chunks, parallel, [&](int64_t t) {
          // Tasks of one column chunk are consecutive, so its B panels stay in L2.
          const int64_t nc = t / m_chunks, mc = t % m_chunks;
          const int64_t ip_begin = mc * mb_panels / m_chunks;
          const int64_t ip_end = (mc + 1) * mb_panels / m_chunks;
          const int64_t jp_begin = nc * nct_panels;
          const int64_t jp_end = std::min(nb_panels, jp_begin + nct_panels);
          const int64_t j_begin = nb0 + jp_begin * NR;
          const int64_t chunk_cols = std::min(N - j_begin, (jp_end - jp_begin) * NR);

          b_packed.ensure(nc * k_pieces, (nc + 1) * k_pieces, [&](int64_t piece) {
            const int64_t kk = (piece - nc * k_pieces) * kBPieceK;
            pack.b(trans_b, B, ldb, pc + kk, std::min(kBPieceK, kc - kk), j_begin, chunk_cols,
                   kc, Bp + jp_begin * NR * kc + kk * NR);
          });
          for (int64_t ip = ip_begin; ip < ip_end; ++ip) {
            const int64_t i0 = mb0 + ip * MR;
            const int64_t m = std::min(MR, M - i0);
            float* const a_panel = Ap + ip * MR * kc;
            a_packed.ensure(ip, ip + 1,
                            [&](int64_t) { pack.a(trans_a, A, lda, i0, m, pc, kc, a_panel); });
            for (int64_t jp = jp_begin; jp < jp_end; ++jp) {
              const int64_t j0 = nb0 + jp * NR;
              kern.fn(kc, a_panel, Bp + jp * NR * kc, C + i0 * ldc + j0, ldc, m,
                      std::min(NR, N - j0), alpha, beta_k);
            }
          }
        });
      }
    }
  }
}

// Shared argument checks for both element types.
void check_args(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, int64_t lda,
                int64_t ldb, int64_t ldc) {
  if (M < 0 || N < 0 || K < 0)
    throw std::invalid_argument("gemm_cpu: negative size M=" + std::to_string(M) +
                                " N=" + std::to_string(N) + " K=" + std::to_string(K));
  if (M == 0 || N == 0) return;
  if (ldc < N)
    throw std::invalid_argument("gemm_cpu: ldc=" + std::to_string(ldc) + " < N=" +
                                std::to_string(N));
  if (K == 0) return;
  const int64_t a_row = trans_a ? M : K, b_row = trans_b ? K : N;
  if (lda < a_row)
    throw std::invalid_argument("gemm_cpu: lda=" + std::to_string(lda) + " < " +
                                std::to_string(a_row) +
                                (trans_a ? " (A is stored [K,M])" : " (A is stored [M,K])"));
  if (ldb < b_row)
    throw std::invalid_argument("gemm_cpu: ldb=" + std::to_string(ldb) + " < " +
                                std::to_string(b_row) +
                                (trans_b ? " (B is stored [N,K])" : " (B is stored [K,N])"));
}

}  // namespace

const char* gemm_cpu_isa() { return active_kernel().name; }

bool gemm_cpu_force_isa(const char* isa) {
  if (!isa || !*isa) {
    g_kernel.store(default_kernel(), std::memory_order_release);
    return true;
  }
  const int rank = isa_rank_of_name(isa);
  if (rank < 0 || rank > cpu_isa_rank()) return false;
  g_kernel.store(&kernel_of_rank(rank), std::memory_order_release);
  return true;
}

void gemm_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc) {
  check_args(trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0f) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  sgemm_blocked(active_kernel(), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// float64: one C row per item; for each row, C[i,:] += alpha*A[i,k]*B[k,:] streams B rows
// (or, for B stored [N,K], one dot product per element). Correctness over speed.
void gemm_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
              const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
              int64_t ldc) {
  check_args(trans_a, trans_b, M, N, K, lda, ldb, ldc);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == 0.0) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(1e5 / (double(N) * K) + 1));
  parallel_for(0, M, grain, [&](int64_t i_begin, int64_t i_end) {
    for (int64_t i = i_begin; i < i_end; ++i) {
      double* c = C + i * ldc;
      scale_c(1, N, beta, c, ldc);
      auto a_at = [&](int64_t k) { return trans_a ? A[k * lda + i] : A[i * lda + k]; };
      if (!trans_b) {
        for (int64_t k = 0; k < K; ++k) {
          const double a = alpha * a_at(k);
          const double* b = B + k * ldb;
          for (int64_t j = 0; j < N; ++j) c[j] += a * b[j];
        }
      } else {
        for (int64_t j = 0; j < N; ++j) {
          const double* b = B + j * ldb;
          double s = 0.0;
          for (int64_t k = 0; k < K; ++k) s += a_at(k) * b[k];
          c[j] += alpha * s;
        }
      }
    }
  });
}

}  // namespace oc
