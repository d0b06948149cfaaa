// Thread pool: workers take chunk indices of the current parallel region from its atomic counter;
// between regions they spin briefly, then sleep on a condition variable.
#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace oc {
namespace {

thread_local bool t_in_parallel_region = false;

int default_threads() {
  if (const char* env = std::getenv("OCELLUS_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

// Waits briefly by spinning before a thread sleeps: a training step runs a hundred parallel regions
// a few hundred microseconds apart, and waking a sleeping worker (a futex call, then the scheduler)
// costs tens of microseconds each time. Bounded in time, so an idle pool sleeps.
constexpr auto kSpinTime = std::chrono::microseconds(50);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

// Spins until done() or kSpinTime has passed; returns done().
template <class Done>
bool spin_until(Done done) {
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 1;; ++i) {
    if (done()) return true;
    cpu_relax();
    if (i % 32 == 0 && std::chrono::steady_clock::now() - t0 > kSpinTime) return done();
  }
}

class ThreadPool {
 public:
  explicit ThreadPool(int n) { start(n); }
  ~ThreadPool() { stop(); }

  // Read by every parallel_for, from any thread, while set_num_threads may be resizing: an atomic
  // copy of the count rather than workers_.size().
  int size() const { return size_.load(std::memory_order_relaxed); }

  void resize(int n) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);
    stop();
    start(n);
  }

  // Runs job(chunk) for chunk in [0, chunks) on the workers and the caller.
  void run(int64_t chunks, const std::function<void(int64_t)>& job) {
    std::lock_guard<std::mutex> run_lock(run_mutex_);  // one parallel region at a time
    auto region = std::make_shared<Region>();
    region->job = &job;
    region->chunks = chunks;
    region->pending = chunks;
    {
      std::lock_guard<std::mutex> lk(mutex_);
      current_ = region;
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_work_.notify_all();  // cheap when every worker is still spinning
    work_on(*region);
    auto finished = [&] { return region->pending.load(std::memory_order_acquire) == 0; };
    std::unique_lock<std::mutex> lk(mutex_, std::defer_lock);
    if (!spin_until(finished)) {
      lk.lock();
      cv_done_.wait(lk, finished);
    } else {
      lk.lock();
    }
    current_.reset();
    if (region->error) std::rethrow_exception(region->error);
  }

 private:
  // One parallel region. A worker that wakes late may still hold it after run() returned: its
  // chunk counter is then past the end, so the worker touches neither job nor pending.
  struct Region {
    const std::function<void(int64_t)>* job = nullptr;
    int64_t chunks = 0;
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> pending{0};  // chunks not finished; the one that ends it notifies under mutex_
    std::exception_ptr error;         // guarded by mutex_
  };

  void start(int n) {
    quit_ = false;
    for (int i = 1; i < std::max(n, 1); ++i) workers_.emplace_back([this] { worker_loop(); });
    size_.store(std::max(n, 1), std::memory_order_relaxed);
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      quit_ = true;
    }
    cv_work_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    size_.store(1, std::memory_order_relaxed);
  }

  void work_on(Region& r) {
    t_in_parallel_region = true;
    for (;;) {
      int64_t c = r.next.fetch_add(1);
      if (c >= r.chunks) break;
      try {
        (*r.job)(c);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mutex_);
        if (!r.error) r.error = std::current_exception();
      }
      if (r.pending.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lk(mutex_);  // the caller checks `pending` under it before sleeping
        cv_done_.notify_all();
      }
    }
    t_in_parallel_region = false;
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      spin_until([&] { return quit_.load() || generation_.load(std::memory_order_acquire) != seen; });
      std::shared_ptr<Region> region;
      {
        std::unique_lock<std::mutex> lk(mutex_);
        cv_work_.wait(lk, [&] { return quit_.load() || generation_.load() != seen; });
        if (quit_) return;
        seen = generation_.load();
        region = current_;
      }
      if (region) work_on(*region);
    }
  }

  std::vector<std::thread> workers_;   // resized under run_mutex_
  std::atomic<int> size_{1};           // workers_.size() + 1 (the caller)
  std::mutex run_mutex_, mutex_;
  std::condition_variable cv_work_, cv_done_;
  std::shared_ptr<Region> current_;        // guarded by mutex_
  std::atomic<uint64_t> generation_{0};    // changed under mutex_; read by spinning workers without it
  std::atomic<bool> quit_{false};          // changed under mutex_
};

ThreadPool& pool() {
  static ThreadPool p(default_threads());
  return p;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) { pool().resize(n > 0 ? n : default_threads()); }

void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t n = end - begin;
  const int threads = num_threads();
  if (t_in_parallel_region || threads == 1 || n < 2 * grain) {
    fn(begin, end);
    return;
  }
  const int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, threads * 4);
  const int64_t step = (n + chunks - 1) / chunks;
  pool().run(chunks, [&](int64_t c) {
    int64_t b = begin + c * step, e = std::min(end, b + step);
    if (b < e) fn(b, e);
  });
}

}  // namespace oc
