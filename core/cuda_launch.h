// oc::launch<kernel>(grid, block, shared_bytes, stream, args...): every kernel launch goes through it.
// It holds the only <<<>>> of the code base, so each .cu compiles unchanged under nvcc and, for the
// emulation, under g++ (where the launch runs the grid on fibers, core/cuda_emu/block_runner.h).
#pragma once
#include <string>
#include <string_view>
#include <utility>

#include "core/cuda_api.h"
#if OCELLUS_CUDA_EMULATED
#include "core/cuda_emu/block_runner.h"
#endif

namespace oc {

#if OCELLUS_CUDA_EMULATED
// "softmax_warp_kernel<float, false>", from the compiler's name of this instantiation.
template <auto Kernel>
const char* kernel_name() {
  const std::string_view f = __PRETTY_FUNCTION__;  // "... [with auto Kernel = name<args>]"
  static const std::string name = [f] {
    const size_t at = f.find("Kernel = ");
    if (at == std::string_view::npos) return std::string(f);
    std::string_view k = f.substr(at + 9);
    k = k.substr(0, k.find_last_of(']'));
    return std::string(k);
  }();
  return name.c_str();
}

template <auto Kernel, class... Args>
void launch(dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, Args&&... args) {
  if (const cudaError_t e = emu::check_launch_stream(stream); e != cudaSuccess) return emu::set_last_error(e);
  auto body = [&] { Kernel(args...); };
  emu::run_grid(kernel_name<Kernel>(), grid, block, shared_bytes,
                [](void* b) { (*static_cast<decltype(body)*>(b))(); }, &body);
}
#elif defined(__CUDACC__)
template <auto Kernel, class... Args>
void launch(dim3 grid, dim3 block, size_t shared_bytes, cudaStream_t stream, Args&&... args) {
  Kernel<<<grid, block, shared_bytes, stream>>>(std::forward<Args>(args)...);
}
#endif

}  // namespace oc
