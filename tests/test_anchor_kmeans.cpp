// Anchor k-means (train/data/anchor_kmeans.h): the corner IoU by hand, separated clusters give their
// means, k distinct shapes give those shapes, the distance is scale aware (and the result scales with
// the boxes), a converged result is a fixed point, seeds are deterministic, bad input is refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "train/data/anchor_kmeans.h"

using namespace oc;

namespace {

// n shapes around (w, h), each side jittered uniformly by up to +-jitter.
void add_cluster(std::vector<AnchorShape>& out, std::mt19937& g, int n, double w, double h, double jitter) {
  std::uniform_real_distribution<double> u(-jitter, jitter);
  for (int i = 0; i < n; ++i) out.push_back({w + u(g), h + u(g)});
}

// Mean w and mean h of boxes [begin, end), summed in order.
AnchorShape mean_of(const std::vector<AnchorShape>& boxes, size_t begin, size_t end) {
  double sw = 0, sh = 0;
  for (size_t i = begin; i < end; ++i) sw += boxes[i].w, sh += boxes[i].h;
  const auto n = static_cast<double>(end - begin);
  return {sw / n, sh / n};
}

// n shapes with sides log-uniform in [4, 200] px.
std::vector<AnchorShape> random_boxes(uint32_t seed, int n) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<double> u(std::log(4.0), std::log(200.0));
  std::vector<AnchorShape> b;
  for (int i = 0; i < n; ++i) b.push_back({std::exp(u(g)), std::exp(u(g))});
  return b;
}

}  // namespace

TEST_CASE("anchor_kmeans: corner IoU by hand", "[anchor_kmeans]") {
  CHECK(corner_iou({10, 20}, {20, 10}) == Approx(100.0 / 300.0));  // inter 10 x 10, union 200 + 200 - 100
  CHECK(corner_iou({4, 4}, {2, 8}) == Approx(8.0 / 24.0));          // inter 2 x 4
  CHECK(corner_iou({3, 5}, {6, 10}) == Approx(15.0 / 60.0));        // one inside the other
  CHECK(corner_iou({7, 9}, {7, 9}) == 1.0);
  CHECK(corner_iou({2, 3}, {5, 7}) == corner_iou({5, 7}, {2, 3}));
}

TEST_CASE("anchor_kmeans: two well separated clusters give their two means", "[anchor_kmeans]") {
  std::mt19937 g(11);
  std::vector<AnchorShape> boxes;
  add_cluster(boxes, g, 20, 10, 30, 1);  // area ~300, IoU ~0.15 with the other cluster
  add_cluster(boxes, g, 15, 60, 20, 2);  // area ~1200
  const AnchorShape small = mean_of(boxes, 0, 20), large = mean_of(boxes, 20, 35);
  double iou_sum = 0;
  for (size_t i = 0; i < boxes.size(); ++i) iou_sum += corner_iou(boxes[i], i < 20 ? small : large);
  for (uint64_t seed = 0; seed < 20; ++seed) {
    INFO("seed " << seed);
    const AnchorKmeansResult r = anchor_kmeans(boxes, {2, seed, 100});
    REQUIRE(r.anchors.size() == 2);
    CHECK(r.converged);
    CHECK(r.anchors[0].w == Approx(small.w).margin(1e-12));
    CHECK(r.anchors[0].h == Approx(small.h).margin(1e-12));
    CHECK(r.anchors[1].w == Approx(large.w).margin(1e-12));
    CHECK(r.anchors[1].h == Approx(large.h).margin(1e-12));
    CHECK(r.mean_iou == Approx(iou_sum / 35).margin(1e-12));
  }
}

