// The index case table: gather, scatter_add and index_select along either axis of 2-D tensors
// (transposed views too), against plain loops in float64, by float64 finite differences, against
// PyTorch (tools/goldens/index.py), and CUDA against CPU, with many colliding scatter targets and
// every dtype for gather.
#include "tests/op_cases.h"

namespace oc::test {
namespace {

// The loops over a 2-D output (or a 1-D target for scatter_add of 1-D tensors): out[i][j] reads
// (gather) or adds to (scatter_add) position idx[i][j] along `dim`.
Tensor gather_reference(const Tensor& x, int64_t dim, const Tensor& idx) {
  const std::vector<double> xv = to_vector<double>(contiguous(x));
  const std::vector<int64_t> iv = to_vector<int64_t>(contiguous(idx));
  const int64_t rows = idx.size(0), cols = idx.size(1), w = x.size(1);
  std::vector<double> out;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out.push_back(dim == 0 ? xv[iv[i * cols + j] * w + j] : xv[i * w + iv[i * cols + j]]);
  return from_vector(out, idx.shape());
}

Tensor scatter_add_reference(const Tensor& x, int64_t dim, const Tensor& idx, const Tensor& src) {
  std::vector<double> out = to_vector<double>(contiguous(x));
  const std::vector<double> sv = to_vector<double>(contiguous(src));
  const std::vector<int64_t> iv = to_vector<int64_t>(contiguous(idx));
  if (x.dim() == 1) {
    for (size_t k = 0; k < iv.size(); ++k) out[iv[k]] += sv[k];
    return from_vector(out, x.shape());
  }
  const int64_t cols = idx.size(1), w = x.size(1);
  for (int64_t i = 0; i < idx.size(0); ++i)
    for (int64_t j = 0; j < cols; ++j) out[dim == 0 ? iv[i * cols + j] * w + j : i * w + iv[i * cols + j]] += sv[i * cols + j];
  return from_vector(out, x.shape());
}

Tensor index_select_reference(const Tensor& x, int64_t dim, const Tensor& idx) {
  const std::vector<double> xv = to_vector<double>(contiguous(x));
  const std::vector<int64_t> iv = to_vector<int64_t>(contiguous(idx));
  const int64_t h = x.size(0), w = x.size(1), n = idx.numel();
  std::vector<double> out;
  for (int64_t i = 0; i < (dim == 0 ? n : h); ++i)
    for (int64_t j = 0; j < (dim == 0 ? w : n); ++j) out.push_back(dim == 0 ? xv[iv[i] * w + j] : xv[i * w + iv[j]]);
  return from_vector(out, dim == 0 ? Shape{n, w} : Shape{h, n});
}

// Exact moves of data; scatter_add (and the gradients of gather and index_select, which are
// scatter_adds) sums colliding entries with atomics in any order on the GPU: a few ulp of sums of up
// to ~20 terms of size 1 in float32.
void index_bounds(OpCase& c) {
  c.fwd64 = c.fwd32 = c.cuda32 = c.cuda64 = kExact;
  c.cuda32_grad = {1e-6, 1e-5}, c.cuda64_grad = {1e-14, 1e-13};
}

// op: gather | index_select on x [shape] with an index of idx_shape in [0, x.size(dim)) (of the
// viewed x); view "transpose": x and the index are read transposed.
OpCase select_row(const std::string& op, const Shape& shape, int64_t dim, const Shape& idx_shape,
                  const std::string& view = "") {
  OpCase c;
  c.op = op;
  c.shapes = {shape, idx_shape};
  c.params = {{"dim", dim}};
  if (!view.empty()) c.params["view"] = view;
  const bool transposed = view == "transpose";
  const int64_t n = transposed ? shape[1 - dim] : shape[dim];
  c.inputs = [=](DType dt, uint64_t seed) {
    const Tensor x = rand(shape, seed, -1, 1, DType::f64);
    return std::vector<Tensor>{is_floating(dt) ? to(x, dt) : to(add(mul(x, 1.5), 1.5), dt), random_index(idx_shape, n, seed + 1)};
  };
  auto operands = [transposed, op](const std::vector<Tensor>& in) {
    if (!transposed) return std::pair{in[0], in[1]};
    return std::pair{transpose(in[0], 0, 1), op == "gather" ? transpose(in[1], 0, 1) : slice(in[1], 0, 0, in[1].size(0), 2)};
  };
  c.run = [=](const std::vector<Tensor>& in) {
    const auto [x, i] = operands(in);
    return op == "gather" ? gather(x, dim, i) : index_select(x, dim, i);
  };
  c.reference = [=](const std::vector<Tensor>& in) {
    const auto [x, i] = operands(in);
    return op == "gather" ? gather_reference(x, dim, i) : index_select_reference(x, dim, i);
  };
  index_bounds(c);
  return c;
}

// scatter_add(x, dim, index, src): index and src of src_shape, the index in [0, x.size(dim)).
OpCase scatter_row(const Shape& shape, int64_t dim, const Shape& src_shape) {
  OpCase c;
  c.op = "scatter_add";
  c.shapes = {shape, src_shape, src_shape};
  c.params = {{"dim", dim}};
  c.inputs = [=](DType dt, uint64_t seed) {
    return std::vector<Tensor>{to(rand(shape, seed, -1, 1, DType::f64), dt), random_index(src_shape, shape[dim], seed + 1),
                               to(rand(src_shape, seed + 2, -1, 1, DType::f64), dt)};
  };
  c.run = [dim](const std::vector<Tensor>& in) { return scatter_add(in[0], dim, in[1], in[2]); };
  c.reference = [dim](const std::vector<Tensor>& in) { return scatter_add_reference(in[0], dim, in[1], in[2]); };
  index_bounds(c);
  c.fwd64 = {1e-15, 1e-15}, c.fwd32 = {1e-6, 1e-6};  // sums of a few terms
  c.cuda32 = c.cuda32_grad, c.cuda64 = c.cuda64_grad;
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(index) {
  std::vector<OpCase> t;
  // Gradients and PyTorch's numbers.
  t.push_back(with_checks(select_row("gather", {3, 4}, 0, {2, 4})));
  t.push_back(with_checks(select_row("gather", {3, 4}, 1, {3, 2})));
  t.push_back(with_checks(scatter_row({3, 4}, 0, {2, 4})));
  t.push_back(with_checks(select_row("index_select", {3, 4}, 1, {3})));
  t.push_back(with_checks(select_row("index_select", {3, 4}, 0, {5})));
  // CUDA: an index larger than the input along dim, both dims, transposed input and index.
  t.push_back(select_row("gather", {6, 9}, 0, {20, 9}));
  t.push_back(select_row("gather", {6, 9}, 1, {6, 4}));
  t.push_back(select_row("gather", {6, 9}, 1, {20, 9}, "transpose"));
  t.push_back(scatter_row({6, 9}, 0, {20, 9}));
  t.push_back(scatter_row({6, 9}, 1, {6, 4}));
  t.push_back(select_row("index_select", {6, 9}, 1, {11}));
  t.push_back(select_row("index_select", {9, 6}, 1, {11}, "transpose"));
  // Many collisions: 100000 sources into 7 slots, ~14000 float additions each, in a different
  // order on each device: each sum (|.| ~ 100) carries ~3e-4 of float32 rounding.
  OpCase many = scatter_row({7}, 0, {100000});
  many.fwd32 = {5e-3, 1e-4}, many.fwd64 = {1e-10, 1e-12};
  many.cuda32 = {5e-3, 1e-4}, many.cuda64 = {1e-10, 1e-12};
  t.push_back(many);
  // gather moves every dtype.
  OpCase dtypes = select_row("gather", {6, 9}, 0, {20, 9});
  dtypes.params["dtypes"] = "all";
  dtypes.reference = nullptr;
  dtypes.parity_dtypes = {DType::bf16, DType::i32, DType::i64, DType::u8, DType::b8};
  dtypes.parity_grads = false;
  t.push_back(dtypes);
  return t;
}
