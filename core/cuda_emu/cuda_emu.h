// The CUDA that the .cu files use, for g++ on the CPU (-DOCELLUS_CUDA=EMULATE): qualifiers, dim3 and
// the thread indices, __syncthreads, warp shuffles, atomics, the _rn intrinsics and the runtime API
// calls the engine makes. Host memory stands in for device memory; kernels run on fibers
// (block_runner.h). It checks logic, not speed. Only core/cuda_api.h includes this header.
#pragma once
#include <math.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/hd_rounding.h"

// --- qualifiers ------------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)

// --- the execution model ---------------------------------------------------------------------------
struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};

namespace oc::emu {

struct ThreadCoords {
  uint3 thread_idx, block_idx;
  dim3 block_dim, grid_dim;
};
// The emulated thread running now on this OS thread (set by the block scheduler at each switch).
// constinit: read without g++'s TLS wrapper call, whose sanitizer null check tests stale flags and
// reports a null pointer at random (seen under -fsanitize=null in the kernels).
extern thread_local constinit const ThreadCoords* t_coords;

void syncthreads(const char* file, int line);
// Exchanges 8 bytes with lane `src_lane` of the caller's warp (all lanes of `mask` must take part).
uint64_t warp_exchange(const char* file, int line, unsigned mask, uint64_t bits, int src_lane);
int lane_id();
// Per-block storage of one __shared__ declaration (OC_SHARED), poisoned with 0xFF bytes (NaN).
void* block_shared(const void* key, size_t bytes, size_t align);

template <class T>
uint64_t to_bits(T v) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "shuffles move at most 8 bytes");
  uint64_t b = 0;
  std::memcpy(&b, &v, sizeof(T));
  return b;
}
template <class T>
T from_bits(uint64_t b) {
  T v;
  std::memcpy(&v, &b, sizeof(T));
  return v;
}

template <class T>
T shfl_down(const char* file, int line, unsigned mask, T v, unsigned delta, int width = 32) {
  const int lane = lane_id(), in_segment = lane % width;
  const int src = in_segment + static_cast<int>(delta) < width ? lane + static_cast<int>(delta) : lane;
  return from_bits<T>(warp_exchange(file, line, mask, to_bits(v), src));
}
template <class T>
T shfl_xor(const char* file, int line, unsigned mask, T v, int lane_mask, int width = 32) {
  const int lane = lane_id();
  int src = lane ^ lane_mask;
  if (src / width != lane / width) src = lane;  // outside the caller's segment: its own value
  return from_bits<T>(warp_exchange(file, line, mask, to_bits(v), src));
}

}  // namespace oc::emu

#define threadIdx (::oc::emu::t_coords->thread_idx)
#define blockIdx (::oc::emu::t_coords->block_idx)
#define blockDim (::oc::emu::t_coords->block_dim)
#define gridDim (::oc::emu::t_coords->grid_dim)
#define __syncthreads() ::oc::emu::syncthreads(__FILE__, __LINE__)
#define __shfl_down_sync(...) ::oc::emu::shfl_down(__FILE__, __LINE__, __VA_ARGS__)
#define __shfl_xor_sync(...) ::oc::emu::shfl_xor(__FILE__, __LINE__, __VA_ARGS__)

// Static __shared__ arrays: one per block, shared by its threads. Declared through OC_SHARED
// (core/cuda_api.h) so that the same line compiles under nvcc.
#define OC_EMU_SHARED(type, name, dims)                                                              \
  static const char oc_shared_key_##name = 0;                                                        \
  using oc_shared_type_##name = type dims;                                                           \
  oc_shared_type_##name& name = *static_cast<oc_shared_type_##name*>(::oc::emu::block_shared(         \
      &oc_shared_key_##name, sizeof(oc_shared_type_##name), alignof(oc_shared_type_##name)))

// --- CUDA's integer min and max ------------------------------------------------------------------------
inline int min(int a, int b) { return b < a ? b : a; }
inline int max(int a, int b) { return a < b ? b : a; }
inline long long min(long long a, long long b) { return b < a ? b : a; }
inline long long max(long long a, long long b) { return a < b ? b : a; }
inline long min(long a, long b) { return b < a ? b : a; }
inline long max(long a, long b) { return a < b ? b : a; }
inline unsigned min(unsigned a, unsigned b) { return b < a ? b : a; }
inline unsigned max(unsigned a, unsigned b) { return a < b ? b : a; }

// --- atomics (blocks run in parallel on the thread pool) ----------------------------------------------
template <class T>
inline T atomicAdd(T* address, T value) {
  return std::atomic_ref<T>(*address).fetch_add(value);
}
inline unsigned long long atomicCAS(unsigned long long* address, unsigned long long compare, unsigned long long value) {
  std::atomic_ref<unsigned long long>(*address).compare_exchange_strong(compare, value);
  return compare;  // the old value, as CUDA returns it
}

// --- intrinsics: round to nearest, never fused ----------------------------------------------------------
// The _rn intrinsics: one rounding per operation, as core/hd_rounding.h's host path rounds (the
// emulated .cu files are compiled with contraction on, as nvcc compiles them).
inline float __fadd_rn(float a, float b) { return oc::add_rn(a, b); }
inline float __fsub_rn(float a, float b) { return oc::sub_rn(a, b); }
inline float __fmul_rn(float a, float b) { return oc::mul_rn(a, b); }
inline float __fdiv_rn(float a, float b) { return oc::div_rn(a, b); }
inline float __fsqrt_rn(float a) { return oc::sqrt_rn(a); }
inline double __dadd_rn(double a, double b) { return oc::add_rn(a, b); }
inline double __dsub_rn(double a, double b) { return oc::sub_rn(a, b); }
inline double __dmul_rn(double a, double b) { return oc::mul_rn(a, b); }
inline double __ddiv_rn(double a, double b) { return oc::div_rn(a, b); }
inline double __dsqrt_rn(double a) { return oc::sqrt_rn(a); }

// --- the runtime API -----------------------------------------------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevice = 101,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};
enum cudaDeviceAttr {
  cudaDevAttrMaxThreadsPerBlock = 1,
  cudaDevAttrMultiProcessorCount = 16,
};
struct CUstream_st;
struct CUevent_st;
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;
constexpr unsigned cudaStreamNonBlocking = 1;

cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaMalloc(void** ptr, size_t bytes);
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src, int src_device, size_t bytes,
                                cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* ptr, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorString(cudaError_t error);
