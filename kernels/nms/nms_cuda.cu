// CUDA NMS, torchvision's bitmask design with the scan kept on the device:
//   1. sort (score, index) pairs by nms_before: a bitonic sort over the next power of two, padding last;
//   2. mask: for sorted boxes r < s, bit s of mask[r] is set when box r would suppress box s; blocks
//      of 64 x 64 pairs, one thread per row r, 64-bit words (only words at or after r's own);
//   3. scan: one block walks r in order, keeping r when no kept box has set its bit, and ORs the kept
//      row into the `removed` words (threads share the words; a barrier per kept box).
// Nothing is copied to the host here: the kept count stays on the device.
#include <algorithm>

#include "core/cuda_context.h"
#include "kernels/nms/nms_kernels.h"
#include "kernels/nms/nms_math.h"

namespace oc {
namespace {

constexpr int kWord = 64;       // boxes per mask word (and threads per mask block)
constexpr int kSortThreads = 256;
constexpr int kScanThreads = 256;
constexpr int64_t kPad = -1;    // the index of a padding entry: after every real one

template <class T>
__device__ __forceinline__ bool sort_before(T a, int64_t ia, T b, int64_t ib) {
  if (ia == kPad || ib == kPad) return ib == kPad && ia != kPad;
  return nms_before(a, ia, b, ib);
}

// Keys and indices [p] (p a power of two): padding entries past n.
template <class T>
__global__ void sort_init_kernel(int64_t p, int64_t n, const T* scores, T* keys, int64_t* idx) {
  OC_GRID_STRIDE(i, p) {
    keys[i] = i < n ? scores[i] : T(0);
    idx[i] = i < n ? i : kPad;
  }
}

// One bitonic compare-exchange step (stage size k, distance j) over [p].
template <class T>
__global__ void bitonic_step_kernel(int64_t p, int64_t k, int64_t j, T* keys, int64_t* idx) {
  OC_GRID_STRIDE(i, p) {
    const int64_t l = i ^ j;
    if (l <= i) continue;
    const bool ascending = (i & k) == 0;  // "ascending" in nms_before's order
    const bool swap = ascending ? sort_before(keys[l], idx[l], keys[i], idx[i])
                                : sort_before(keys[i], idx[i], keys[l], idx[l]);
    if (swap) {
      const T tk = keys[i];
      keys[i] = keys[l], keys[l] = tk;
      const int64_t ti = idx[i];
      idx[i] = idx[l], idx[l] = ti;
    }
  }
}

// mask [n, words]: word c of sorted row r. Blocks (column block, row block), 64 threads: thread t
// is row r = 64 * row block + t. Words before r's own block are never read by the scan.
template <class T>
__global__ void nms_mask_kernel(int64_t n, int64_t words, const T* boxes, const int64_t* classes, const int64_t* order,
                                T threshold, unsigned long long* mask) {
  for (int64_t rb = blockIdx.y; rb < words; rb += gridDim.y)
    for (int64_t cb = blockIdx.x; cb < words; cb += gridDim.x) {
      if (cb < rb) continue;
      const int64_t r = rb * kWord + threadIdx.x;
      if (r >= n) continue;
      const int64_t k = order[r];
      unsigned long long bits = 0;
      const int64_t s_end = cb * kWord + kWord < n ? cb * kWord + kWord : n;
      for (int64_t s = cb * kWord > r + 1 ? cb * kWord : r + 1; s < s_end; ++s)
        if (nms_suppresses(boxes, classes, k, order[s], threshold)) bits |= 1ULL << (s - cb * kWord);
      mask[r * words + cb] = bits;
    }
}

// One block: the greedy scan over sorted rows. removed [words] zeroed by the caller.
__global__ void nms_scan_kernel(int64_t n, int64_t words, const int64_t* order, const unsigned long long* mask,
                                unsigned long long* removed, int64_t max_out, int64_t* keep, int64_t* count) {
  int64_t kept = 0;  // the same in every thread
  for (int64_t r = 0; r < n && kept < max_out; ++r) {
    __syncthreads();  // the previous kept row's ORs are visible
    const int64_t w = r / kWord;
    // Another thread may already be ORing row r into word w: row r has no bit r, so bit r reads alike.
    if ((removed[w] >> (r % kWord)) & 1ULL) continue;
    if (threadIdx.x == 0) keep[kept] = order[r];
    ++kept;
    for (int64_t c = w + threadIdx.x; c < words; c += blockDim.x) removed[c] |= mask[r * words + c];
  }
  if (threadIdx.x == 0) *count = kept;
}

template <class T>
const T* cdata(const Tensor& t) {
  return static_cast<const T*>(t.raw_data());
}

}  // namespace

void nms_cuda(const Tensor& boxes, const Tensor& scores, const Tensor& classes, double threshold, int64_t max_out,
              const Tensor& keep, const Tensor& count) {
  const int64_t n = boxes.size(0);
  cudaStream_t stream = current_stream();
  int64_t* count_ptr = static_cast<int64_t*>(count.raw_data());
  if (n == 0 || max_out == 0) {
    CUDA_CHECK(cudaMemsetAsync(count_ptr, 0, sizeof(int64_t), stream));
    return;
  }
  int64_t p = 1;
  while (p < n) p *= 2;
  const int64_t words = (n + kWord - 1) / kWord;
  const int64_t* cls = classes.defined() ? cdata<int64_t>(classes) : nullptr;
  OC_DISPATCH_FLOATING(boxes.dtype(), "nms", [&] {
    using T = scalar_t;
    // Scratch from the caching allocator (stream-ordered on this stream).
    const Tensor keys = Tensor::empty({p}, boxes.dtype(), boxes.device());
    const Tensor order = Tensor::empty({p}, DType::i64, boxes.device());
    const Tensor mask = Tensor::empty({n * words}, DType::i64, boxes.device());
    const Tensor removed = Tensor::empty({words}, DType::i64, boxes.device());
    T* pk = static_cast<T*>(keys.raw_data());
    int64_t* po = static_cast<int64_t*>(order.raw_data());
    launch<sort_init_kernel<T>>(blocks_for(p, kSortThreads), kSortThreads, 0, stream, p, n, cdata<T>(scores), pk, po);
    CUDA_CHECK_LAUNCH();
    for (int64_t k = 2; k <= p; k *= 2)
      for (int64_t j = k / 2; j > 0; j /= 2) {
        launch<bitonic_step_kernel<T>>(blocks_for(p, kSortThreads), kSortThreads, 0, stream, p, k, j, pk, po);
        CUDA_CHECK_LAUNCH();
      }
    auto* pm = static_cast<unsigned long long*>(mask.raw_data());
    const dim3 grid(cap_grid_x(words), cap_grid_yz(words));
    launch<nms_mask_kernel<T>>(grid, kWord, 0, stream, n, words, cdata<T>(boxes), cls, po, static_cast<T>(threshold), pm);
    CUDA_CHECK_LAUNCH();
    auto* pr = static_cast<unsigned long long*>(removed.raw_data());
    CUDA_CHECK(cudaMemsetAsync(pr, 0, words * sizeof(unsigned long long), stream));
    launch<nms_scan_kernel>(1, kScanThreads, 0, stream, n, words, po, pm, pr, max_out,
                            static_cast<int64_t*>(keep.raw_data()), count_ptr);
    CUDA_CHECK_LAUNCH();
  });
}

}  // namespace oc
