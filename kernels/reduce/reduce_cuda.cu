// CUDA row reductions (sum, max, min, argmax, argmin) over a contiguous [rows, cols] input: one warp
// per short row, one block per long row, and a two-pass split of long rows when there are few rows.
//
// Every accumulator is a ReduceAcc<double>, combined with reduce_combine from reduce_math.h. For sums
// that means a double accumulator for float32 too, as the CPU reference does, so the two agree to
// the last bit or nearly; for max/min/arg the float -> double conversion is exact and changes nothing.
// reduce_combine is order-free (ties -> lower index, NaN wins, the first NaN among NaNs), so the
// tree order of the GPU gives the CPU's left-to-right answer.
#include <algorithm>

#include "core/cuda_allocator.h"
#include "core/cuda_context.h"
#include "kernels/reduce/reduce_kernels.h"
#include "kernels/reduce/reduce_math.h"

namespace oc {
namespace {

using Acc = ReduceAcc<double>;

constexpr int kThreads = 256;            // per block, both kernels
constexpr int kWarpRowMaxCols = 1024;    // rows up to this long get one warp each
constexpr int64_t kSplitMinCols = 65536; // rows at least this long may be split over several blocks
constexpr int64_t kMinSegment = 16384;   // columns per block in the split pass, at least

constexpr bool is_arg(ReduceOp op) { return op == ReduceOp::argmax || op == ReduceOp::argmin; }

// Sum starts from 0; the others from an element of the range (the first), which they may meet again
// harmlessly: max/min/arg are idempotent.
template <ReduceOp OP>
__device__ __forceinline__ Acc identity_or(Acc first) {
  return OP == ReduceOp::sum ? Acc{0.0, 0} : first;
}

// Lane 0 ends with the combination of the warp's 32 accumulators.
template <ReduceOp OP>
__device__ __forceinline__ Acc warp_reduce(Acc a) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    Acc b{__shfl_down_sync(0xffffffffu, a.value, o), __shfl_down_sync(0xffffffffu, a.index, o)};
    a = reduce_combine(OP, a, b);
  }
  return a;
}

// Thread 0 ends with the combination of the block's accumulators. blockDim.x is a multiple of 32.
// Ends with a barrier, so `shared` may be reused at once.
template <ReduceOp OP>
__device__ __forceinline__ Acc block_reduce(Acc a, Acc* shared) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  a = warp_reduce<OP>(a);
  if (lane == 0) shared[warp] = a;
  __syncthreads();
  if (warp == 0) {
    a = lane < nwarps ? shared[lane] : identity_or<OP>(shared[0]);
    a = warp_reduce<OP>(a);
  }
  __syncthreads();
  return a;
}

// Element c of row r of a contiguous [rows, cols] input, as an accumulator.
template <class T>
struct RowLoad {
  const T* x;
  int64_t cols;
  __device__ Acc operator()(int64_t r, int64_t c) const { return Acc{static_cast<double>(x[r * cols + c]), c}; }
};

// Partial result s of row r, from the split pass ([rows, nseg], each holding its column index).
struct PartialLoad {
  const Acc* p;
  int64_t nseg;
  __device__ Acc operator()(int64_t r, int64_t s) const { return p[r * nseg + s]; }
};

// Final result of row r: the index (arg ops, int64 out) or the value (in's dtype).
template <ReduceOp OP, class T>
struct OutWrite {
  void* out;
  __device__ void operator()(int64_t r, int64_t, Acc a) const {
    if constexpr (is_arg(OP)) static_cast<int64_t*>(out)[r] = a.index;
    else static_cast<T*>(out)[r] = static_cast<T>(a.value);
  }
};

struct PartialWrite {
  Acc* p;
  int64_t nseg;
  __device__ void operator()(int64_t r, int64_t s, Acc a) const { p[r * nseg + s] = a; }
};

// [rows, cols] -> [rows]: one warp per row, kThreads / 32 rows per block, grid-stride over rows.
template <ReduceOp OP, class Load, class Write>
__global__ void __launch_bounds__(kThreads) reduce_warp_kernel(int64_t rows, int64_t cols, Load load, Write write) {
  const int lane = threadIdx.x & 31;
  const int64_t warps_per_block = blockDim.x >> 5;
  const int64_t step = static_cast<int64_t>(gridDim.x) * warps_per_block;
  // The row is the same for the whole warp, so every lane takes part in the shuffles.
  for (int64_t r = blockIdx.x * warps_per_block + (threadIdx.x >> 5); r < rows; r += step) {
    Acc acc = OP == ReduceOp::sum ? Acc{0.0, 0} : load(r, 0);  // (cols == 0 happens for sum only)
    for (int64_t c = lane; c < cols; c += 32) acc = reduce_combine(OP, acc, load(r, c));
    acc = warp_reduce<OP>(acc);
    if (lane == 0) write(r, 0, acc);
  }
}

