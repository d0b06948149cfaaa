// The block scheduler of the CUDA emulation (see block_runner.h).
#include "core/cuda_emu/block_runner.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "core/cuda_emu/fiber.h"
#include "core/error.h"
#include "core/thread_pool.h"

namespace oc::emu {

thread_local constinit const ThreadCoords* t_coords = nullptr;

namespace {

constexpr size_t kMaxStaticShared = 48 << 10;  // the static __shared__ limit per block

enum class State { runnable, at_barrier, at_shuffle, done };

struct EmuThread {
  ThreadCoords coords;
  int linear = 0;
  State state = State::runnable;
  const char* file = "";  // where it waits
  int line = 0;
  unsigned mask = 0;  // shuffle request and answer
  int src = 0;
  uint64_t bits = 0, result = 0;
  Fiber* fiber = nullptr;
};

struct SharedArray {
  const void* key;
  size_t bytes;
  std::unique_ptr<char[]> data;
};

struct Block {
  ThreadBody body = nullptr;
  void* context = nullptr;
  std::vector<int> warp_waiting;  // lanes of each warp waiting at a shuffle
  std::vector<EmuThread> threads;
  std::vector<SharedArray> shared;
  size_t shared_bytes = 0;
  std::string error;  // the first error; the block stops there
};

thread_local Block* t_block = nullptr;
thread_local EmuThread* t_thread = nullptr;
thread_local std::vector<std::unique_ptr<Fiber>> t_fibers;  // this worker's stacks, reused
thread_local cudaError_t t_last_error = cudaSuccess;
thread_local Block t_reused_block;

std::string site(const char* file, int line) { return str_cat(file, ":", line); }

// An error of the emulated thread: thrown, so the fiber's stack unwinds (its temporaries are freed),
// caught in thread_main, which records it; the scheduler then stops the block.
struct KernelFault {
  std::string message;
};
[[noreturn]] void fail_here(std::string message) { throw KernelFault{std::move(message)}; }

void thread_main(void* arg) {
  EmuThread* t = static_cast<EmuThread*>(arg);
  try {
    t_block->body(t_block->context);
  } catch (const KernelFault& f) {
    if (t_block->error.empty()) t_block->error = f.message;
  } catch (const std::exception& e) {
    if (t_block->error.empty()) t_block->error = str_cat("thread ", t->linear, " threw: ", e.what());
  }
  t->state = State::done;
}

uint64_t next_random(uint64_t& s) {
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

void order_threads(std::vector<int>& order, uint64_t& rng) {
  const ThreadOrder o = settings().order;
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (o == ThreadOrder::reverse) std::reverse(order.begin(), order.end());
  if (o == ThreadOrder::random)
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[next_random(rng) % i]);
}

// Releases the warp at `base` if every lane of its shuffle's mask waits at that shuffle: answers first,
// for all lanes, then they may run (a lane that runs on may overwrite its slot). False if it cannot
// go yet, or on an error (then b.error says why).
bool release_warp(Block& b, int base) {
  const int n = static_cast<int>(b.threads.size()), lanes = std::min(32, n - base);
  int first = -1;
  for (int l = 0; l < lanes && first < 0; ++l)
    if (b.threads[base + l].state == State::at_shuffle) first = base + l;
  if (first < 0) return false;
  const EmuThread& t = b.threads[first];
  for (int l = 0; l < 32; ++l) {
    if (!(t.mask >> l & 1u)) continue;
    const EmuThread& o = b.threads[base + l];  // exists: checked when the shuffle was called
    if (o.state == State::done) {
      b.error = str_cat("the shuffle at ", site(t.file, t.line), " (mask 0x", std::hex, t.mask, std::dec,
                        ") waits for lane ", l, " of warp ", base / 32, ", which has exited");
      return false;
    }
    if (o.state == State::at_shuffle && (o.file != t.file || o.line != t.line || o.mask != t.mask)) {
      b.error = str_cat("lanes of warp ", base / 32, " are at different shuffles: ", site(t.file, t.line), " (thread ",
                        t.linear, ") and ", site(o.file, o.line), " (thread ", o.linear, ")");
      return false;
    }
    if (o.state != State::at_shuffle) return false;
  }
  for (int l = 0; l < 32; ++l)
    if (t.mask >> l & 1u) {
      EmuThread& o = b.threads[base + l];
      o.result = b.threads[o.src].bits;
    }
  const unsigned mask = t.mask;
  for (int l = 0; l < 32; ++l)
    if (mask >> l & 1u) b.threads[base + l].state = State::runnable;
  b.warp_waiting[base / 32] -= std::popcount(mask);
  return true;
}

bool release_shuffles(Block& b) {
  bool released = false;
  for (int base = 0; base < static_cast<int>(b.threads.size()) && b.error.empty(); base += 32)
    released = release_warp(b, base) || released;
  return released && b.error.empty();
}

// After a sweep, no thread is runnable: release a barrier or a shuffle, or report why none can go.
bool release_waiting(Block& b) {
  if (release_shuffles(b)) return true;
  if (!b.error.empty()) return false;
  const EmuThread *barrier = nullptr, *exited = nullptr, *shuffle = nullptr;
  for (const EmuThread& t : b.threads) {
    if (t.state == State::done && !exited) exited = &t;
    if (t.state == State::at_shuffle && !shuffle) shuffle = &t;
    if (t.state != State::at_barrier) continue;
    if (!barrier) {
      barrier = &t;
    } else if (t.file != barrier->file || t.line != barrier->line) {
      b.error = str_cat("threads wait at different barriers: ", site(barrier->file, barrier->line), " (thread ",
                        barrier->linear, ") and ", site(t.file, t.line), " (thread ", t.linear, ")");
      return false;
    }
  }
  if (barrier && exited) {
    b.error = str_cat("__syncthreads at ", site(barrier->file, barrier->line), " is reached after thread ",
                      exited->linear, " of the block exited");
    return false;
  }
  if (barrier && !shuffle) {
    for (EmuThread& t : b.threads) t.state = State::runnable;
    return true;
  }
  if (shuffle)
    b.error = str_cat("deadlock: thread ", shuffle->linear, " waits at the shuffle at ",
                      site(shuffle->file, shuffle->line),
                      barrier ? str_cat(" while thread ", barrier->linear, " waits at __syncthreads at ",
                                        site(barrier->file, barrier->line))
                              : std::string(" for lanes that never arrive"));
  else
    b.error = "deadlock: no thread can proceed";
  return false;
}

void run_block(Block& b, dim3 grid, dim3 block, uint3 block_idx) {
  const int n = static_cast<int>(block.x * block.y * block.z);
  while (static_cast<int>(t_fibers.size()) < n) t_fibers.push_back(std::make_unique<Fiber>());
  b.threads.resize(static_cast<size_t>(n));
  b.warp_waiting.assign(static_cast<size_t>((n + 31) / 32), 0);
  for (int i = 0; i < n; ++i) {
    EmuThread& t = b.threads[i];
    t.linear = i;
    t.state = State::runnable;
    t.coords.thread_idx = {static_cast<unsigned>(i) % block.x, static_cast<unsigned>(i) / block.x % block.y,
                           static_cast<unsigned>(i) / (block.x * block.y)};
    t.coords.block_idx = block_idx;
    t.coords.block_dim = block;
    t.coords.grid_dim = grid;
    t.fiber = t_fibers[i].get();
    t.fiber->reset(&thread_main, &t);
  }
  Block* outer_block = t_block;
  EmuThread* outer_thread = t_thread;
  const ThreadCoords* outer_coords = t_coords;
  t_block = &b;
  std::vector<int> order(static_cast<size_t>(n));
  uint64_t rng = settings().seed * 0x9E3779B97F4A7C15ull + (block_idx.x + 1ull) * 0xBF58476D1CE4E5B9ull +
                 (block_idx.y * 65536ull + block_idx.z + 1) * 0x94D049BB133111EBull;
  if (rng == 0) rng = 1;
  const bool reshuffle = settings().order == ThreadOrder::random;
  order_threads(order, rng);
  int live = n;
  for (;;) {
    if (reshuffle) order_threads(order, rng);
    for (int i : order) {
      EmuThread& t = b.threads[i];
      if (t.state != State::runnable) continue;
      t_thread = &t;
      t_coords = &t.coords;
      t.fiber->resume();
      if (t.state == State::done) --live;
      if (!b.error.empty()) break;
    }
    if (!b.error.empty() || live == 0) break;
    // A shuffle completed by its last lane leaves the earlier lanes runnable behind the sweep.
    if (std::any_of(b.threads.begin(), b.threads.end(), [](const EmuThread& t) { return t.state == State::runnable; }))
      continue;
    if (!release_waiting(b)) break;
  }
  t_block = outer_block;
  t_thread = outer_thread;
  t_coords = outer_coords;
}

bool valid_launch(dim3 grid, dim3 block, size_t dynamic_shared) {
  const uint64_t threads = uint64_t(block.x) * block.y * block.z;
  return block.x >= 1 && block.y >= 1 && block.z >= 1 && block.x <= 1024 && block.y <= 1024 && block.z <= 64 &&
         threads <= 1024 && grid.x >= 1 && grid.y >= 1 && grid.z >= 1 && grid.x <= 0x7fffffffu && grid.y <= 65535 &&
         grid.z <= 65535 && dynamic_shared <= kMaxStaticShared;
}

}  // namespace

EmulationSettings& settings() {
  static EmulationSettings s = [] {
    EmulationSettings r;
    if (const char* o = std::getenv("OCELLUS_EMU_ORDER")) {
      const std::string v = o;
      if (v == "reverse") r.order = ThreadOrder::reverse;
      else if (v.rfind("random", 0) == 0) {
        r.order = ThreadOrder::random;
        if (v.size() > 7 && v[6] == ':') r.seed = std::strtoull(v.c_str() + 7, nullptr, 10);
      } else if (v != "forward") {
        OC_FAIL("OCELLUS_EMU_ORDER=", v, ": expected forward, reverse or random[:seed]");
      }
    }
    if (const char* m = std::getenv("OCELLUS_EMU_SMS")) {
      r.sm_count = std::atoi(m);
      OC_CHECK(r.sm_count >= 1, "OCELLUS_EMU_SMS=", m, ": expected a positive count");
    }
    if (const char* m = std::getenv("OCELLUS_EMU_DEVICE_MB")) {
      const long long mb = std::atoll(m);
      OC_CHECK(mb >= 1, "OCELLUS_EMU_DEVICE_MB=", m, ": expected a positive size in MiB");
      r.device_memory = static_cast<size_t>(mb) << 20;
    }
    return r;
  }();
  return s;
}

std::string order_name(ThreadOrder order) {
  switch (order) {
    case ThreadOrder::forward: return "forward";
    case ThreadOrder::reverse: return "reverse";
    case ThreadOrder::random: return "random";
  }
  return "?";
}

void syncthreads(const char* file, int line) {
  t_thread->state = State::at_barrier;
  t_thread->file = file;
  t_thread->line = line;
  t_thread->fiber->yield_to_scheduler();
}

int lane_id() { return t_thread->linear % 32; }

uint64_t warp_exchange(const char* file, int line, unsigned mask, uint64_t bits, int src_lane) {
  EmuThread& t = *t_thread;
  const int lane = t.linear % 32, base = t.linear - lane, n = static_cast<int>(t_block->threads.size());
  if (!(mask >> lane & 1u))
    fail_here(str_cat("the shuffle at ", site(file, line), ": lane ", lane, " calls it but its mask 0x", std::hex, mask,
                      " leaves it out"));
  for (int l = 0; l < 32; ++l)
    if ((mask >> l & 1u) && base + l >= n)
      fail_here(str_cat("the shuffle at ", site(file, line), " names lane ", l, " (mask 0x", std::hex, mask, std::dec,
                        "), which does not exist in a block of ", n, " threads"));
  if (!(mask >> src_lane & 1u))
    fail_here(str_cat("the shuffle at ", site(file, line), ": lane ", lane, " reads lane ", src_lane,
                      ", which is not in the mask 0x", std::hex, mask));
  t.state = State::at_shuffle;
  t.file = file;
  t.line = line;
  t.mask = mask;
  t.src = base + src_lane;
  t.bits = bits;
  // The last lane of the mask to arrive completes the exchange and runs on: half the switches.
  if (++t_block->warp_waiting[base / 32] == std::popcount(mask)) {
    if (release_warp(*t_block, base)) return t.result;
    if (!t_block->error.empty()) fail_here(t_block->error);
  }
  t.fiber->yield_to_scheduler();
  return t.result;
}

void* block_shared(const void* key, size_t bytes, size_t align) {
  Block& b = *t_block;
  for (SharedArray& s : b.shared)
    if (s.key == key) return s.data.get();
  if (b.shared_bytes + bytes > kMaxStaticShared)
    fail_here(str_cat("the block's __shared__ arrays need ", b.shared_bytes + bytes, " bytes, more than the ",
                      kMaxStaticShared, " a block may declare statically"));
  OC_CHECK(align <= alignof(std::max_align_t), "cuda emulation: __shared__ alignment ", align, " not supported");
  SharedArray s{key, bytes, std::unique_ptr<char[]>(new char[bytes])};
  std::memset(s.data.get(), 0xFF, bytes);  // NaN in every float and double: uninitialised reads show
  b.shared_bytes += bytes;
  b.shared.push_back(std::move(s));
  return b.shared.back().data.get();
}

cudaError_t run_grid(const char* kernel, dim3 grid, dim3 block, size_t dynamic_shared_bytes, ThreadBody body,
                     void* context) {
  if (!valid_launch(grid, block, dynamic_shared_bytes)) {
    set_last_error(cudaErrorInvalidConfiguration);
    return cudaErrorInvalidConfiguration;
  }
  const int64_t blocks = int64_t(grid.x) * grid.y * grid.z;
  std::mutex error_mutex;
  std::string first_error;
  std::atomic<bool> failed{false};
  parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end && !failed.load(std::memory_order_relaxed); ++i) {
      const uint3 idx{static_cast<unsigned>(i % grid.x), static_cast<unsigned>(i / grid.x % grid.y),
                      static_cast<unsigned>(i / (int64_t(grid.x) * grid.y))};
      Block& b = t_reused_block;  // its vectors keep their capacity from block to block
      b.body = body;
      b.context = context;
      b.shared.clear();
      b.shared_bytes = 0;
      b.error.clear();
      run_block(b, grid, block, idx);
      if (!b.error.empty()) {
        std::lock_guard<std::mutex> lk(error_mutex);
        if (first_error.empty())
          first_error = str_cat("block (", idx.x, ", ", idx.y, ", ", idx.z, "): ", b.error);
        failed = true;
      }
    }
  });
  if (!first_error.empty()) {
    OC_FAIL("cuda emulation: kernel ", kernel, " (grid ", grid.x, "x", grid.y, "x", grid.z, ", block ", block.x, "x",
            block.y, "x", block.z, ", thread order ", order_name(settings().order), "): ", first_error);
  }
  return cudaSuccess;
}

void set_last_error(cudaError_t error) { t_last_error = error; }
cudaError_t take_last_error() { return std::exchange(t_last_error, cudaSuccess); }
cudaError_t peek_last_error() { return t_last_error; }

}  // namespace oc::emu
