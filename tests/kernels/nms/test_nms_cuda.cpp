// NMS on CUDA by hand: ties, NaN scores and many classes choose the same boxes on both devices, and
// nms_fixed leaves its count on the device (the random-input parity comes from nms_cases.cpp).
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/nms/nms.h"
#include "tests/cuda/parity.h"
#include "tests/kernels/boxes/boxes_reference.h"

using namespace oc;
using namespace oc::test;

TEST_CASE("nms with tied and NaN scores keeps the same boxes on both devices") {
  for (DType dt : {DType::f32, DType::f64}) {
    const Tensor b = clustered_boxes(300, 61, dt, 30);
    // Scores from 4 levels (many ties) with NaN at every 7th box.
    std::vector<double> s = to_vector<double>(to(to(test::rand({300}, 62, 0, 3.999, DType::f32), DType::i32), DType::f64));
    for (size_t i = 0; i < s.size(); i += 7) s[i] = NAN;
    const Tensor scores = to(from_vector(s, {300}), dt), cls = random_index({300}, 3, 63);
    check_parity([](const std::vector<Tensor>& in) { return nms(in[0], in[1], 0.4); }, {b, scores}, kExact, kExact,
                 false);
    check_parity([](const std::vector<Tensor>& in) { return batched_nms(in[0], in[1], in[2], 0.4); }, {b, scores, cls},
                 kExact, kExact, false);
    check_parity([](const std::vector<Tensor>& in) { return nms_fixed(in[0], in[1], in[2], 0.4, 17).indices; },
                 {b, scores, cls}, kExact, kExact, false);
  }
}

TEST_CASE("nms_fixed keeps its count on the CUDA device") {
  const Tensor b = to(clustered_boxes(100, 71, DType::f32), kCuda), s = to(test::rand({100}, 72, 0, 1), kCuda);
  const NmsFixed r = nms_fixed(b, s, Tensor(), 0.5, 8);
  CHECK(r.count.device().is_cuda());
  CHECK(r.indices.device().is_cuda());
  CHECK(to_vector<int64_t>(r.count)[0] == 8);
}
