// Averages the gradients of a data-parallel run's trained parameters over its processes, in
// buckets, each bucket's sum starting while the rest of backward still runs (docs/distributed.md).
//
// Buckets hold the parameters in reverse order of the model (the order backward finishes them),
// about bucket_bytes each. The autograd engine reports each parameter's finished gradient
// (GradReadyHook, core/autograd.h); it is copied into its bucket, and a bucket whose parameters are
// all in is handed on, in bucket order, so that every process runs the same collectives in the same
// order. CPU tensors: a thread of the reducer's own sums the bucket (a duplicate communicator, so
// that its collectives never pair with the main thread's) while backward goes on. CUDA tensors: the
// sum is queued on the CUDA stream after the kernels that made the gradients.
// A parameter that got no gradient on a process counts as zeros there; one that got none on any
// process keeps no gradient (the optimizer skips it, as in a one-process run).
#pragma once
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "train/dist/communicator.h"
#include "train/optim.h"

namespace oc {

class GradientReducer {
 public:
  GradientReducer(Communicator& comm, const std::vector<NamedParam>& params, int64_t bucket_bytes);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // loss.backward(), after which every parameter's grad is the mean over the processes.
  void backward(const Tensor& loss);

  // Which bucket each parameter went to (the parameters' indices), for the tests and the log.
  const std::vector<std::vector<size_t>>& buckets() const { return bucket_params_; }

  // Where the time of the sums went, over all backward() calls so far.
  struct Timing {
    int64_t steps = 0;
    double backward_ms = 0;  // loss.backward() itself (the sums that overlap it run meanwhile)
    double sum_ms = 0;       // the reducer's thread summing buckets
    double exposed_ms = 0;   // waiting for the sums after backward ended: what the overlap did not hide
  };
  Timing timing() const;

 private:
  struct Bucket {
    std::vector<size_t> params;
    int64_t numel = 0;  // gradients, then one "had a gradient" flag per parameter
    Tensor flat;        // this step's values
    size_t pending = 0; // parameters whose gradient has not arrived
  };
  void begin_step();
  void on_grad_ready(const Tensor& leaf);
  void launch_ready_buckets(bool all);  // in bucket order; `all`: also those still waiting (backward ended)
  void sum_bucket(Communicator& comm, Bucket& b);
  void worker_loop();
  void finish_step();

  Communicator& comm_;
  std::vector<NamedParam> params_;
  std::vector<size_t> param_bucket_;
  std::vector<int64_t> param_offset_;  // within its bucket
  std::vector<int64_t> param_flag_;    // the index of its "had a gradient" flag within its bucket
  std::vector<bool> arrived_;
  std::unordered_map<const void*, size_t> index_of_;  // TensorImpl* -> parameter
  std::vector<std::vector<size_t>> bucket_params_;
  std::vector<Bucket> buckets_;
  bool on_cuda_ = false;

  // The CPU path's thread: sums buckets [done_, launched_) in order.
  std::unique_ptr<Communicator> worker_comm_;
  std::thread worker_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t launched_ = 0, done_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  Timing timing_;
};

}  // namespace oc
