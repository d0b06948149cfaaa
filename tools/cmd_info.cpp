// `ocellus info`: what this build and machine offer, and what each registry holds (the names a
// config may use and the keys each reads).
#include <cstdio>

#include "core/cpu_allocator.h"
#include "core/device.h"
#include "core/thread_pool.h"
#include "kernels/gemm/gemm_cpu.h"
#include "nets/layer_registry.h"
#include "nets/det/det_head.h"
#include "nets/pose/pose_head.h"
#include "tools/commands.h"
#include "train/data/datasets.h"
#include "train/dist/communicator.h"
#include "train/optimizers.h"
#include "train/schedule.h"
#include "train/tasks/task.h"

namespace oc::cli {
namespace {

// The config key, then one entry a line: its name and the keys it reads.
template <class Factory>
void print_registry(const char* key, const Registry<Factory>& r) {
  const std::string& what = r.what();
  std::printf("  %s (%s%s):\n", key, what.c_str(), what.back() == 's' ? "es" : "s");
  for (const auto& [name, e] : r.entries()) {
    std::string keys;
    for (const auto& k : e.keys) keys += (keys.empty() ? "" : ", ") + k;
    if (keys.empty()) std::printf("    %s\n", name.c_str());
    else std::printf("    %-20s %s\n", name.c_str(), keys.c_str());
  }
}

}  // namespace

int cmd_info(const Args& args) {
  ArgParser p(args, {}, {});
  std::printf("ocellus\n");
  const char* cuda = OCELLUS_CUDA_EMULATED ? "EMULATED on the CPU (checks logic, not speed; no GPU is used)"
                     : OCELLUS_HAS_CUDA    ? "yes"
                                           : "no";
  std::printf("  CUDA kernels built: %s\n", cuda);
  std::printf("  CUDA devices:       %d\n", cuda_device_count());
  // Data-parallel training (docs/distributed.md): MPI starts the processes and sums CPU tensors, NCCL CUDA ones.
  if (mpi_built())
    std::printf("  distributed:        yes (MPI; CUDA tensors by %s): mpirun -np N ocellus train CONFIG\n",
                nccl_built() ? "NCCL" : "host copies, no NCCL in this build");
  else
    std::printf("  distributed:        no (built without MPI: mpirun runs are refused; tools/setup.sh installs it)\n");
  std::printf("  CPU threads:        %d (env OCELLUS_NUM_THREADS)\n", num_threads());
  std::printf("  CPU GEMM kernel:    %s (env OCELLUS_GEMM_ISA)\n", gemm_cpu_isa());
  std::printf("  CPU memory cache:   up to %zu MiB of freed tensor blocks (env OCELLUS_CPU_CACHE_MB)\n",
              cpu_memory_stats().cache_limit >> 20);
  std::printf("registries: the names a config may use, and the keys each reads\n");
  print_registry("model.layers[].type", layer_registry());
  print_registry("data.dataset", dataset_registry());
  print_registry("task.type", task_registry());
  print_registry("task.head", pose_head_registry());
  print_registry("task.head", det_head_registry());
  print_registry("task.heatmap_loss", heatmap_loss_registry());
  print_registry("train.optimizer.type", optimizer_registry());
  print_registry("train.schedule.kind", schedule_registry());
  print_registry("train.loss.type", loss_registry());
  return 0;
}

}  // namespace oc::cli
