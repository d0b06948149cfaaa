// The CUDA runtime calls of cuda_emu.h on the host: memory is host memory, every stream runs its work
// at once (so synchronisation is a no-op), events read the clock, and two devices exist. Each
// allocation and stream remembers its device, so a launch on another device's stream fails as on a GPU.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <new>

#include "core/cuda_emu/block_runner.h"
#include "core/cuda_emu/cuda_emu.h"

struct CUstream_st {
  int device = 0;
};
struct CUevent_st {
  std::chrono::steady_clock::time_point when{};
  bool recorded = false;
};

namespace {

thread_local int t_device = 0;
constexpr std::align_val_t kAlign{256};  // as cudaMalloc guarantees
constexpr int kMaxDevices = 16;

cudaError_t fail(cudaError_t e) {
  oc::emu::set_last_error(e);
  return e;
}

struct Allocation {
  size_t bytes;
  int device;
};
std::mutex g_alloc_mutex;
std::map<const char*, Allocation>& g_allocations = *new std::map<const char*, Allocation>;  // by first byte; never destroyed
std::array<std::atomic<int64_t>, kMaxDevices> g_launches{}, g_mallocs{};
std::array<size_t, kMaxDevices> g_bytes_in_use{};  // under g_alloc_mutex; settings().device_memory caps each

}  // namespace

namespace oc::emu {

cudaError_t check_launch_stream(cudaStream_t stream) {
  if (stream && stream->device != t_device) return cudaErrorInvalidResourceHandle;
  g_launches.at(t_device)++;
  return cudaSuccess;
}

DeviceCounters counters(int device) { return {g_launches.at(device).load(), g_mallocs.at(device).load()}; }

int device_of(const void* p) {
  const char* c = static_cast<const char*>(p);
  std::lock_guard<std::mutex> lk(g_alloc_mutex);
  auto it = g_allocations.upper_bound(c);
  if (it == g_allocations.begin()) return -1;
  --it;
  return c < it->first + std::max<size_t>(it->second.bytes, 1) ? it->second.device : -1;
}

}  // namespace oc::emu

cudaError_t cudaGetDeviceCount(int* count) {
  *count = oc::emu::settings().device_count;
  return cudaSuccess;
}

cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= oc::emu::settings().device_count) return fail(cudaErrorInvalidDevice);
  t_device = device;
  return cudaSuccess;
}

cudaError_t cudaGetDevice(int* device) {
  *device = t_device;
  return cudaSuccess;
}

cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr attr, int device) {
  if (device < 0 || device >= oc::emu::settings().device_count) return fail(cudaErrorInvalidDevice);
  switch (attr) {
    case cudaDevAttrMultiProcessorCount: *value = oc::emu::settings().sm_count; return cudaSuccess;
    case cudaDevAttrMaxThreadsPerBlock: *value = 1024; return cudaSuccess;
  }
  return fail(cudaErrorInvalidValue);
}

cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  *ptr = nullptr;
  {  // the device's memory is finite, as on a GPU: a request past it fails before the host is asked
    std::lock_guard<std::mutex> lk(g_alloc_mutex);
    size_t& in_use = g_bytes_in_use.at(t_device);
    if (bytes > oc::emu::settings().device_memory - in_use) return fail(cudaErrorMemoryAllocation);
    in_use += bytes;
  }
  // Exactly `bytes`, so AddressSanitizer sees a read past the end of a device buffer.
  *ptr = ::operator new(bytes == 0 ? 1 : bytes, kAlign, std::nothrow);
  std::lock_guard<std::mutex> lk(g_alloc_mutex);
  if (!*ptr) {
    g_bytes_in_use.at(t_device) -= bytes;
    return fail(cudaErrorMemoryAllocation);
  }
  g_mallocs.at(t_device)++;
  g_allocations[static_cast<const char*>(*ptr)] = {bytes, t_device};
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  if (!ptr) return cudaSuccess;
  {
    std::lock_guard<std::mutex> lk(g_alloc_mutex);
    auto it = g_allocations.find(static_cast<const char*>(ptr));
    if (it == g_allocations.end()) return fail(cudaErrorInvalidValue);
    g_bytes_in_use.at(it->second.device) -= it->second.bytes;
    g_allocations.erase(it);
  }
  ::operator delete(ptr, kAlign);
  return cudaSuccess;
}

cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  std::lock_guard<std::mutex> lk(g_alloc_mutex);
  *total_bytes = oc::emu::settings().device_memory;
  *free_bytes = *total_bytes - g_bytes_in_use.at(t_device);
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind) {
  if (bytes) std::memcpy(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}
cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src, int src_device, size_t bytes,
                                cudaStream_t) {
  const int n = oc::emu::settings().device_count;
  if (dst_device < 0 || dst_device >= n || src_device < 0 || src_device >= n) return fail(cudaErrorInvalidDevice);
  return cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);
}
cudaError_t cudaMemset(void* ptr, int value, size_t bytes) {
  if (bytes) std::memset(ptr, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t) { return cudaMemset(ptr, value, bytes); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  *stream = new CUstream_st{t_device};
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }

cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = new CUevent_st;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
  event->when = std::chrono::steady_clock::now();
  event->recorded = true;
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t) { return cudaSuccess; }
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start->recorded || !end->recorded) return fail(cudaErrorInvalidValue);
  *ms = std::chrono::duration<float, std::milli>(end->when - start->when).count();
  return cudaSuccess;
}

cudaError_t cudaGetLastError() { return oc::emu::take_last_error(); }
cudaError_t cudaPeekAtLastError() { return oc::emu::peek_last_error(); }

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorLaunchFailure: return "unspecified launch failure";
  }
  return "unknown error";
}
