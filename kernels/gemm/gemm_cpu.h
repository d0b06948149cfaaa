// CPU matrix multiply: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, row-major.
// float32 is cache-blocked with packed panels and an ISA-dispatched microkernel; float64 is plain.
#pragma once
#include <cstdint>

namespace oc {

// Row-major; lda/ldb/ldc are row strides in elements.
// op(A) is [M,K]: A is stored [M,K] (trans_a=false) or [K,M] (trans_a=true);
// op(B) is [K,N]: B is stored [K,N] (trans_b=false) or [N,K] (trans_b=true).
// beta == 0 means C is write-only (never read, so NaN garbage in C does not propagate).
// K == 0 or alpha == 0 gives C = beta*C without reading A or B. M == 0 or N == 0 is a no-op.
// Negative sizes or row strides smaller than a stored row throw std::invalid_argument.
// Threads: oc::parallel_for (float32 only above ~6 MFLOP); safe to call from several threads at
// once, and from inside parallel_for (it then runs on the calling thread). Packing buffers are
// kept per calling thread, up to about 8 MiB each.
void gemm_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc);
void gemm_cpu(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, double alpha,
              const double* A, int64_t lda, const double* B, int64_t ldb, double beta, double* C,
              int64_t ldc);

// Which float32 microkernel the runtime dispatch chose: "avx512", "avx2" or "generic".
// Default: the best one this CPU supports; env OCELLUS_GEMM_ISA=generic|avx2|avx512 may lower it
// (asking for more than the CPU has gives the best it has; an unknown name throws).
const char* gemm_cpu_isa();

// Testing hook: force the float32 microkernel to "generic", "avx2" or "avx512"; nullptr or ""
// returns to the default above. Returns false, changing nothing, when the name is unknown or the
// CPU lacks that ISA. Process-wide; do not call while other threads run gemm_cpu.
bool gemm_cpu_force_isa(const char* isa);

namespace gemm_detail {

// A float32 microkernel computes one MR x NR tile of C from packed panels:
//   Ap: [K][MR] (MR rows of op(A) interleaved per k), Bp: [K][NR] (NR columns of op(B) per k),
//   both 64-byte aligned and zero-padded past the matrix edge.
//   C[i,j] = alpha * sum_k Ap[k*MR+i] * Bp[k*NR+j] + beta * C[i,j] for i < m, j < n;
//   beta == 0 does not read C.
using SgemmMicrokernel = void (*)(int64_t K, const float* Ap, const float* Bp, float* C,
                                  int64_t ldc, int64_t m, int64_t n, float alpha, float beta);

constexpr int kAvx512MR = 12, kAvx512NR = 32;  // 24 zmm accumulators of 32 registers
constexpr int kAvx2MR = 6, kAvx2NR = 16;       // 12 ymm accumulators of 16 registers
constexpr int kGenericMR = 4, kGenericNR = 8;

// Defined in gemm_cpu_avx512.cpp / gemm_cpu_avx2.cpp; call only when the CPU has the ISA.
void sgemm_microkernel_avx512(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc,
                              int64_t m, int64_t n, float alpha, float beta);
void sgemm_microkernel_avx2(int64_t K, const float* Ap, const float* Bp, float* C, int64_t ldc,
                            int64_t m, int64_t n, float alpha, float beta);

}  // namespace gemm_detail
}  // namespace oc
