// The matmul case table: 1-D, 2-D, batched and broadcast operands, transposed, sliced and expanded
// views, against a triple loop in float64, by float64 finite differences, against PyTorch
// (tools/goldens/matmul.py), and CUDA against CPU on odd shapes, both tile sizes and batches over
// 65535. (The GEMM kernels themselves: tests/test_gemm_cpu.cpp.)
#include "kernels/common/checks.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

// NumPy's matmul in float64 loops: 1-D operands promoted and their axis dropped, batch axes broadcast.
Tensor matmul_reference(const Tensor& a, const Tensor& b) {
  const Tensor a2 = a.dim() == 1 ? unsqueeze(a, 0) : a, b2 = b.dim() == 1 ? unsqueeze(b, 1) : b;
  const int64_t M = a2.size(-2), K = a2.size(-1), N = b2.size(-1);
  const Shape batch = broadcast_shapes(Shape(a2.shape().begin(), a2.shape().end() - 2),
                                       Shape(b2.shape().begin(), b2.shape().end() - 2), "reference");
  Shape sa = batch, sb = batch, sc = batch;
  sa.insert(sa.end(), {M, K}), sb.insert(sb.end(), {K, N}), sc.insert(sc.end(), {M, N});
  const std::vector<double> av = to_vector<double>(contiguous(broadcast_view(to(a2, DType::f64), sa)));
  const std::vector<double> bv = to_vector<double>(contiguous(broadcast_view(to(b2, DType::f64), sb)));
  std::vector<double> c(shape_numel(sc), 0.0);
  for (int64_t p = 0; p < shape_numel(batch); ++p)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t k = 0; k < K; ++k)
        for (int64_t j = 0; j < N; ++j) c[(p * M + i) * N + j] += av[(p * M + i) * K + k] * bv[(p * K + k) * N + j];
  Shape out = batch;
  if (a.dim() > 1) out.push_back(M);
  if (b.dim() > 1) out.push_back(N);
  return from_vector(c, out);
}

// An operand as stored, then viewed: "" (as is), "transpose" (the last two axes swapped),
// "slice" (rows 2..12, columns 3..23), "step3" (every third column: no stride is 1),
// "expand" (a size-1 axis repeated to `to` with stride 0).
Tensor viewed(const Tensor& x, const std::string& view, const Shape& to) {
  if (view == "transpose") return transpose(x, -1, -2);
  if (view == "slice") return slice(slice(x, 0, 2, 12), 1, 3, 23);
  if (view == "step3") return slice(x, 1, 0, x.size(1), 3);
  if (view == "expand") return expand(x, to);
  return x;
}

OpCase row(const Shape& a, const Shape& b, const std::string& va = "", const std::string& vb = "",
           const Shape& expand_a = {}, const Shape& expand_b = {}) {
  OpCase c;
  c.op = "matmul";
  c.shapes = {a, b};
  if (!va.empty()) c.params["a"] = va;
  if (!vb.empty()) c.params["b"] = vb;
  c.inputs = uniform_inputs({a, b});
  auto operands = [=](const std::vector<Tensor>& in) {
    return std::pair{viewed(in[0], va, expand_a), viewed(in[1], vb, expand_b)};
  };
  c.run = [operands](const std::vector<Tensor>& in) {
    const auto [x, y] = operands(in);
    return matmul(x, y);
  };
  c.reference = [operands](const std::vector<Tensor>& in) {
    const auto [x, y] = operands(in);
    return matmul_reference(x, y);
  };
  // float32 with K terms of size <= 1: the error grows like sqrt(K) * eps. On CUDA both devices
  // accumulate in float in different orders: ~1e-6 here, 1e-5 for the K ~ 1100 of the gradients;
  // atol 2e-4 is ~20x that, far below any indexing error (O(1)).
  c.fwd64 = {1e-13, 1e-12}, c.fwd32 = {1e-5, 1e-5};
  c.cuda32 = {2e-4, 1e-4}, c.cuda32_grad = {5e-4, 1e-4};
  c.cuda64 = {1e-12, 1e-12}, c.cuda64_grad = {1e-11, 1e-11};
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(matmul) {
  std::vector<OpCase> t;
  // 2-D, odd sizes; float64 too.
  for (const auto& [M, K, N] : std::vector<std::array<int64_t, 3>>{{1, 1, 1}, {7, 13, 5}, {65, 33, 129}, {128, 64, 96}, {9, 11, 7}})
    t.push_back(row({M, K}, {K, N}));
  // Views: both transposed, a slice with row stride 30, no unit stride, rows or columns of stride 0.
  t.push_back(row({20, 30}, {40, 20}, "transpose", "transpose"));
  t.push_back(row({20, 30}, {40, 20}, "slice", "transpose"));
  t.push_back(row({20, 30}, {10, 4}, "step3"));
  t.push_back(row({1, 20}, {40, 20}, "expand", "transpose", {7, 20}));
  t.push_back(row({20, 30}, {20, 1}, "transpose", "expand", {}, {20, 5}));
  // Batched with broadcasting, 1-D operands, K = 0 (zeros) and an empty M.
  for (const auto& [a, b] : std::vector<std::pair<Shape, Shape>>{
           {{2, 1, 4, 3}, {5, 3, 6}}, {{4, 3}, {3}}, {{3}, {3, 6}}, {{3}, {3}}, {{3}, {5, 3, 6}}, {{2, 0}, {0, 3}},
           {{0, 4}, {4, 3}}})
    t.push_back(row(a, b));
  // Gradients and PyTorch's numbers.
  for (const auto& [a, b] : std::vector<std::pair<Shape, Shape>>{
           {{2, 3, 4}, {4, 5}}, {{2, 3, 4}, {4}}, {{4}, {4, 5}}, {{2, 1, 3, 4}, {5, 4, 2}}, {{4}, {3, 4, 2}}, {{3, 4}, {4}}}) {
    OpCase c = row(a, b);
    c.gradient = c.golden = true;
    t.push_back(c);
  }
  // CUDA: odd shapes, transposed operands, a batch stride of 0, batches over 65535 (the grid's z
  // limit; 1500 emulated, where the grid cap is lowered instead), the 128x128 tiles with ragged
  // edges, a tall matrix.
  const int64_t big_batch = gpu_scale(70000, 1500);
  for (const auto& [a, b, ta, tb] : std::vector<std::tuple<Shape, Shape, bool, bool>>{
           {{65, 33}, {33, 129}, false, false},   {{65, 33}, {33, 129}, true, false},
           {{65, 33}, {33, 129}, false, true},    {{65, 33}, {33, 129}, true, true},
           {{3, 1, 65, 33}, {4, 33, 17}, false, false}, {{5, 7, 3}, {3, 2}, false, false},
           {{33}, {33, 9}, false, false},         {{9, 33}, {33}, false, false},
           {{33}, {33}, false, false},            {{big_batch, 2, 3}, {big_batch, 3, 2}, false, false},
           {{big_batch, 2, 3}, {3, 2}, false, true},  {{4, 515, 67}, {67, 1100}, false, false},
           {{4, 515, 67}, {67, 1100}, false, true}, {{515, 67}, {67, 1100}, true, false},
           {{20000, 5}, {5, 3}, false, false}}) {
    auto stored = [](Shape s, bool transposed) {
      if (transposed) std::swap(s[s.size() - 1], s[s.size() - 2]);
      return s;
    };
    t.push_back(row(stored(a, ta), stored(b, tb), ta ? "transpose" : "", tb ? "transpose" : ""));
  }
  return t;
}
