// The pool case table: max_pool2d, avg_pool2d (count_include_pad both ways) and
// adaptive_avg_pool2d over kernels, strides, padding and ceil mode, against the loops of their
// definitions (pool_reference.h), by float64 finite differences, against PyTorch
// (tools/goldens/pool.py), and CUDA against the CPU.
#include "tests/kernels/pool/pool_reference.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

using Ints = std::vector<int64_t>;

// x [N, C, H, W] (or its NHWC storage read through a permutation), uniform in [lo, hi): random
// values have no ties, so max pooling's gradient does not move under the finite-difference step.
OpCase pool_input(const std::string& op, const Shape& x, double lo, double hi, bool nhwc) {
  OpCase c;
  c.op = op;
  c.shapes = {nhwc ? Shape{x[0], x[2], x[3], x[1]} : x};
  if (nhwc) c.params["permute"] = Ints{0, 3, 1, 2};
  c.inputs = uniform_inputs(c.shapes, lo, hi);
  // Sums in double on both devices, rounded once: float64 to rounding, float32 to 1 ulp.
  c.fwd64 = {1e-15, 1e-14}, c.fwd32 = {1e-6, 1e-6};
  // CUDA runs the same window code (pool_math.h) in the same order: max pool and its gradient (a
  // gather in output order) are exact; averages sum in double and round once, so they agree but
  // for nvcc contracting a multiply-add: 1 ulp allowed.
  if (op == "max_pool2d") {
    c.cuda32 = c.cuda32_grad = c.cuda64 = c.cuda64_grad = kExact;
  } else {
    c.cuda32 = c.cuda32_grad = {1e-7, 1e-6};
    c.cuda64 = c.cuda64_grad = {1e-15, 1e-14};
  }
  return c;
}


// max_pool2d, or avg_pool2d counting the padding (avg_incl) or not (avg_excl).
OpCase pool(RefPoolMode mode, const Shape& x, const Pool2dParams& p, double lo = -1, double hi = 1,
            bool nhwc = false) {
  OpCase c = pool_input(mode == RefPoolMode::max ? "max_pool2d" : "avg_pool2d", x, lo, hi, nhwc);
  c.params["kernel"] = Ints{p.kernel_h, p.kernel_w};
  c.params["stride"] = Ints{p.stride_h, p.stride_w};
  c.params["pad"] = Ints{p.pad_h, p.pad_w};
  c.params["ceil_mode"] = p.ceil_mode;
  if (mode != RefPoolMode::max) c.params["count_include_pad"] = mode == RefPoolMode::avg_incl;
  const bool permuted = nhwc;
  c.run = [mode, p, permuted](const std::vector<Tensor>& in) {
    const Tensor v = permuted ? permute(in[0], {0, 3, 1, 2}) : in[0];
    return mode == RefPoolMode::max ? max_pool2d(v, p) : avg_pool2d(v, p, mode == RefPoolMode::avg_incl);
  };
  c.reference = [mode, p, permuted](const std::vector<Tensor>& in) {
    return ref_pool(permuted ? permute(in[0], {0, 3, 1, 2}) : in[0], mode, p);
  };
  return c;
}

OpCase adaptive(const Shape& x, int64_t ho, int64_t wo) {
  OpCase c = pool_input("adaptive_avg_pool2d", x, -1, 1, false);
  c.params["out"] = Ints{ho, wo};
  c.run = [ho, wo](const std::vector<Tensor>& in) { return adaptive_avg_pool2d(in[0], ho, wo); };
  c.reference = [ho, wo](const std::vector<Tensor>& in) { return ref_adaptive(in[0], ho, wo); };
  return c;
}

constexpr RefPoolMode kModes[] = {RefPoolMode::max, RefPoolMode::avg_incl, RefPoolMode::avg_excl};

}  // namespace
}  // namespace oc::test

