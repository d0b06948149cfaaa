// The random case table: uniform, normal, bernoulli and randperm draw the same Philox stream on
// CUDA as on the CPU, twice in a row (the second draw starts at the advanced offset). They take no
// tensor: an empty tensor (device_marker) says where and in which dtype to draw. Statistics and
// the known-answer vectors are hand tests (test_random.cpp).
#include "tests/op_cases.h"

namespace oc::test {
namespace {

// draw(generator, device, dtype), twice from one generator seeded 1234, the draws side by side.
OpCase row(const std::string& op, nlohmann::ordered_json params,
           std::function<Tensor(Generator*, Device, DType)> draw) {
  OpCase c;
  c.op = op;
  c.params = std::move(params);
  c.inputs = device_marker();
  c.run = [draw](const std::vector<Tensor>& in) {
    Generator g(1234);
    Tensor first = draw(&g, in[0].device(), in[0].dtype());
    return cat({first, draw(&g, in[0].device(), in[0].dtype())}, 0);
  };
  // The same Philox arithmetic on both devices: uniform and bernoulli are exact up to an FMA in
  // a + (b - a) * u (1 ulp of double, exact after rounding to float); normal goes through the
  // device's log/sqrt/cos (1-2 ulp of double): 1e-6 covers float32 rounding of |x| <= ~6.
  c.cuda32 = c.cuda64 = {1e-6, 1e-6};
  c.parity_grads = false;
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(random) {
  std::vector<OpCase> t;
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1000003}}) {
    t.push_back(row("uniform", {{"shape", {n}}, {"lo", -2}, {"hi", 3}},
                    [n](Generator* g, Device d, DType dt) { return uniform({n}, -2, 3, g, dt, d); }));
    t.push_back(row("normal", {{"shape", {n}}, {"mean", 0.5}, {"std", 2}},
                    [n](Generator* g, Device d, DType dt) { return normal({n}, 0.5, 2, g, dt, d); }));
    OpCase b = row("bernoulli", {{"shape", {n}}, {"p", 0.3}},
                   [n](Generator* g, Device d, DType dt) { return bernoulli({n}, 0.3, g, dt, d); });
    b.cuda32 = b.cuda64 = kExact;
    t.push_back(b);
  }
  // A multi-dimensional draw is the same stream in row-major order.
  t.push_back(row("uniform", {{"shape", {3, 5, 7}}, {"lo", 0}, {"hi", 1}},
                  [](Generator* g, Device d, DType dt) { return uniform({3, 5, 7}, 0, 1, g, dt, d); }));
  OpCase perm = row("randperm", {{"n", 1000}}, [](Generator* g, Device d, DType) { return randperm(1000, g, d); });
  perm.parity_dtypes = {DType::i64};
  perm.cuda32 = perm.cuda64 = kExact;
  t.push_back(perm);
  return t;
}
