// COCO run-length masks: round trips on random masks (encode/decode/string), area, box and IoU
// against brute force over the dense mask, hand-worked strings, and malformed strings.
#include <catch2/catch.hpp>

#include <random>

#include "tests/helpers.h"
#include "train/io/coco_rle.h"

using namespace oc;

namespace {

// A random row-major mask: blobs (so runs are long and wrap columns) or noise, by seed.
std::vector<uint8_t> random_mask(int64_t h, int64_t w, std::mt19937& rng, bool blobs) {
  std::vector<uint8_t> m(size_t(h * w), 0);
  std::uniform_real_distribution<double> u(0, 1);
  if (!blobs) {
    const double p = u(rng);
    for (auto& v : m) v = u(rng) < p ? uint8_t(1 + rng() % 255) : 0;  // any nonzero value is inside
    return m;
  }
  const int n = int(rng() % 4);
  for (int b = 0; b < n; ++b) {
    const int64_t x0 = rng() % w, y0 = rng() % h, x1 = x0 + rng() % (w - x0), y1 = y0 + rng() % (h - y0);
    for (int64_t y = y0; y <= y1; ++y)
      for (int64_t x = x0; x <= x1; ++x) m[size_t(y * w + x)] = 1;
  }
  return m;
}

int64_t dense_area(const std::vector<uint8_t>& m) {
  int64_t a = 0;
  for (uint8_t v : m) a += v != 0;
  return a;
}

std::array<double, 4> dense_bbox(const std::vector<uint8_t>& m, int64_t h, int64_t w) {
  int64_t x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      if (m[size_t(y * w + x)]) x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  if (x1 < 0) return {0, 0, 0, 0};
  return {double(x0), double(y0), double(x1 - x0 + 1), double(y1 - y0 + 1)};
}

}  // namespace

TEST_CASE("coco_rle: random masks round-trip through encode, decode and the counts string", "[coco_rle]") {
  std::mt19937 rng(std::random_device{}());
  const uint32_t seed = rng();
  INFO("seed " << seed);
  rng.seed(seed);
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t h = 1 + rng() % 40, w = 1 + rng() % 40;
    const std::vector<uint8_t> m = random_mask(h, w, rng, trial % 2 == 0);
    const Rle r = rle_encode(m.data(), h, w);
    INFO("trial " << trial << ": " << h << " x " << w);
    REQUIRE(r.height == h);
    REQUIRE(r.width == w);
    int64_t sum = 0;
    for (size_t k = 0; k < r.counts.size(); ++k) {
      sum += r.counts[k];
      if (k > 0) REQUIRE(r.counts[k] > 0);  // only the first run (of 0s) may be empty
    }
    REQUIRE(sum == h * w);
    const std::vector<uint8_t> back = rle_decode(r);
    for (size_t i = 0; i < m.size(); ++i) REQUIRE(back[i] == (m[i] != 0));
    REQUIRE(rle_area(r) == dense_area(m));
    REQUIRE(rle_bbox(r) == dense_bbox(m, h, w));
    const std::string s = rle_to_string(r);
    for (char c : s) REQUIRE((c >= '0' && c <= 'o'));
    REQUIRE(rle_from_string(s, h, w).counts == r.counts);
  }
}

TEST_CASE("coco_rle: encoding walks columns, strings worked by hand", "[coco_rle]") {
  // 2 x 3 mask, row-major:  0 1 1     column-major pixel order: (0,0)=0 (1,0)=1 | (0,1)=1 (1,1)=0 |
  //                         1 0 1     (0,2)=1 (1,2)=1  -> runs 0:1, 1:2, 0:1, 1:2
  const uint8_t m[6] = {0, 1, 1, 1, 0, 1};
  const Rle r = rle_encode(m, 2, 3);
  REQUIRE(r.counts == std::vector<uint32_t>{1, 2, 1, 2});
  // Counts 1, 2, 1 are written as is ('1', '2', '1'); the fourth as 2 - 2 = 0 -> '0'.
  REQUIRE(rle_to_string(r) == "1210");
  REQUIRE(rle_bbox(r) == std::array<double, 4>{0, 0, 3, 2});  // a run wraps columns: all rows
  REQUIRE(rle_area(r) == 4);

  // Counts 0, 5, 31, 1 in a 37 x 1 mask: 0 -> '0'; 5 -> '5'; 31 = 0x1f sets the sign bit, so it
  // needs a second (zero) group: 'o' (48 + 31 + 32) then '0'; the fourth is 1 - 5 = -4, whose low
  // five bits 11100 = 28 end the number (the rest is -1): 48 + 28 = 'L'.
  Rle hand{37, 1, {0, 5, 31, 1}};
  REQUIRE(rle_to_string(hand) == "05o0L");
  REQUIRE(rle_from_string("05o0L", 37, 1).counts == hand.counts);
  REQUIRE(rle_bbox(hand) == std::array<double, 4>{0, 0, 1, 37});  // pixels 0..4 and 36 of one column

  // Large counts take several groups: 1000 = 31 * 32 + 8 -> groups 8, 31 ('8' + 32 -> 'X', then
  // 31 has the sign bit so a third group 0 follows: 'o', '0').
  Rle big{1000, 2, {1000, 1000}};
  REQUIRE(rle_to_string(big) == "Xo0Xo0");
  REQUIRE(rle_from_string("Xo0Xo0", 1000, 2).counts == big.counts);
  REQUIRE(rle_bbox(big) == std::array<double, 4>{1, 0, 1, 1000});
}

