// CUDA matcher and balanced sampler. The matcher is one thread per anchor (match_anchor, as on the
// CPU). The sampler finds each class's k-th smallest key by radix selection, 8 bits a round from the
// top: a histogram of the next digit among the keys that share the digits chosen so far, then one
// thread picks the digit holding the k-th key. The keys are distinct, so after 8 rounds the chosen
// prefix is the k-th key itself and the sample is every key <= it: the CPU's set, with no host sync.
#include "core/cuda_context.h"
#include "kernels/fill/fill.h"
#include "kernels/matcher/matcher_kernels.h"

namespace oc {
namespace {

constexpr int kThreads = 256;
constexpr int kBins = 256;
constexpr int kRounds = 8;

// iou [G, A], row_max [G] -> out [A]
template <class T>
__global__ void match_kernel(const T* iou, const T* row_max, int64_t num_gt, int64_t num_anchors, T high, T low,
                             bool allow_low_quality, int64_t* out) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t a = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; a < num_anchors; a += stride)
    out[a] = match_anchor(iou, row_max, num_gt, num_anchors, a, high, low, allow_low_quality);
}

// Selection state of one class. mode: 0 none chosen, 1 all chosen, 2 the keys <= prefix.
struct SelectState {
  unsigned long long prefix;
  long long k;  // rank still to find among the keys sharing prefix's chosen digits (1-based)
  long long mode;
};

OC_HD int digit_shift(int round) { return 56 - 8 * round; }

// hist [2, 256] += the round's digit of every key of a class still being selected that shares its
// chosen digits (round 0: every key of both classes, which also counts the classes).
__global__ void sample_hist_kernel(int64_t n, const int64_t* labels, uint64_t seed, uint64_t offset, int round,
                                   const SelectState* state, unsigned long long* hist) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int shift = digit_shift(round);
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int c = sample_class(labels[i]);
    if (c < 0) continue;
    const uint64_t key = sample_key(seed, offset, i);
    if (round > 0 && (state[c].mode != 2 || (key >> (shift + 8)) != (state[c].prefix >> (shift + 8)))) continue;
    atomicAdd(&hist[c * kBins + ((key >> shift) & 0xFF)], 1ull);
  }
}

// One thread: the classes' counts and ranks (round 0), then each selecting class's digit; clears hist.
__global__ void sample_pick_kernel(int round, int64_t batch_size, int64_t pos_target, SelectState* state,
                                   unsigned long long* hist) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  if (round == 0) {
    long long count[2] = {0, 0};
    for (int c = 0; c < 2; ++c)
      for (int b = 0; b < kBins; ++b) count[c] += static_cast<long long>(hist[c * kBins + b]);
    const long long num_pos = count[0] < pos_target ? count[0] : pos_target;
    const long long room = batch_size - num_pos, num_neg = count[1] < room ? count[1] : room;
    const long long k[2] = {num_pos, num_neg};
    for (int c = 0; c < 2; ++c) {
      state[c].prefix = 0;
      state[c].k = k[c];
      state[c].mode = k[c] == 0 ? 0 : (k[c] == count[c] ? 1 : 2);
    }
  }
  const int shift = digit_shift(round);
  for (int c = 0; c < 2; ++c) {
    if (state[c].mode == 2) {
      long long below = 0;
      int b = 0;
      while (below + static_cast<long long>(hist[c * kBins + b]) < state[c].k) below += hist[c * kBins + b++];
      state[c].prefix |= static_cast<unsigned long long>(b) << shift;
      state[c].k -= below;
    }
    for (int b = 0; b < kBins; ++b) hist[c * kBins + b] = 0;
  }
}

// pos, neg [n] <- membership in each class's selection
__global__ void sample_mask_kernel(int64_t n, const int64_t* labels, uint64_t seed, uint64_t offset,
                                   const SelectState* state, bool* pos, bool* neg) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int c = sample_class(labels[i]);
    bool chosen = false;
    if (c >= 0 && state[c].mode != 0)
      chosen = state[c].mode == 1 || sample_key(seed, offset, i) <= state[c].prefix;
    pos[i] = chosen && c == 0;
    neg[i] = chosen && c == 1;
  }
}

}  // namespace

void match_cuda(const Tensor& iou, const Tensor& row_max, const Tensor& out, double high, double low,
                bool allow_low_quality) {
  const int64_t num_gt = iou.size(0), num_anchors = iou.size(1);
  OC_DISPATCH_FLOATING(iou.dtype(), "match", [&] {
    launch<match_kernel<scalar_t>>(blocks_for(num_anchors, kThreads), kThreads, 0, current_stream(),
        static_cast<const scalar_t*>(iou.raw_data()), static_cast<const scalar_t*>(row_max.raw_data()), num_gt,
        num_anchors, static_cast<scalar_t>(high), static_cast<scalar_t>(low), allow_low_quality,
        out.data<int64_t>());
    CUDA_CHECK_LAUNCH();
  });
}

void sample_balanced_cuda(const Tensor& labels, const Tensor& pos, const Tensor& neg, int64_t batch_size,
                          int64_t pos_target, uint64_t seed, uint64_t offset) {
  const int64_t n = labels.size(0);
  // [2 x 256 histogram | 2 SelectState], zeroed: the pick kernel clears the histogram after each round.
  static_assert(sizeof(SelectState) == 3 * sizeof(int64_t), "SelectState packs three 64-bit words");
  Tensor work = zeros({2 * kBins + 2 * 3}, DType::i64, labels.device());
  auto* hist = reinterpret_cast<unsigned long long*>(work.data<int64_t>());
  auto* state = reinterpret_cast<SelectState*>(hist + 2 * kBins);
  const int64_t* lab = labels.data<int64_t>();
  const unsigned grid = blocks_for(n, kThreads);
  for (int round = 0; round < kRounds; ++round) {
    launch<sample_hist_kernel>(grid, kThreads, 0, current_stream(), n, lab, seed, offset, round, state, hist);
    CUDA_CHECK_LAUNCH();
    launch<sample_pick_kernel>(1, 1, 0, current_stream(), round, batch_size, pos_target, state, hist);
    CUDA_CHECK_LAUNCH();
  }
  launch<sample_mask_kernel>(grid, kThreads, 0, current_stream(), n, lab, seed, offset, state,
      static_cast<bool*>(pos.raw_data()), static_cast<bool*>(neg.raw_data()));
  CUDA_CHECK_LAUNCH();
}

}  // namespace oc
