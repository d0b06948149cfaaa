// `ocellus bench train CONFIG`: images/s of a config's training step, bare (one batch held in memory)
// and inside the epoch loop with the real loader, and with --profile the time per kernel of a step
// (train/trainer.h time_training_steps). bench/torch_train.py times the same network in PyTorch.
#include "tools/bench_train.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <nlohmann/json.hpp>

#include "core/cpu_allocator.h"
#include "core/thread_pool.h"
#include "core/timing.h"
#include "tools/bench_common.h"
#include "train/trainer.h"

namespace oc::cli {
namespace {

void print_profile(const StepTimes& t, nlohmann::json& out) {
  std::printf("\nprofile of one bare step (%.2f ms with the profile on), per kernel, outermost calls only:\n",
              t.profile_ms);
  std::printf("%-32s %9s %7s %7s\n", "kernel", "ms", "calls", "%");
  double kernels = 0;
  nlohmann::json rows = nlohmann::json::array();
  for (const ProfileEntry& p : t.profile) {
    std::printf("%-32s %9.3f %7ld %6.1f%%\n", p.name.c_str(), p.ms, static_cast<long>(p.calls),
                100 * p.ms / t.profile_ms);
    rows.push_back({{"kernel", p.name}, {"ms", p.ms}, {"calls", p.calls}});
    kernels += p.ms;
  }
  // The rest: autograd bookkeeping, allocation, host-side loops of losses and heads.
  const double rest = t.profile_ms - kernels;
  std::printf("%-32s %9.3f %7s %6.1f%%\n", "(outside kernels)", rest, "", 100 * rest / t.profile_ms);
  out["profile"] = {{"step_ms", t.profile_ms}, {"kernels", rows}, {"outside_kernels_ms", rest}};
}

}  // namespace

int bench_train(const Args& all) {
  Args args;
  std::vector<std::string> sets = overrides_of(all, args);
  ArgParser p(args, {"--steps", "--warmup", "--json", "--device"}, {"--profile"});
  OC_CHECK(p.rest.size() == 1,
           "usage: ocellus bench train CONFIG [--steps N] [--warmup N] [--profile] [--json FILE] [--device cpu|cuda] "
           "[--set key.path=value ...]");
  const std::string config = p.rest[0];
  const int steps = std::stoi(p.get("--steps", "30")), warmup = std::stoi(p.get("--warmup", "3"));
  Experiment e = load_experiment(config, sets);
  Device dev = Device::parse(p.get("--device", "cpu"));
  if (dev.is_cuda()) require_cuda("bench train");
  cpu_reset_stats();
  const StepTimes t = time_training_steps(e, dev, steps, warmup, p.has("--profile"));
  const CpuMemoryStats mem = cpu_memory_stats();

  const double step_ms = median(t.step_ms);
  // The fastest step as well: on a shared machine the median moves with the neighbours' load, the
  // fastest step much less (what a change to the engine is best judged by).
  const double fastest_ms = *std::min_element(t.step_ms.begin(), t.step_ms.end());
  const double step_ips = t.batch_size / (step_ms * 1e-3);
  // The loop's throughput is what an epoch sees: all its images over all its time (the loader's
  // waits come in bursts, so a median would hide them).
  const double loop_ips = t.batch_size * static_cast<double>(t.loop_ms.size()) / (std::accumulate(t.loop_ms.begin(), t.loop_ms.end(), 0.0) * 1e-3);
  std::printf("training step of %s on %s (%d threads), batch %ld, %d steps after %d warm-up\n", config.c_str(),
              dev.str().c_str(), num_threads(), static_cast<long>(t.batch_size), steps, warmup);
  std::printf("%-34s %9.2f ms %9.1f img/s (median step; fastest %.2f ms)\n", "bare step (batch held in memory)",
              step_ms, step_ips, fastest_ms);
  std::printf("%-34s %9.2f ms %9.1f img/s (%.0f%% of the bare step)\n", "epoch loop (real loader)",
              t.batch_size / loop_ips * 1e3, loop_ips, 100 * loop_ips / step_ips);
  const double hit_rate = mem.requests ? static_cast<double>(mem.hits) / static_cast<double>(mem.requests) : 0;
  std::printf("%-34s %9.1f%% of %ld blocks >= 64 KiB reused, peak %.1f MiB in tensors, %.1f MiB cached\n",
              "host allocator", 100 * hit_rate, static_cast<long>(mem.requests), mem.peak_allocated / 1048576.0,
              mem.cached / 1048576.0);
  nlohmann::json out = {{"bench", "train"},         {"config", config},          {"device", dev.str()},
                        {"threads", num_threads()}, {"batch_size", t.batch_size}, {"steps", steps},
                        {"step_ms", step_ms},       {"step_images_per_s", step_ips},
                        {"fastest_step_ms", fastest_ms},
                        {"loop_images_per_s", loop_ips},
                        {"host_allocator", {{"requests", mem.requests}, {"hits", mem.hits},
                                            {"peak_allocated_bytes", mem.peak_allocated}}}};
  if (!t.profile.empty()) print_profile(t, out);
  write_bench_json(p.get("--json", ""), out, "train");
  return 0;
}

}  // namespace oc::cli
