// What every communicator shares (see communicator.h): tensors through the host-buffer collectives
// or the device communicator, the one-process communicator, and the choice at start-up.
#include "train/dist/communicator.h"

#include <cstdio>
#include <cstdlib>

#include "core/log.h"
#include "kernels/copy/copy.h"
#include "train/dist/mpi_communicator.h"

namespace oc {

void Communicator::all_reduce_sum(const Tensor& t) {
  if (size() == 1) return;
  OC_CHECK(t.is_contiguous(), "all_reduce_sum: the tensor must be contiguous, got ", t.str());
  if (t.device().is_cuda()) {
    if (device_) return device_->all_reduce_sum(t);
    Tensor host = to(t, Device::cpu());
    all_reduce_sum(host);
    copy_(t, host);
    return;
  }
  switch (t.dtype()) {
    case DType::f32: return all_reduce_sum(t.data<float>(), t.numel());
    case DType::f64: return all_reduce_sum(t.data<double>(), t.numel());
    case DType::i64: return all_reduce_sum(t.data<int64_t>(), t.numel());
    default: OC_FAIL("all_reduce_sum: float32, float64 or int64 only, got ", t.str());
  }
}

void Communicator::broadcast(const Tensor& t, int root) {
  if (size() == 1) return;
  OC_CHECK(t.is_contiguous(), "broadcast: the tensor must be contiguous, got ", t.str());
  if (t.device().is_cuda()) {
    if (device_) return device_->broadcast(t, root);
    Tensor host = to(t, Device::cpu());
    broadcast(host, root);
    copy_(t, host);
    return;
  }
  broadcast(t.raw_data(), t.numel() * static_cast<int64_t>(dtype_size(t.dtype())), root);
}

void Communicator::broadcast(std::string& s, int root) {
  if (size() == 1) return;
  int64_t n = static_cast<int64_t>(s.size());
  broadcast(&n, sizeof n, root);
  s.resize(static_cast<size_t>(n));
  broadcast(s.data(), n, root);
}

void SingleProcessCommunicator::abort(const std::string& why) {
  log_line(why);
  std::fflush(stdout);
  std::_Exit(1);
}

bool nccl_built() { return OCELLUS_HAS_NCCL != 0; }

int launcher_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    const char* v = std::getenv(name);
    if (v && *v) return std::atoi(v);
  }
  return 0;
}

std::shared_ptr<Communicator> start_communicator() {
  const int n = launcher_world_size();
  if (n <= 1) return std::make_shared<SingleProcessCommunicator>();
  OC_CHECK(mpi_built(), "this process was started by mpirun as one of ", n,
           " processes, but this build of ocellus has no MPI (`ocellus info` says so): install "
           "openmpi-bin and libopenmpi-dev (tools/setup.sh) and rebuild, or run without mpirun");
  return start_mpi_world();
}

}  // namespace oc
