// Runs an emulated kernel launch: checks the launch configuration as the GPU would, then runs every
// block, its threads as fibers on one worker thread, blocks spread over the thread pool.
//   __syncthreads waits for every live thread of the block at the same call site;
//   warp shuffles exchange through per-warp slots once every lane of the mask has arrived.
// Errors name the kernel and file:line: a barrier reached after some threads exited, threads waiting
// at different barriers, a shuffle naming an absent or exited lane, a deadlock.
// Settings (environment, read at first use; tests may change them):
//   OCELLUS_EMU_ORDER   forward (default), reverse, or random[:seed]: the order in which a block's
//                       runnable threads run between barriers, so a missing barrier shows
//   OCELLUS_EMU_SMS     the multiprocessor count reported (default 132, as an H100/H200)
#pragma once
#include <cstdint>
#include <string>

#include "core/cuda_emu/cuda_emu.h"

namespace oc::emu {

enum class ThreadOrder { forward, reverse, random };

struct EmulationSettings {
  ThreadOrder order = ThreadOrder::forward;
  uint64_t seed = 1;
  int sm_count = 132;
  int device_count = 2;
  size_t device_memory = size_t{8} << 30;  // bytes each emulated device holds (OCELLUS_EMU_DEVICE_MB)
};
EmulationSettings& settings();
std::string order_name(ThreadOrder order);

// Runs body(context) once per thread of the grid, synchronously. A configuration the GPU refuses
// returns cudaErrorInvalidConfiguration and runs nothing; a synchronisation error throws oc::Error.
using ThreadBody = void (*)(void* context);
cudaError_t run_grid(const char* kernel, dim3 grid, dim3 block, size_t dynamic_shared_bytes, ThreadBody body,
                     void* context);

// A launch on `stream` from the current device: a stream of another device is refused as the GPU
// refuses it (invalid resource handle); otherwise the launch is counted for the current device.
cudaError_t check_launch_stream(cudaStream_t stream);

// What each emulated device has seen, for the tests of device selection.
struct DeviceCounters {
  int64_t launches = 0;     // kernel launches
  int64_t allocations = 0;  // cudaMalloc calls
};
DeviceCounters counters(int device);
// The device whose cudaMalloc'd memory holds p (any byte of an allocation), or -1.
int device_of(const void* p);

// The sticky error of the last launch on this OS thread, as cudaGetLastError reports it.
void set_last_error(cudaError_t error);
cudaError_t take_last_error();
cudaError_t peek_last_error();

}  // namespace oc::emu
