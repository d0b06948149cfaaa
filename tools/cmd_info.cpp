// `ocellus info`: what this build and machine offer.
#include <cstdio>

#include "core/device.h"
#include "core/thread_pool.h"
#include "kernels/gemm/gemm_cpu.h"
#include "tools/commands.h"

namespace oc::cli {

int cmd_info(const Args& args) {
  ArgParser p(args, {}, {});
  std::printf("ocellus\n");
  const char* cuda = OCELLUS_CUDA_EMULATED ? "EMULATED on the CPU (checks logic, not speed; no GPU is used)"
                     : OCELLUS_HAS_CUDA    ? "yes"
                                           : "no";
  std::printf("  CUDA kernels built: %s\n", cuda);
  std::printf("  CUDA devices:       %d\n", cuda_device_count());
  std::printf("  CPU threads:        %d (env OCELLUS_NUM_THREADS)\n", num_threads());
  std::printf("  CPU GEMM kernel:    %s (env OCELLUS_GEMM_ISA)\n", gemm_cpu_isa());
  return 0;
}

}  // namespace oc::cli