TEST_CASE("anchor_kmeans: k equal to the number of distinct shapes gives those shapes, mean IoU 1",
          "[anchor_kmeans]") {
  // Areas 25, 200, 320, 900: the expected order. Repeated 1..3 times, interleaved.
  const std::vector<AnchorShape> boxes = {{40, 8}, {5, 5},  {30, 30}, {10, 20}, {40, 8},
                                          {5, 5},  {40, 8}, {10, 20}, {30, 30}};
  for (uint64_t seed : {0u, 1u, 7u, 1234u}) {
    INFO("seed " << seed);
    const AnchorKmeansResult r = anchor_kmeans(boxes, {4, seed, 100});
    REQUIRE(r.anchors.size() == 4);
    CHECK(r.anchors[0].w == 5);
    CHECK(r.anchors[0].h == 5);
    CHECK(r.anchors[1].w == 10);
    CHECK(r.anchors[1].h == 20);
    CHECK(r.anchors[2].w == 40);
    CHECK(r.anchors[2].h == 8);
    CHECK(r.anchors[3].w == 30);
    CHECK(r.anchors[3].h == 30);
    CHECK(r.mean_iou == 1.0);
    CHECK(r.converged);
  }
}

TEST_CASE("anchor_kmeans: one shape and k 2 repeats the shape (the empty cluster keeps it)", "[anchor_kmeans]") {
  const std::vector<AnchorShape> boxes(5, AnchorShape{7, 3});
  const AnchorKmeansResult r = anchor_kmeans(boxes, {2, 4, 100});
  REQUIRE(r.anchors.size() == 2);
  for (const AnchorShape& a : r.anchors) {
    CHECK(a.w == 7);
    CHECK(a.h == 3);
  }
  CHECK(r.mean_iou == 1.0);
  CHECK(r.converged);
}

TEST_CASE("anchor_kmeans: the distance is scale aware: 10 and 12 merge before 10 and 100", "[anchor_kmeans]") {
  // In pixels 12 - 10 is small either way; in IoU 10x10 vs 12x12 is 0.69, 12x12 vs 100x100 0.0144.
  // Whichever two shapes the seeding picks, the rounds end at {11 x 11, 100 x 100}.
  const std::vector<AnchorShape> boxes = {{10, 10}, {100, 100}, {12, 12}, {10, 10}, {12, 12}, {100, 100}};
  for (uint64_t seed = 0; seed < 10; ++seed) {
    INFO("seed " << seed);
    const AnchorKmeansResult r = anchor_kmeans(boxes, {2, seed, 100});
    REQUIRE(r.anchors.size() == 2);
    CHECK(r.anchors[0].w == 11);
    CHECK(r.anchors[0].h == 11);
    CHECK(r.anchors[1].w == 100);
    CHECK(r.anchors[1].h == 100);
    CHECK(r.mean_iou == Approx((2 * 100.0 / 121 + 2 * 121.0 / 144 + 2) / 6));  // 10 in 11, 12 in 11, 100 in 100
  }
}

TEST_CASE("anchor_kmeans: scaling every box by 8 scales the anchors by 8 and keeps the mean IoU",
          "[anchor_kmeans]") {
  // The IoU of two shapes does not change when both are scaled, so the seeding draws the same boxes
  // and every round assigns alike; means scale linearly. (Powers of two scale exactly.)
  const std::vector<AnchorShape> boxes = random_boxes(5, 300);
  std::vector<AnchorShape> scaled;
  for (const AnchorShape& b : boxes) scaled.push_back({8 * b.w, 8 * b.h});
  const AnchorKmeansResult r = anchor_kmeans(boxes, {6, 9, 1000});
  const AnchorKmeansResult s = anchor_kmeans(scaled, {6, 9, 1000});
  REQUIRE(r.anchors.size() == 6);
  REQUIRE(s.anchors.size() == 6);
  for (size_t c = 0; c < 6; ++c) {
    CHECK(s.anchors[c].w == Approx(8 * r.anchors[c].w).epsilon(1e-12));
    CHECK(s.anchors[c].h == Approx(8 * r.anchors[c].h).epsilon(1e-12));
  }
  CHECK(s.mean_iou == Approx(r.mean_iou).epsilon(1e-12));
  CHECK(s.iterations == r.iterations);
}

