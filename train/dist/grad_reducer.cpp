// The gradient reducer (see grad_reducer.h): buckets, the hook that fills them, the thread that sums them.
#include "train/dist/grad_reducer.h"

#include <chrono>

#include "core/autograd.h"
#include "kernels/copy/copy.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/fill/fill.h"
#include "kernels/views/views.h"

namespace oc {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// x *= s over a CPU buffer, a plain loop: the reducer's thread stays off the shared thread pool.
template <class T>
void scale_host(T* x, int64_t n, double s) {
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<T>(x[i] * s);
}

}  // namespace

GradientReducer::GradientReducer(Communicator& comm, const std::vector<NamedParam>& params, int64_t bucket_bytes)
    : comm_(comm), params_(params) {
  OC_CHECK(!params.empty(), "GradientReducer: no parameters");
  OC_CHECK(bucket_bytes > 0, "GradientReducer: the bucket size must be positive, got ", bucket_bytes);
  const Device device = params[0].param.device();
  on_cuda_ = device.is_cuda();
  const size_t n = params.size();
  param_bucket_.resize(n), param_offset_.resize(n), param_flag_.resize(n), arrived_.resize(n);
  // Reverse model order: the last layers' gradients are finished first.
  int64_t bytes = 0;
  for (size_t k = n; k-- > 0;) {
    const Tensor& p = params[k].param;
    OC_CHECK(p.device() == device, "GradientReducer: parameter ", params[k].name, " is on ", p.device().str(),
             ", the others on ", device.str());
    const bool other_dtype = !bucket_params_.empty() && params[bucket_params_.back().front()].param.dtype() != p.dtype();
    if (bucket_params_.empty() || bytes >= bucket_bytes || other_dtype) {
      bucket_params_.emplace_back();
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    param_bucket_[k] = buckets_.size() - 1;
    param_offset_[k] = b.numel;
    b.numel += p.numel();
    b.params.push_back(k);
    bucket_params_.back().push_back(k);
    bytes += p.numel() * static_cast<int64_t>(dtype_size(p.dtype()));
    index_of_[p.impl_ptr().get()] = k;
  }
  for (Bucket& b : buckets_)
    for (size_t k : b.params) param_flag_[k] = b.numel++;
  if (!on_cuda_ && comm_.size() > 1) {
    worker_comm_ = comm_.duplicate();
    worker_ = std::thread([this] { worker_loop(); });
  }
}

GradientReducer::~GradientReducer() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

GradientReducer::Timing GradientReducer::timing() const {
  std::lock_guard<std::mutex> lk(mu_);
  return timing_;
}

void GradientReducer::backward(const Tensor& loss) {
  if (comm_.size() == 1) return loss.backward();
  begin_step();
  const auto t0 = std::chrono::steady_clock::now();
  {
    GradReadyHookGuard hook([this](const Tensor& leaf) { on_grad_ready(leaf); });
    loss.backward();
  }
  const auto t1 = std::chrono::steady_clock::now();
  finish_step();
  std::lock_guard<std::mutex> lk(mu_);
  timing_.steps++;
  timing_.backward_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
  timing_.exposed_ms += ms_since(t1);
}

void GradientReducer::begin_step() {
  {  // the thread is idle between steps, unless an error ended the last one early
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return done_ >= launched_; });
    launched_ = done_ = 0;
    error_ = nullptr;
  }
  for (Bucket& b : buckets_) {
    const Tensor& p = params_[b.params.front()].param;
    b.flat = zeros({b.numel}, p.dtype(), p.device());
    b.pending = b.params.size();
  }
  std::fill(arrived_.begin(), arrived_.end(), false);
}

void GradientReducer::on_grad_ready(const Tensor& leaf) {
  auto it = index_of_.find(leaf.impl_ptr().get());
  if (it == index_of_.end()) return;  // not a trained parameter
  const size_t k = it->second;
  OC_CHECK(!arrived_[k], "GradientReducer: the gradient of ", params_[k].name, " arrived twice in one backward");
  arrived_[k] = true;
  Bucket& b = buckets_[param_bucket_[k]];
  const int64_t n = params_[k].param.numel(), at = param_offset_[k];
  copy_(slice(b.flat, 0, at, at + n), reshape(leaf.grad(), {n}));
  fill_(slice(b.flat, 0, param_flag_[k], param_flag_[k] + 1), 1.0);
  --b.pending;
  launch_ready_buckets(false);
}

void GradientReducer::launch_ready_buckets(bool all) {
  size_t next;
  {
    std::lock_guard<std::mutex> lk(mu_);
    next = launched_;
  }
  while (next < buckets_.size() && (all || buckets_[next].pending == 0)) {
    if (!worker_.joinable()) {  // CUDA: queued on the stream from this thread
      sum_bucket(comm_, buckets_[next]);
      std::lock_guard<std::mutex> lk(mu_);
      launched_ = done_ = ++next;
      continue;
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      launched_ = ++next;
    }
    cv_.notify_all();
  }
}

void GradientReducer::sum_bucket(Communicator& comm, Bucket& b) {
  comm.all_reduce_sum(b.flat);
  const double inv = 1.0 / comm.size();
  if (b.flat.device().is_cuda()) copy_(b.flat, mul(b.flat, inv));
  else if (b.flat.dtype() == DType::f32) scale_host(b.flat.data<float>(), b.numel, inv);
  else scale_host(b.flat.data<double>(), b.numel, inv);
}

void GradientReducer::worker_loop() {
  for (;;) {
    size_t k;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || done_ < launched_; });
      if (done_ >= launched_) return;  // stopping, nothing left
      k = done_;
    }
    const auto t0 = std::chrono::steady_clock::now();
    std::exception_ptr error;
    try {
      sum_bucket(*worker_comm_, buckets_[k]);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lk(mu_);
      timing_.sum_ms += ms_since(t0);
      if (error && !error_) error_ = error;
      done_ = k + 1;
    }
    cv_.notify_all();
  }
}

void GradientReducer::finish_step() {
  launch_ready_buckets(true);
  {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return done_ >= buckets_.size(); });
    if (error_) std::rethrow_exception(error_);
  }
  if (on_cuda_ && comm_.device_communicator()) comm_.device_communicator()->wait("the gradient sums");
  for (Bucket& b : buckets_) {
    const int64_t first_flag = param_flag_[b.params.front()];
    const std::vector<double> had = to_vector<double>(slice(b.flat, 0, first_flag, b.numel));
    for (size_t j = 0; j < b.params.size(); ++j) {
      NamedParam& p = params_[b.params[j]];
      const int64_t n = p.param.numel(), at = param_offset_[b.params[j]];
      if (had[j] > 0) p.param.set_grad(view(slice(b.flat, 0, at, at + n), p.param.shape()));
      else p.param.zero_grad();  // no process had a gradient for it
    }
  }
}

}  // namespace oc
