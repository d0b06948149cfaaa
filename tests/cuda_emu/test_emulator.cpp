// Tests of the CUDA emulation itself (built only with -DOCELLUS_CUDA=EMULATE): broken kernels must
// fail it. A missing __syncthreads shows in some thread order, an off-by-one read of shared memory
// reads the NaN poison, and synchronisation errors and bad launches are errors naming the kernel.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/cuda_allocator.h"
#include "core/cuda_context.h"
#include "core/cuda_emu/block_runner.h"
#include "kernels/ops.h"
#include "tests/helpers.h"
#include "tests/numeric.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace oc {
namespace {

constexpr int kBlock = 64;

// out[b] = sum of the block's 64 inputs, gathered through shared memory by thread 0.
__global__ void block_sum_kernel(const float* in, float* out, bool barrier) {
  OC_SHARED(float, partial, [kBlock]);
  partial[threadIdx.x] = in[blockIdx.x * blockDim.x + threadIdx.x];
  if (barrier) __syncthreads();
  if (threadIdx.x == 0) {
    float s = 0;
    for (int i = 0; i < kBlock; ++i) s += partial[i];
    out[blockIdx.x] = s;
  }
}

// Each thread writes its slot, then reads its right neighbour's; `off_by_one` reads one past the
// slots that were written (still inside the array, so only the poison can show it).
__global__ void neighbour_kernel(float* out, bool off_by_one) {
  OC_SHARED(float, slots, [kBlock + 1]);
  slots[threadIdx.x] = static_cast<float>(threadIdx.x);
  if (!off_by_one && threadIdx.x == 0) slots[kBlock] = 0;
  __syncthreads();
  out[threadIdx.x] = slots[threadIdx.x + 1];
}

__global__ void exit_before_barrier_kernel(float* out) {
  if (threadIdx.x == 5) return;
  __syncthreads();
  out[threadIdx.x] = 1;
}

__global__ void two_barriers_kernel(float* out) {
  if (threadIdx.x % 2) {
    __syncthreads();
  } else {
    __syncthreads();
  }
  out[threadIdx.x] = 1;
}

__global__ void warp_sum_kernel(float* out, unsigned mask) {
  float v = static_cast<float>(threadIdx.x);
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(mask, v, o);
  if (threadIdx.x % 32 == 0) out[threadIdx.x / 32] = v;
}

__global__ void half_warp_exits_kernel(float* out) {
  if (threadIdx.x >= 16) return;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, 1.0f, 1);
}

struct Buffer {
  explicit Buffer(size_t n) : n(n) { CUDA_CHECK(cudaMalloc(&p, n * sizeof(float))); }
  ~Buffer() { cudaFree(p); }
  std::vector<float> read() const {
    std::vector<float> v(n);
    CUDA_CHECK(cudaMemcpy(v.data(), p, n * sizeof(float), cudaMemcpyDeviceToHost));
    return v;
  }
  float* f() const { return static_cast<float*>(p); }
  void* p = nullptr;
  size_t n;
};

// Runs f under each thread order, restoring the setting afterwards.
template <class F>
void for_each_order(F f) {
  const emu::EmulationSettings saved = emu::settings();
  for (emu::ThreadOrder o : {emu::ThreadOrder::forward, emu::ThreadOrder::reverse, emu::ThreadOrder::random}) {
    emu::settings().order = o;
    INFO("thread order " << emu::order_name(o));
    f(o);
  }
  emu::settings() = saved;
}