TEST_CASE("anchor_kmeans: a converged result is a fixed point, sorted by area, deterministic for a seed",
          "[anchor_kmeans]") {
  const std::vector<AnchorShape> boxes = random_boxes(3, 500);
  const AnchorKmeansResult r = anchor_kmeans(boxes, {5, 42, 1000});
  REQUIRE(r.converged);
  REQUIRE(r.anchors.size() == 5);
  for (size_t c = 1; c < 5; ++c) CHECK(r.anchors[c - 1].w * r.anchors[c - 1].h <= r.anchors[c].w * r.anchors[c].h);

  // Each anchor is the mean of the boxes nearest to it (first of a tie), and mean_iou their mean best IoU.
  std::vector<double> sw(5, 0), sh(5, 0), n(5, 0);
  double iou_sum = 0;
  for (const AnchorShape& b : boxes) {
    size_t best = 0;
    for (size_t c = 1; c < 5; ++c)
      if (corner_iou(b, r.anchors[c]) > corner_iou(b, r.anchors[best])) best = c;
    sw[best] += b.w, sh[best] += b.h, n[best] += 1;
    iou_sum += corner_iou(b, r.anchors[best]);
  }
  for (size_t c = 0; c < 5; ++c) {
    INFO("anchor " << c);
    REQUIRE(n[c] > 0);
    CHECK(r.anchors[c].w == Approx(sw[c] / n[c]).epsilon(1e-12));
    CHECK(r.anchors[c].h == Approx(sh[c] / n[c]).epsilon(1e-12));
  }
  CHECK(r.mean_iou == Approx(iou_sum / 500).epsilon(1e-12));
  CHECK(r.mean_iou < 1.0);
  // Better than 5 boxes taken as they come, and than one anchor.
  double first_five = 0;
  for (const AnchorShape& b : boxes) {
    double best = 0;
    for (size_t c = 0; c < 5; ++c) best = std::max(best, corner_iou(b, boxes[c]));
    first_five += best / 500;
  }
  CHECK(r.mean_iou > first_five);
  CHECK(r.mean_iou > anchor_kmeans(boxes, {1, 42, 1000}).mean_iou);

  const AnchorKmeansResult again = anchor_kmeans(boxes, {5, 42, 1000});
  REQUIRE(again.anchors.size() == 5);
  for (size_t c = 0; c < 5; ++c) {
    CHECK(again.anchors[c].w == r.anchors[c].w);
    CHECK(again.anchors[c].h == r.anchors[c].h);
  }
  CHECK(again.mean_iou == r.mean_iou);
  CHECK(again.iterations == r.iterations);
}

TEST_CASE("anchor_kmeans: max_iterations bounds the rounds", "[anchor_kmeans]") {
  const std::vector<AnchorShape> boxes = random_boxes(8, 400);
  const AnchorKmeansResult full = anchor_kmeans(boxes, {7, 1, 1000});
  REQUIRE(full.converged);
  REQUIRE(full.iterations > 2);  // so round 2 still moved a box: cut there, it has not converged
  const AnchorKmeansResult cut = anchor_kmeans(boxes, {7, 1, 2});
  CHECK(cut.iterations == 2);
  CHECK_FALSE(cut.converged);
  CHECK(cut.anchors.size() == 7);
}

TEST_CASE("anchor_kmeans: bad input is refused with what is wrong", "[anchor_kmeans]") {
  const std::vector<AnchorShape> boxes = {{3, 4}, {5, 6}, {7, 8}};
  using Catch::Contains;
  CHECK_THROWS_WITH(anchor_kmeans(boxes, {0, 0, 10}), Contains("k must be at least 1, got 0"));
  CHECK_THROWS_WITH(anchor_kmeans(boxes, {4, 0, 10}), Contains("3 boxes, fewer than k = 4"));
  CHECK_THROWS_WITH(anchor_kmeans({}, {1, 0, 10}), Contains("0 boxes, fewer than k = 1"));
  CHECK_THROWS_WITH(anchor_kmeans(boxes, {2, 0, 0}), Contains("max_iterations must be at least 1, got 0"));
  CHECK_THROWS_WITH(anchor_kmeans({{3, 4}, {0, 6}}, {1, 0, 10}), Contains("box 1 has width 0"));
  CHECK_THROWS_WITH(anchor_kmeans({{3, 4}, {5, 6}, {2, -1}}, {1, 0, 10}), Contains("box 2 has height -1"));
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(anchor_kmeans({{nan, 4}}, {1, 0, 10}), Contains("box 0 has width nan"));
  CHECK_THROWS_WITH(anchor_kmeans({{4, inf}}, {1, 0, 10}), Contains("box 0 has height inf"));
}
