// Synchronized batch normalization (train.distributed.sync_batchnorm, docs/distributed.md): in a
// data-parallel run, BatchNorm2d layers in training mode normalize with the statistics of the whole
// batch over every process, not of their own part of it. The layers know no processes: the
// training loop of such a run installs the sum over them (train/dist/).
#pragma once
#include <functional>

#include "core/tensor.h"

namespace oc {

// The sum over the processes of a small tensor, differentiable: its gradient is the same sum of
// the incoming gradients (every process's loss depends on every process's statistics).
using ProcessSum = std::function<Tensor(const Tensor&)>;

// While set (non-empty), every BatchNorm2d in training mode calls sync_batch_norm with it. Set it
// before a run's first step and clear it after (not thread safe).
void set_batch_norm_process_sum(ProcessSum sum);
const ProcessSum& batch_norm_process_sum();

// batch_norm (kernels/batch_norm) in training mode, relu(...) too when `relu`, with the mean and the
// biased variance of x [N, C, ...] per channel taken over every process's batch: the per-process
// sums of x and x^2 (in float64, so that E[x^2] - E[x]^2 keeps its digits) and the sample count go
// through `process_sum` once. The running buffers are updated with the global statistics (the unbiased
// variance, as PyTorch's SyncBatchNorm), so they stay equal on every process.
Tensor sync_batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                       const Tensor& running_var, double momentum, double eps, bool relu, const ProcessSum& process_sum);

}  // namespace oc