std::vector<float> block_sums(bool barrier) {
  const int blocks = 3;
  std::vector<float> host(blocks * kBlock);
  for (size_t i = 0; i < host.size(); ++i) host[i] = 0.25f * static_cast<float>(i % 7) + 1;
  Buffer in(host.size()), out(blocks);
  CUDA_CHECK(cudaMemcpy(in.p, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
  launch<block_sum_kernel>(blocks, kBlock, 0, current_stream(), static_cast<const float*>(in.f()), out.f(), barrier);
  CUDA_CHECK_LAUNCH();
  std::vector<float> got = out.read();
  for (int b = 0; b < blocks; ++b) {
    float want = 0;
    for (int i = 0; i < kBlock; ++i) want += host[b * kBlock + i];
    got[b] -= want;  // the error
  }
  return got;
}

}  // namespace

TEST_CASE("emulation: a block sum with its barrier is right in every thread order") {
  for_each_order([](emu::ThreadOrder) {
    for (float err : block_sums(true)) REQUIRE(err == 0);
  });
}

TEST_CASE("emulation: the same block sum without its __syncthreads is caught by the forward order") {
  // Forward: thread 0 runs to the end before the others write, and reads the NaN poison.
  int wrong_orders = 0;
  for_each_order([&](emu::ThreadOrder o) {
    bool wrong = false;
    for (float err : block_sums(false)) wrong = wrong || !(err == 0);
    if (o == emu::ThreadOrder::forward) REQUIRE(wrong);
    wrong_orders += wrong;
  });
  REQUIRE(wrong_orders >= 1);
}

TEST_CASE("emulation: an off-by-one read of shared memory reads NaN") {
  Buffer out(kBlock);
  launch<neighbour_kernel>(1, kBlock, 0, current_stream(), out.f(), false);
  std::vector<float> good = out.read();
  for (int i = 0; i < kBlock; ++i) REQUIRE(good[i] == (i + 1 < kBlock ? float(i + 1) : 0.0f));
  launch<neighbour_kernel>(1, kBlock, 0, current_stream(), out.f(), true);
  std::vector<float> bad = out.read();
  REQUIRE(std::isnan(bad[kBlock - 1]));
}

TEST_CASE("emulation: warp shuffles sum a warp, in every order, also in a partial last warp") {
  for_each_order([](emu::ThreadOrder) {
    Buffer out(2);
    launch<warp_sum_kernel>(1, 64, 0, current_stream(), out.f(), 0xffffffffu);
    std::vector<float> v = out.read();
    REQUIRE(v[0] == 496.0f);         // 0 + 1 + ... + 31
    REQUIRE(v[1] == 496.0f + 1024);  // 32 + ... + 63
  });
}

TEST_CASE("emulation: synchronisation errors name the kernel, the file:line and the threads") {
  Buffer out(64);
  test::require_error([&] { launch<exit_before_barrier_kernel>(1, 64, 0, current_stream(), out.f()); },
                      {"exit_before_barrier_kernel", "test_emulator.cpp:", "reached after thread 5", "exited"});
  test::require_error([&] { launch<two_barriers_kernel>(1, 64, 0, current_stream(), out.f()); },
                      {"two_barriers_kernel", "different barriers", "test_emulator.cpp:"});
  // A block of 48 threads: the second warp has 16 lanes, and a full mask names lanes that do not exist.
  test::require_error([&] { launch<warp_sum_kernel>(1, 48, 0, current_stream(), out.f(), 0xffffffffu); },
                      {"warp_sum_kernel", "names lane 16", "does not exist in a block of 48 threads"});
  test::require_error([&] { launch<half_warp_exits_kernel>(1, 32, 0, current_stream(), out.f()); },
                      {"half_warp_exits_kernel", "which has exited"});
}

TEST_CASE("emulation: launches the GPU refuses fail at CUDA_CHECK_LAUNCH, and run nothing") {
  Buffer out(64);
  launch<warp_sum_kernel>(1, 2048, 0, current_stream(), out.f(), 0xffffffffu);  // > 1024 threads
  test::require_error([] { CUDA_CHECK_LAUNCH(); }, {"invalid configuration argument"});
  launch<warp_sum_kernel>(dim3(1, 70000), 32, 0, current_stream(), out.f(), 0xffffffffu);  // grid.y > 65535
  test::require_error([] { CUDA_CHECK_LAUNCH(); }, {"invalid configuration argument"});
  CUDA_CHECK_LAUNCH();  // the error is read once
}

TEST_CASE("emulation: two devices, and the SM count is settable") {
  REQUIRE(cuda_device_count() == 2);
  int sms = 0;
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  REQUIRE(sms == emu::settings().sm_count);
}

TEST_CASE("emulation: a launch on another device's stream fails as on a GPU") {
  Buffer out(64);
  const cudaStream_t stream0 = current_stream();
  set_device(1);
  launch<warp_sum_kernel>(1, 32, 0, stream0, out.f(), 0xffffffffu);
  const cudaError_t e = cudaGetLastError();
  set_device(0);
  REQUIRE(e == cudaErrorInvalidResourceHandle);
}

TEST_CASE("emulation: ops on cuda:1 launch and allocate on device 1, and leave device 0 current") {
  const Tensor a = test::rand({37, 300}, 11), b = test::rand({300, 19}, 12);
  const Tensor idx = to(from_vector(std::vector<int64_t>{3, 0, 36, 3}, {4}), DType::i64);
  Tensor a1 = to(a, Device::cuda(1)).set_requires_grad();
  const Tensor b1 = to(b, Device::cuda(1)), idx1 = to(idx, Device::cuda(1));
  REQUIRE(emu::device_of(a1.raw_data()) == 1);
  const emu::DeviceCounters before0 = emu::counters(0), before1 = emu::counters(1);
  cuda_reset_peak(0);
  const size_t in_use0 = cuda_memory_stats(0).allocated;
  // Elementwise, a reduction (its scratch), a GEMM, a softmax, an index check (its error flag), and
  // their gradients.
  const Tensor y = sum(softmax(index_select(matmul(mul(a1, a1), b1), 0, idx1), 1), {0});
  y.backward(ones_like(y));
  REQUIRE(emu::counters(0).launches == before0.launches);
  REQUIRE(emu::counters(0).allocations == before0.allocations);
  REQUIRE(emu::counters(1).launches > before1.launches);
  REQUIRE(cuda_memory_stats(0).peak_allocated == in_use0);  // nothing, not even scratch, on device 0
  REQUIRE(emu::device_of(y.raw_data()) == 1);
  REQUIRE(emu::device_of(a1.grad().raw_data()) == 1);
  REQUIRE(current_device() == 0);
  const Tensor want = sum(softmax(index_select(matmul(mul(a, a), b), 0, idx), 1), {0});
  REQUIRE_CLOSE(to(y, Device::cpu()), want, 1e-5, 1e-5);
}

#if defined(__SANITIZE_ADDRESS__)
TEST_CASE("emulation: the caching allocator poisons rounding tails and cached blocks") {
  char* p = static_cast<char*>(cuda_caching_alloc(1000, 0));  // rounded up to 1024
  REQUIRE_FALSE(__asan_address_is_poisoned(p + 999));
  REQUIRE(__asan_address_is_poisoned(p + 1000));
  REQUIRE(__asan_address_is_poisoned(p + 1023));
  cuda_caching_free(p, 0);
  REQUIRE(__asan_address_is_poisoned(p));
  char* q = static_cast<char*>(cuda_caching_alloc(1024, 0));  // a cached block, handed out whole
  REQUIRE(__asan_region_is_poisoned(q, 1024) == nullptr);
  cuda_caching_free(q, 0);
}
#endif

}  // namespace oc
