// A fixed pool of worker threads that every heavy CPU kernel shares.
// Size: env OCELLUS_NUM_THREADS, else the number of hardware threads.
#pragma once
#include <cstdint>
#include <functional>

namespace oc {

// Number of threads parallel_for may use (including the caller).
int num_threads();
// Resize the pool (tests and benchmarks); n <= 0 means "hardware default".
void set_num_threads(int n);

// Calls fn(begin, end) on disjoint chunks covering [begin, end), in parallel.
// Chunks hold at least `grain` items; a range smaller than 2*grain runs inline.
// Nested calls (from inside a worker) run inline, so kernels may call each other.
void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn);

}  // namespace oc