TEST_CASE("coco_rle: empty, full and zero-size masks", "[coco_rle]") {
  const std::vector<uint8_t> zeros(12, 0), ones(12, 1);
  const Rle e = rle_encode(zeros.data(), 3, 4), f = rle_encode(ones.data(), 3, 4);
  REQUIRE(e.counts == std::vector<uint32_t>{12});
  REQUIRE(f.counts == std::vector<uint32_t>{0, 12});
  REQUIRE(rle_area(e) == 0);
  REQUIRE(rle_bbox(e) == std::array<double, 4>{0, 0, 0, 0});
  REQUIRE(rle_bbox(f) == std::array<double, 4>{0, 0, 4, 3});
  REQUIRE(rle_iou(e, f, false) == 0);
  REQUIRE(rle_iou(f, f, false) == 1);
  const Rle z = rle_encode(nullptr, 0, 5);
  REQUIRE(z.counts == std::vector<uint32_t>{0});
  REQUIRE(rle_decode(z).empty());
  REQUIRE(rle_from_string(rle_to_string(z), 0, 5).counts == z.counts);
}

TEST_CASE("coco_rle: IoU and the crowd rule agree with brute force on random masks", "[coco_rle]") {
  std::mt19937 rng(std::random_device{}());
  const uint32_t seed = rng();
  INFO("seed " << seed);
  rng.seed(seed);
  int overlapping = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int64_t h = 1 + rng() % 30, w = 1 + rng() % 30;
    const std::vector<uint8_t> a = random_mask(h, w, rng, trial % 3 != 0), b = random_mask(h, w, rng, trial % 3 != 1);
    int64_t inter = 0, uni = 0;
    for (size_t i = 0; i < a.size(); ++i) inter += a[i] && b[i], uni += a[i] || b[i];
    const Rle ra = rle_encode(a.data(), h, w), rb = rle_encode(b.data(), h, w);
    const double want = inter == 0 ? 0.0 : double(inter) / double(uni);
    const double want_crowd = inter == 0 ? 0.0 : double(inter) / double(dense_area(a));
    INFO("trial " << trial);
    REQUIRE(rle_iou(ra, rb, false) == want);
    REQUIRE(rle_iou(ra, rb, true) == want_crowd);
    overlapping += inter > 0 && inter < uni;
  }
  REQUIRE(overlapping > 20);  // the cases exercise partial overlaps, not only 0 and 1
}

TEST_CASE("coco_rle: a hand-worked IoU and crowd IoU", "[coco_rle]") {
  // 4 x 4: detection = left two columns (8 px), ground truth = top two rows (8 px): 4 shared.
  uint8_t d[16] = {}, g[16] = {};
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) d[y * 4 + x] = x < 2, g[y * 4 + x] = y < 2;
  const Rle rd = rle_encode(d, 4, 4), rg = rle_encode(g, 4, 4);
  REQUIRE(rle_iou(rd, rg, false) == 4.0 / 12.0);
  REQUIRE(rle_iou(rd, rg, true) == 4.0 / 8.0);
}

TEST_CASE("coco_rle: malformed strings and mismatched sizes are errors", "[coco_rle]") {
  using oc::test::require_error;
  require_error([] { rle_from_string("1210", 2, 4); }, {"rle_from_string", "counts sum to 6", "2 x 4 = 8"});
  require_error([] { rle_from_string("12 0", 2, 3); }, {"character 2", "alphabet"});
  require_error([] { rle_from_string("12p", 2, 3); }, {"character 2"});
  require_error([] { rle_from_string("1X", 2, 3); }, {"ends inside the count", "character 1"});
  // 'L' = -4 as the second count (no delta before the fourth): negative.
  require_error([] { rle_from_string("0L", 2, 3); }, {"count 1", "outside 0..2^32-1"});
  require_error([] { rle_from_string("oooooooo0", 2, 3); }, {"too long"});
  const uint8_t m[6] = {1, 0, 0, 1, 1, 0};
  const Rle a = rle_encode(m, 2, 3), b = rle_encode(m, 3, 2);
  require_error([&] { rle_iou(a, b, false); }, {"rle_iou", "2 x 3", "3 x 2"});
  Rle bad = a;
  bad.counts.back() += 1;
  require_error([&] { rle_decode(bad); }, {"rle_decode", "counts sum to 7"});
}
