// What a data-parallel run adds to the training loop (docs/distributed.md), in one object the loop
// calls at fixed points. With one process every call does the one-process thing (backward is
// loss.backward(), sums leave their numbers alone), so the loop has no second path.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "nets/network.h"
#include "train/checkpoint.h"
#include "train/dist/communicator.h"
#include "train/dist/grad_reducer.h"
#include "train/experiment.h"
#include "train/optim.h"

namespace oc {

class DataParallel {
 public:
  // comm: null means one process.
  DataParallel(std::shared_ptr<Communicator> comm, const DistributedSettings& s);
  ~DataParallel();  // uninstalls sync batch norm
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return comm_->rank(); }
  int size() const { return comm_->size(); }
  bool active() const { return size() > 1; }
  bool is_main() const { return rank() == 0; }  // writes the files and prints
  Communicator& comm() { return *comm_; }

  // The device this process trains on: a CUDA run puts local rank k (OMPI_COMM_WORLD_LOCAL_RANK) on
  // GPU k modulo the machine's count, whatever index the config names.
  Device local_device(Device configured) const;

  // Before anything is trained or written, on every process at the same point:
  // the setup (config after --set overrides, --resume, the device type) and the trained parameters'
  // names, shapes and dtypes must be the same everywhere, else an oc::Error naming the first
  // difference (config key or parameter) and the two ranks;
  void check_same_setup(const json& setup, const std::vector<NamedParam>& params);
  // rank 0's parameters and buffers on every process, and on each its own dropout streams (rank r
  // draws at offset r * 2^50 of the layer's stream, so no two processes drop the same units);
  void broadcast_model(Network& model);
  // the gradient reducer over `params`, and sync batch norm when the settings ask for it.
  void start(const std::vector<NamedParam>& params);

  // After rank 0 alone read a checkpoint (--resume): its model, optimizer state, position (with the
  // process count it was written by) and dropout offsets on every process.
  void broadcast_resumed(Network& model, Optimizer& opt, TrainPosition& pos);

  // loss.backward(), then every trained parameter's gradient averaged over the processes.
  void backward(const Tensor& loss);
  // Sums over the processes, in place (fixed order: every process gets the same bits).
  void sum(std::vector<double>& values);
  // rank 0's buffers (batch norm running statistics, which drift apart when each process normalizes
  // with its own batch) on every process: before each evaluation, so that every process evaluates,
  // and rank 0 saves, the same model.
  void broadcast_buffers(Network& model);
  void barrier() { comm_->barrier(); }

  // One line on where the gradient sums' time went (empty with one process).
  std::string timing_summary() const;

 private:
  std::shared_ptr<Communicator> comm_;
  DistributedSettings settings_;
  std::unique_ptr<GradientReducer> reducer_;
  bool sync_batchnorm_on_ = false;
};

// The sum over the processes of `x`, differentiable: its gradient is the sum of every process's
// incoming gradient (what sync batch norm's statistics go through).
Tensor process_sum(Communicator& comm, const Tensor& x);

// After queueing collectives on `t`'s device: with NCCL, waits for them against the timeout.
void wait_for_device(Communicator& comm, const Tensor& t, const char* what);

// The first difference between two configs as a dotted key path with both values, e.g.
// `train.optimizer.lr (0.1 against 0.05)`; empty when they are equal.
std::string first_config_difference(const json& a, const json& b);

}  // namespace oc
