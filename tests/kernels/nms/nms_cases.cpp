// The NMS case table: nms, batched_nms and the fixed-size nms_fixed on clustered boxes (a detector's
// overlapping proposals), against the definition (ref_nms in boxes_reference.h), against torchvision
// (tools/goldens/nms.py), CUDA against CPU (exact: the same indices), and the bench shapes. Scores
// are U(0, 1) draws: no ties (ties are tested by hand in test_nms.cpp).
#include "kernels/nms/nms.h"
#include "tests/kernels/boxes/boxes_reference.h"
#include "tests/op_cases.h"

namespace oc::test {
namespace {

std::vector<double> host_values(const Tensor& t) { return to_vector<double>(contiguous(to(t, DType::f64))); }

// op: nms, batched_nms (classes in [0, 4)) or nms_fixed (max_out, classes when batched).
OpCase nms_row(const std::string& op, int64_t n, double threshold, int64_t max_out = -1, bool batched = false) {
  const bool with_classes = op == "batched_nms" || batched;
  OpCase c;
  c.op = op;
  c.shapes = {{n, 4}, {n}};
  if (with_classes) c.shapes.push_back({n});
  c.params = {{"iou_threshold", threshold}};
  if (max_out >= 0) c.params["max_out"] = max_out;
  c.inputs = [=](DType dt, uint64_t seed) {
    std::vector<Tensor> in = {clustered_boxes(n, seed, dt), rand({n}, seed + 3, 0, 1, dt)};
    if (with_classes) in.push_back(random_index({n}, 4, seed + 4));
    return in;
  };
  c.run = [=](const std::vector<Tensor>& in) {
    const Tensor classes = with_classes ? in[2] : Tensor();
    if (op == "nms_fixed") return nms_fixed(in[0], in[1], classes, threshold, max_out).indices;
    return with_classes ? batched_nms(in[0], in[1], in[2], threshold) : nms(in[0], in[1], threshold);
  };
  c.reference = [=](const std::vector<Tensor>& in) {
    const std::vector<int64_t> classes = with_classes ? to_vector<int64_t>(in[2]) : std::vector<int64_t>{};
    std::vector<int64_t> keep = ref_nms(ref_boxes(in[0]), host_values(in[1]), classes, threshold,
                                        max_out >= 0 ? static_cast<size_t>(max_out) : SIZE_MAX);
    if (max_out >= 0) keep.resize(max_out, -1);
    return from_vector(keep, {static_cast<int64_t>(keep.size())});
  };
  c.parity_grads = false;
  c.cuda32 = c.cuda64 = kExact;
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(nms) {
  std::vector<OpCase> t;
  for (double threshold : {0.0, 0.3, 0.5, 0.7}) t.push_back(with_checks(nms_row("nms", 200, threshold), false, true));
  t.push_back(with_checks(nms_row("nms", 1, 0.5), false, true));
  t.push_back(nms_row("nms", 0, 0.5));
  t.push_back(nms_row("nms", 130, 0.5));  // 130: three mask words, the last partial
  for (double threshold : {0.3, 0.5}) t.push_back(with_checks(nms_row("batched_nms", 300, threshold), false, true));
  t.push_back(nms_row("nms_fixed", 200, 0.5, 10));
  t.push_back(nms_row("nms_fixed", 200, 0.5, 500));  // fewer kept than max_out: -1 after them
  t.push_back(nms_row("nms_fixed", 200, 0.5, 0));
  t.push_back(nms_row("nms_fixed", 300, 0.5, 25, true));
  // `ocellus bench nms`: 1k, 10k and 50k proposals, 20 per object. The emulation checks parity at
  // 1k only (the 50k mask is 2.5e9 box pairs, hours on one CPU thread).
  for (int64_t n : {1000, 10000, 50000}) {
    OpCase b = nms_row("nms", n, 0.5);
    b.bench = true;
    b.parity = n <= gpu_scale(50000, 1000);
    t.push_back(b);
  }
  return t;
}
