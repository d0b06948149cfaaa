// Maps a linear element index of an output to element offsets in each operand, given sizes and
// per-operand strides. Shared by CPU and CUDA kernels (passed to CUDA kernels by value).
//
//   offset_a(i) = sum_d  index_d(i) * stride_a[d],   index_d = digit d of i in the mixed radix `sizes`
//
// Broadcast operands have stride 0 in the broadcast dimensions.
#pragma once
#include <cstdint>
#include <vector>

#include "core/hd.h"
#include "core/shape.h"

namespace oc {

template <int NARGS>
struct StridedIndexer {
  int ndim = 0;
  int64_t sizes[kMaxDims] = {};
  int64_t strides[NARGS][kMaxDims] = {};

  OC_HD void offsets(int64_t linear, int64_t* off) const {
    for (int a = 0; a < NARGS; ++a) off[a] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      int64_t i = linear % sizes[d];
      linear /= sizes[d];
      for (int a = 0; a < NARGS; ++a) off[a] += i * strides[a][d];
    }
  }
};

// Builds an indexer over `shape` for operands with the given strides (each of length shape.size()),
// dropping size-1 dims and merging dims that are contiguous in every operand.
template <int NARGS>
StridedIndexer<NARGS> make_strided_indexer(const Shape& shape, const std::vector<Shape>& strides) {
  StridedIndexer<NARGS> ix;
  int nd = 0;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = nd > 0;
    for (int a = 0; a < NARGS && merge; ++a)
      merge = strides[a][d] * shape[d] == ix.strides[a][nd - 1];
    if (merge) {
      ix.sizes[nd - 1] *= shape[d];
      for (int a = 0; a < NARGS; ++a) ix.strides[a][nd - 1] = strides[a][d];
    } else {
      ix.sizes[nd] = shape[d];
      for (int a = 0; a < NARGS; ++a) ix.strides[a][nd] = strides[a][d];
      ++nd;
    }
  }
  ix.ndim = nd;
  return ix;
}

// True when every operand walks memory with unit stride (ndim <= 1 after merging).
template <int NARGS>
bool indexer_is_flat_contiguous(const StridedIndexer<NARGS>& ix) {
  if (ix.ndim == 0) return true;
  if (ix.ndim > 1) return false;
  for (int a = 0; a < NARGS; ++a)
    if (ix.strides[a][0] != 1) return false;
  return true;
}

// CPU: calls fn(off) for linear indices [begin, end) in order, stepping the multi-index
// incrementally instead of dividing per element.
template <int NARGS, class F>
void for_each_offset(const StridedIndexer<NARGS>& ix, int64_t begin, int64_t end, F&& fn) {
  if (begin >= end) return;
  int64_t idx[kMaxDims] = {};
  int64_t off[NARGS];
  ix.offsets(begin, off);
  {
    int64_t rest = begin;
    for (int d = ix.ndim - 1; d >= 0; --d) {
      idx[d] = rest % ix.sizes[d];
      rest /= ix.sizes[d];
    }
  }
  if (ix.ndim == 0) {
    fn(off);
    return;
  }
  const int inner = ix.ndim - 1;
  int64_t i = begin;
  for (;;) {
    int64_t run = ix.sizes[inner] - idx[inner];
    if (run > end - i) run = end - i;
    for (int64_t k = 0; k < run; ++k) {
      fn(off);
      for (int a = 0; a < NARGS; ++a) off[a] += ix.strides[a][inner];
    }
    i += run;
    if (i >= end) return;
    // The row ended: rewind the inner dim and carry into the outer ones.
    for (int a = 0; a < NARGS; ++a) off[a] -= ix.sizes[inner] * ix.strides[a][inner];
    idx[inner] = 0;
    for (int d = inner - 1; d >= 0; --d) {
      idx[d]++;
      for (int a = 0; a < NARGS; ++a) off[a] += ix.strides[a][d];
      if (idx[d] < ix.sizes[d]) break;
      for (int a = 0; a < NARGS; ++a) off[a] -= ix.sizes[d] * ix.strides[a][d];
      idx[d] = 0;
    }
  }
}

}  // namespace oc