OC_OP_CASES(pool) {
  std::vector<OpCase> t;
  auto add = [&t](OpCase c, bool gradient, bool golden) { t.push_back(with_checks(std::move(c), gradient, golden)); };
  // A grid of kernels, strides, padding and ceil mode, every mode, on a 7x6 map.
  for (auto [kh, kw] : {std::pair{1, 1}, std::pair{2, 2}, std::pair{3, 3}, std::pair{3, 2}, std::pair{4, 3}})
    for (auto [sh, sw] : {std::pair{1, 1}, std::pair{2, 2}, std::pair{3, 1}})
      for (int64_t ph = 0; ph <= kh / 2; ++ph)
        for (bool ceil_mode : {false, true})
          for (RefPoolMode mode : kModes)
            add(pool(mode, {2, 3, 7, 6}, {kh, kw, sh, sw, ph, kw / 2, ceil_mode}, -2, 2), false, false);
  // Adaptive bins: overlapping, global, identity, enlarging.
  for (auto [ho, wo] : {std::pair<int64_t, int64_t>{3, 2}, {1, 1}, {7, 5}, {4, 4}, {9, 8}, {2, 5}})
    add(adaptive({2, 3, 7, 5}, ho, wo), false, false);

  // Float64 finite differences.
  for (const Pool2dParams& p : {Pool2dParams{2, 2, 2, 2}, Pool2dParams{3, 3, 2, 2, 1, 1, true},
                                Pool2dParams{3, 2, 1, 2, 1, 0, false}, Pool2dParams{2, 3, 2, 2, 1, 1, true}})
    for (RefPoolMode mode : kModes) add(pool(mode, {2, 2, 5, 6}, p), true, false);
  for (auto [ho, wo] : {std::pair<int64_t, int64_t>{3, 4}, {1, 1}, {7, 8}}) add(adaptive({2, 2, 5, 6}, ho, wo), true, false);
  // Through a permuted (NHWC) view.
  add(pool(RefPoolMode::max, {2, 3, 5, 6}, {3, 3, 2, 2, 1, 1}, -1, 1, true), true, false);

  // PyTorch: max pool plain, padded, ceil mode (the last window hangs over the edge), ceil mode
  // where the window that would start in the right padding is dropped (in 3, kernel 2, stride 2, pad 1).
  add(pool(RefPoolMode::max, {2, 3, 6, 6}, {2, 2, 2, 2}), false, true);
  add(pool(RefPoolMode::max, {2, 2, 7, 6}, {3, 3, 2, 2, 1, 1}), false, true);
  add(pool(RefPoolMode::max, {1, 2, 6, 7}, {3, 3, 2, 2, 0, 0, true}), false, true);
  add(pool(RefPoolMode::max, {1, 2, 3, 5}, {2, 2, 2, 2, 1, 1, true}), false, true);
  add(pool(RefPoolMode::max, {2, 1, 5, 6}, {3, 2, 1, 2, 1, 0}), false, true);
  for (RefPoolMode mode : {RefPoolMode::avg_incl, RefPoolMode::avg_excl}) {
    add(pool(mode, {2, 2, 7, 6}, {3, 3, 2, 2, 1, 1}), false, true);
    add(pool(mode, {1, 2, 6, 8}, {3, 3, 2, 2, 1, 1, true}), false, true);
    add(pool(mode, {1, 3, 5, 5}, {2, 3, 2, 1, 1, 1}), false, true);
  }
  add(pool(RefPoolMode::avg_incl, {2, 3, 4, 6}, {2, 2, 2, 2}), false, true);
  add(adaptive({2, 3, 7, 5}, 3, 2), false, true);
  add(adaptive({2, 3, 5, 6}, 1, 1), false, true);
  add(adaptive({1, 2, 3, 4}, 5, 7), false, true);

  // CUDA against the CPU: odd sizes, a 1-channel map, 17 channels of 33x20; overlapping windows
  // (one input the argmax of several); NHWC storage.
  for (const Shape& shape : {Shape{2, 3, 9, 11}, Shape{1, 1, 7, 7}, Shape{4, 17, 33, 20}})
    for (const Pool2dParams& p : {Pool2dParams{2, 2, 2, 2}, Pool2dParams{3, 3, 2, 2, 1, 1},
                                  Pool2dParams{3, 3, 2, 2, 1, 1, true}, Pool2dParams{3, 2, 1, 2, 1, 0},
                                  Pool2dParams{1, 1, 1, 1}, Pool2dParams{2, 3, 3, 1, 1, 1, true},
                                  Pool2dParams{7, 7, 1, 1, 3, 3}})
      for (RefPoolMode mode : kModes) t.push_back(pool(mode, shape, p));
  t.push_back(pool(RefPoolMode::max, {2, 3, 12, 10}, {3, 3, 1, 1, 1, 1}));
  t.push_back(pool(RefPoolMode::max, {2, 5, 9, 8}, {2, 2, 2, 2}, -1, 1, true));
  t.push_back(pool(RefPoolMode::avg_excl, {2, 5, 9, 8}, {3, 3, 2, 2, 1, 1}, -1, 1, true));
  for (const Shape& shape : {Shape{2, 5, 14, 14}, Shape{3, 2, 9, 7}, Shape{1, 1, 56, 56}})
    for (auto [ho, wo] : {std::pair<int64_t, int64_t>{1, 1}, {3, 2}, {7, 7}, {4, 5}, {15, 13}})
      t.push_back(adaptive(shape, ho, wo));
  return t;
}
