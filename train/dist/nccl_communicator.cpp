// NCCL's communicator for CUDA tensors (see nccl_communicator.h). Its sums keep the fixed rank
// order of the MPI path rather than ncclAllReduce, whose ring and tree algorithms may group the
// ranks' values differently from run to run: grouped sends give every rank the N copies of its
// chunk, which it adds in rank order with our own add kernel, then an all-gather. Everything is
// queued on the current stream, after the kernels that made the gradients.
#include "train/dist/nccl_communicator.h"

#if OCELLUS_HAS_NCCL
#include <nccl.h>

#include <chrono>
#include <thread>

#include "core/cuda_context.h"
#include "core/device.h"
#include "kernels/copy/copy.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/fill/fill.h"
#include "kernels/views/views.h"
#endif

namespace oc {

#if OCELLUS_HAS_NCCL
namespace {

#define NCCL_CHECK(expr)                                                                                   \
  do {                                                                                                     \
    ncclResult_t oc_nccl_ = (expr);                                                                        \
    if (oc_nccl_ != ncclSuccess)                                                                           \
      OC_FAIL("NCCL error at ", __FILE__, ":", __LINE__, ": ", #expr, ": ", ncclGetErrorString(oc_nccl_)); \
  } while (0)

ncclDataType_t nccl_type(const Tensor& t) {
  switch (t.dtype()) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::i64: return ncclInt64;
    default: OC_FAIL("NCCL: float32, float64 or int64 tensors only, got ", t.str());
  }
}

class NcclCommunicator : public DeviceCommunicator {
 public:
  explicit NcclCommunicator(Communicator& host) : host_(host) {
    ncclUniqueId id;
    if (host.rank() == 0) NCCL_CHECK(ncclGetUniqueId(&id));
    host.broadcast(&id, sizeof id, 0);
    NCCL_CHECK(ncclCommInitRank(&comm_, host.size(), id, host.rank()));
  }
  ~NcclCommunicator() override { ncclCommDestroy(comm_); }

  void all_reduce_sum(const Tensor& t) override {
    CudaDeviceGuard on(t.device());
    const int64_t N = host_.size(), me = host_.rank(), n = t.numel(), chunk = (n + N - 1) / N;
    if (N == 1 || n == 0) return;
    cudaStream_t s = current_stream();
    const ncclDataType_t type = nccl_type(t);
    Tensor flat = zeros({N * chunk}, t.dtype(), t.device()), recv = Tensor::empty({N, chunk}, t.dtype(), t.device());
    copy_(slice(flat, 0, 0, n), view(t, {n}));
    const size_t bytes = dtype_size(t.dtype());
    char* send_base = static_cast<char*>(flat.raw_data());
    char* recv_base = static_cast<char*>(recv.raw_data());
    NCCL_CHECK(ncclGroupStart());
    for (int64_t r = 0; r < N; ++r) {
      if (r == me) continue;
      NCCL_CHECK(ncclSend(send_base + r * chunk * bytes, chunk, type, static_cast<int>(r), comm_, s));
      NCCL_CHECK(ncclRecv(recv_base + r * chunk * bytes, chunk, type, static_cast<int>(r), comm_, s));
    }
    NCCL_CHECK(ncclGroupEnd());
    copy_(select(recv, 0, me), slice(flat, 0, me * chunk, (me + 1) * chunk));
    Tensor mine = contiguous(select(recv, 0, 0));
    for (int64_t r = 1; r < N; ++r) mine = add(mine, select(recv, 0, r));
    NCCL_CHECK(ncclAllGather(mine.raw_data(), flat.raw_data(), chunk, type, comm_, s));
    copy_(view(t, {n}), slice(flat, 0, 0, n));
  }

  void broadcast(const Tensor& t, int root) override {
    CudaDeviceGuard on(t.device());
    NCCL_CHECK(ncclBroadcast(t.raw_data(), t.raw_data(), t.numel(), nccl_type(t), root, comm_, current_stream()));
  }

  // An event after everything queued, polled until done or the timeout; then NCCL's communicator is
  // aborted (its kernels would otherwise spin forever) and so is the run.
  void wait(const char* what) override {
    cudaEvent_t ev;
    CUDA_CHECK(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming));
    CUDA_CHECK(cudaEventRecord(ev, current_stream()));
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const cudaError_t q = cudaEventQuery(ev);
      if (q == cudaSuccess) break;
      if (q != cudaErrorNotReady) CUDA_CHECK(q);
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (waited > host_.timeout()) {
        ncclCommAbort(comm_);
        host_.abort(str_cat("ocellus: error: rank ", host_.rank(), " of ", host_.size(), ": ", what, " (NCCL) waited ",
                            static_cast<int64_t>(waited), " s for the other processes (train.distributed.timeout_s is ",
                            host_.timeout(), "): one of them has died or hangs; ending the run"));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    CUDA_CHECK(cudaEventDestroy(ev));
  }

 private:
  Communicator& host_;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

std::unique_ptr<DeviceCommunicator> make_nccl_communicator(Communicator& host) {
  return std::make_unique<NcclCommunicator>(host);
}

#else

std::unique_ptr<DeviceCommunicator> make_nccl_communicator(Communicator&) { return nullptr; }

#endif

}  // namespace oc