// [rows, cols] -> [rows, nseg]: one block per (row, segment of seg_len columns), grid-stride over
// the rows * nseg tasks. nseg == 1 is the plain block-per-row reduction.
template <ReduceOp OP, class Load, class Write>
__global__ void __launch_bounds__(kThreads)
    reduce_block_kernel(int64_t rows, int64_t cols, int64_t nseg, int64_t seg_len, Load load, Write write) {
  OC_SHARED(Acc, shared, [32]);
  const int64_t tasks = rows * nseg;
  for (int64_t t = blockIdx.x; t < tasks; t += gridDim.x) {
    const int64_t r = t / nseg, s = t - r * nseg;
    const int64_t begin = s * seg_len, end = std::min(cols, begin + seg_len);
    Acc acc = OP == ReduceOp::sum ? Acc{0.0, 0} : load(r, begin);
    for (int64_t c = begin + threadIdx.x; c < end; c += blockDim.x) acc = reduce_combine(OP, acc, load(r, c));
    acc = block_reduce<OP>(acc, shared);
    if (threadIdx.x == 0) write(r, s, acc);
  }
}

// One pass, rows -> rows results, choosing warp or block per row by the row length.
template <ReduceOp OP, class Load, class Write>
void reduce_pass(int64_t rows, int64_t cols, Load load, Write write) {
  if (cols <= kWarpRowMaxCols) {
    launch<reduce_warp_kernel<OP, Load, Write>>(blocks_for(rows, kThreads / 32), kThreads, 0, current_stream(), rows,
                                                 cols, load, write);
  } else {
    launch<reduce_block_kernel<OP, Load, Write>>(cap_grid_x(rows), kThreads, 0, current_stream(), rows, cols, 1, cols, load,
                                                 write);
  }
  CUDA_CHECK_LAUNCH();
}

// Frees a scratch buffer from the caching allocator (later work on the stream is ordered after ours).
struct Scratch {
  void* p = nullptr;
  int device = 0;
  Scratch(size_t nbytes, int dev) : p(cuda_caching_alloc(nbytes, dev)), device(dev) {}
  ~Scratch() { cuda_caching_free(p, device); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

template <ReduceOp OP, class T>
void reduce_rows_typed(const Tensor& in, const Tensor& out, int64_t rows, int64_t cols) {
  RowLoad<T> load{static_cast<const T*>(in.raw_data()), cols};
  OutWrite<OP, T> write{out.raw_data()};
  // Few long rows would leave most SMs idle with a block per row: cut each row into nseg segments
  // (about 4 blocks per SM in all), reduce those, then reduce the [rows, nseg] partials.
  const int64_t sms = multiprocessor_count();
  int64_t nseg = 1;
  if (rows < 2 * sms && cols >= kSplitMinCols)
    nseg = std::min((cols + kMinSegment - 1) / kMinSegment, (4 * sms + rows - 1) / rows);
  if (nseg <= 1) {
    reduce_pass<OP>(rows, cols, load, write);
    return;
  }
  const int64_t seg_len = (cols + nseg - 1) / nseg;
  nseg = (cols + seg_len - 1) / seg_len;  // every segment non-empty
  Scratch partial(static_cast<size_t>(rows * nseg) * sizeof(Acc), current_device());
  Acc* p = static_cast<Acc*>(partial.p);
  launch<reduce_block_kernel<OP, RowLoad<T>, PartialWrite>>(cap_grid_x(rows * nseg), kThreads, 0,
                                                            current_stream(), rows, cols, nseg, seg_len, load,
                                                            PartialWrite{p, nseg});
  CUDA_CHECK_LAUNCH();
  reduce_pass<OP>(rows, nseg, PartialLoad{p, nseg}, write);
}

}  // namespace

// [rows, cols] contiguous -> [rows] (int64 for the arg ops). cols == 0 (sum only) writes zeros.
void reduce_rows_cuda(ReduceOp op, const Tensor& in, const Tensor& out, int64_t rows, int64_t cols) {
  if (rows <= 0) return;
  OC_DISPATCH_FLOATING(in.dtype(), "reduce", [&] {
    switch (op) {
      case ReduceOp::sum: return reduce_rows_typed<ReduceOp::sum, scalar_t>(in, out, rows, cols);
      case ReduceOp::max: return reduce_rows_typed<ReduceOp::max, scalar_t>(in, out, rows, cols);
      case ReduceOp::min: return reduce_rows_typed<ReduceOp::min, scalar_t>(in, out, rows, cols);
      case ReduceOp::argmax: return reduce_rows_typed<ReduceOp::argmax, scalar_t>(in, out, rows, cols);
      case ReduceOp::argmin: return reduce_rows_typed<ReduceOp::argmin, scalar_t>(in, out, rows, cols);
    }
    OC_FAIL("reduce: unknown op");
  });
}

}  // namespace oc
