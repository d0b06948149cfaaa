// The processes of a data-parallel run (docs/distributed.md) and the few collectives its training
// loop needs: sums, broadcasts, a gather of strings, a barrier, and an abort that ends them all.
// MPI carries host buffers (mpi_communicator.cpp); NCCL, when built, carries CUDA tensors
// (nccl_communicator.cpp); a run not started by mpirun has the one-process communicator.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace oc {

// CUDA tensors' collectives (NCCL). They are queued on the current CUDA stream; wait() blocks until
// everything queued so far has finished, or aborts the run after the communicator's timeout.
class DeviceCommunicator {
 public:
  virtual ~DeviceCommunicator() = default;
  virtual void all_reduce_sum(const Tensor& t) = 0;  // contiguous float32 / float64, in place
  virtual void broadcast(const Tensor& t, int root) = 0;
  virtual void wait(const char* what) = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual const char* backend() const = 0;  // "one process" or "MPI"

  // Sums over the processes, in place. Every process ends with the same bits, and a run repeats
  // exactly: each element is summed in rank order, ((x0 + x1) + x2) + ..., in the buffer's type,
  // whatever the timing or the MPI library's own algorithms.
  virtual void all_reduce_sum(float* data, int64_t n) = 0;
  virtual void all_reduce_sum(double* data, int64_t n) = 0;
  virtual void all_reduce_sum(int64_t* data, int64_t n) = 0;
  virtual void broadcast(void* data, int64_t bytes, int root) = 0;
  // Every process's string, in rank order.
  virtual std::vector<std::string> all_gather(const std::string& mine) = 0;
  virtual void barrier() = 0;
  // Prints `why` and ends every process of the run with exit code 1; never returns.
  [[noreturn]] virtual void abort(const std::string& why) = 0;
  // A communicator over the same processes whose collectives never pair with this one's, for a
  // thread of its own (the gradient reducer's). Every process must call it at the same point.
  virtual std::unique_ptr<Communicator> duplicate() = 0;

  // A collective that waits longer than this for the other processes aborts the run, naming itself
  // (a rank that died or hangs must not hang the rest). train.distributed.timeout_s.
  void set_timeout(double seconds) { timeout_s_ = seconds; }
  double timeout() const { return timeout_s_; }

  // CUDA tensors go through this one when set (NCCL), else through copies on the host.
  void set_device_communicator(std::unique_ptr<DeviceCommunicator> d) { device_ = std::move(d); }
  DeviceCommunicator* device_communicator() const { return device_.get(); }

  // Tensors, in place: contiguous float32, float64 or int64, on the CPU or a CUDA device.
  void all_reduce_sum(const Tensor& t);
  void broadcast(const Tensor& t, int root);
  // Bytes of a string from `root` to every process.
  void broadcast(std::string& s, int root);

 protected:
  double timeout_s_ = 300;
  std::unique_ptr<DeviceCommunicator> device_;
};

// The one-process communicator: sums and broadcasts leave the data as it is.
class SingleProcessCommunicator : public Communicator {
 public:
  using Communicator::all_reduce_sum;
  using Communicator::broadcast;
  int rank() const override { return 0; }
  int size() const override { return 1; }
  const char* backend() const override { return "one process"; }
  void all_reduce_sum(float*, int64_t) override {}
  void all_reduce_sum(double*, int64_t) override {}
  void all_reduce_sum(int64_t*, int64_t) override {}
  void broadcast(void*, int64_t, int) override {}
  std::vector<std::string> all_gather(const std::string& mine) override { return {mine}; }
  void barrier() override {}
  [[noreturn]] void abort(const std::string& why) override;
  std::unique_ptr<Communicator> duplicate() override { return std::make_unique<SingleProcessCommunicator>(); }
};

// Whether this binary was built with MPI (OCELLUS_HAS_MPI), and with NCCL (OCELLUS_HAS_NCCL).
bool mpi_built();
bool nccl_built();
// The process count a launcher (mpirun, or any that sets the MPI environment) gave this process,
// read from its environment (OpenMPI's OMPI_COMM_WORLD_SIZE, or PMI_SIZE of MPICH's and Slurm's
// launchers); 0 when neither is set.
int launcher_world_size();
// This process's communicator: MPI's world when a launcher started more than one process (an error
// in a build without MPI), else the one-process communicator. Call once per process.
std::shared_ptr<Communicator> start_communicator();

// The fixed-order sum at the heart of every backend: parts[r] is rank r's copy of `n` values; out
// (which overlaps none of them) receives ((parts[0] + parts[1]) + parts[2]) + ... element by
// element, in T. One pass per part, so that the compiler vectorizes it.
template <class T>
void sum_in_rank_order(const std::vector<const T*>& parts, int64_t n, T* __restrict out) {
  const T* __restrict first = parts[0];
  for (int64_t i = 0; i < n; ++i) out[i] = first[i];
  for (size_t r = 1; r < parts.size(); ++r) {
    const T* __restrict part = parts[r];
    for (int64_t i = 0; i < n; ++i) out[i] = out[i] + part[i];
  }
}

}  // namespace oc
