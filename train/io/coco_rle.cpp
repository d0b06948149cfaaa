// COCO run-length masks (see coco_rle.h): the same rules as pycocotools' maskApi, so strings and
// boxes agree with COCO's tools; malformed input is an error instead of undefined behaviour.
#include "train/io/coco_rle.h"

#include <algorithm>

#include "core/error.h"

namespace oc {

namespace {

int64_t counts_sum(const Rle& r) {
  int64_t s = 0;
  for (uint32_t c : r.counts) s += c;
  return s;
}

void check_rle(const Rle& r, const char* who) {
  OC_CHECK(r.height >= 0 && r.width >= 0, who, ": mask size ", r.height, " x ", r.width, " is negative");
  OC_CHECK(counts_sum(r) == r.height * r.width, who, ": counts sum to ", counts_sum(r), " but the mask is ",
           r.height, " x ", r.width, " = ", r.height * r.width, " pixels");
}

}  // namespace

Rle rle_encode(const uint8_t* mask, int64_t height, int64_t width) {
  OC_CHECK(height >= 0 && width >= 0, "rle_encode: mask size ", height, " x ", width, " is negative");
  OC_CHECK(height * width < (int64_t(1) << 32), "rle_encode: ", height, " x ", width,
           " pixels do not fit COCO's 32-bit counts");
  Rle r;
  r.height = height, r.width = width;
  uint8_t prev = 0;  // the first run counts 0s
  uint32_t run = 0;
  for (int64_t x = 0; x < width; ++x)
    for (int64_t y = 0; y < height; ++y) {  // column-major walk over a row-major mask
      const uint8_t v = mask[y * width + x] != 0;
      if (v != prev) r.counts.push_back(run), run = 0, prev = v;
      ++run;
    }
  r.counts.push_back(run);
  return r;
}

std::vector<uint8_t> rle_decode(const Rle& r) {
  check_rle(r, "rle_decode");
  std::vector<uint8_t> mask(size_t(r.height * r.width), 0);
  int64_t i = 0;  // column-major pixel index
  for (size_t k = 0; k < r.counts.size(); ++k) {
    if (k % 2 == 1)
      for (int64_t j = i; j < i + r.counts[k]; ++j) mask[size_t((j % r.height) * r.width + j / r.height)] = 1;
    i += r.counts[k];
  }
  return mask;
}

int64_t rle_area(const Rle& r) {
  int64_t a = 0;
  for (size_t k = 1; k < r.counts.size(); k += 2) a += r.counts[k];
  return a;
}

std::array<double, 4> rle_bbox(const Rle& r) {
  check_rle(r, "rle_bbox");
  const int64_t h = r.height;
  int64_t x0 = r.width, y0 = h, x1 = -1, y1 = -1;
  int64_t i = 0;
  for (size_t k = 0; k < r.counts.size(); i += r.counts[k], ++k) {
    if (k % 2 == 0 || r.counts[k] == 0) continue;
    const int64_t first = i, last = i + r.counts[k] - 1;  // column-major pixel indices of one run of 1s
    const int64_t xa = first / h, xb = last / h;
    x0 = std::min(x0, xa), x1 = std::max(x1, xb);
    // A run that wraps into the next column covers the bottom of one column and the top of the
    // next: the box then spans every row, as toBbox decides.
    if (xa < xb) y0 = 0, y1 = h - 1;
    y0 = std::min({y0, first % h, last % h}), y1 = std::max({y1, first % h, last % h});
  }
  if (x1 < 0) return {0, 0, 0, 0};
  return {double(x0), double(y0), double(x1 - x0 + 1), double(y1 - y0 + 1)};
}

// Each count (after the second, as the difference to the one two before) is written as 5-bit
// groups, low first, in characters 48 + group (+32 when another group follows); the last group's
// 0x10 bit is the sign.
std::string rle_to_string(const Rle& r) {
  std::string s;
  for (size_t i = 0; i < r.counts.size(); ++i) {
    int64_t x = r.counts[i];
    if (i > 2) x -= int64_t(r.counts[i - 2]);
    bool more = true;
    while (more) {
      int c = int(x & 0x1f);
      x >>= 5;  // arithmetic shift: negative differences end in -1
      more = (c & 0x10) ? x != -1 : x != 0;
      if (more) c |= 0x20;
      s.push_back(char(c + 48));
    }
  }
  return s;
}

Rle rle_from_string(const std::string& counts, int64_t height, int64_t width) {
  Rle r;
  r.height = height, r.width = width;
  size_t p = 0;
  while (p < counts.size()) {
    const size_t start = p;
    int64_t x = 0;
    int k = 0;
    bool more = true;
    while (more) {
      OC_CHECK(p < counts.size(), "rle_from_string: the string ends inside the count that starts at character ",
               start);
      const int c = int(static_cast<unsigned char>(counts[p])) - 48;
      OC_CHECK(c >= 0 && c < 64, "rle_from_string: character ", p, " ('", counts[p],
               "') is outside COCO's alphabet '0'..'o'");
      OC_CHECK(k < 7, "rle_from_string: the count that starts at character ", start, " is too long");
      x |= int64_t(c & 0x1f) << (5 * k);
      more = c & 0x20;
      ++p, ++k;
      if (!more && (c & 0x10)) x |= -(int64_t(1) << (5 * k));  // sign-extend
    }
    if (r.counts.size() > 2) x += int64_t(r.counts[r.counts.size() - 2]);
    OC_CHECK(x >= 0 && x < (int64_t(1) << 32), "rle_from_string: count ", r.counts.size(), " (characters ", start,
             "..", p - 1, ") is ", x, ", outside 0..2^32-1");
    r.counts.push_back(uint32_t(x));
  }
  check_rle(r, "rle_from_string");
  return r;
}

double rle_iou(const Rle& dt, const Rle& gt, bool gt_iscrowd) {
  check_rle(dt, "rle_iou: detection");
  check_rle(gt, "rle_iou: ground truth");
  OC_CHECK(dt.height == gt.height && dt.width == gt.width, "rle_iou: detection mask is ", dt.height, " x ",
           dt.width, " but ground truth mask is ", gt.height, " x ", gt.width);
  // Walk both run lists together, counting pixels inside both and inside either.
  int64_t inter = 0, uni = 0;
  size_t a = 0, b = 0;
  int64_t ra = dt.counts.empty() ? 0 : dt.counts[0], rb = gt.counts.empty() ? 0 : gt.counts[0];
  while (a < dt.counts.size() && b < gt.counts.size()) {
    const int64_t c = std::min(ra, rb);
    const bool va = a % 2 == 1, vb = b % 2 == 1;
    if (va || vb) uni += c;
    if (va && vb) inter += c;
    ra -= c, rb -= c;
    while (ra == 0 && a < dt.counts.size()) ra = ++a < dt.counts.size() ? dt.counts[a] : 0;
    while (rb == 0 && b < gt.counts.size()) rb = ++b < gt.counts.size() ? gt.counts[b] : 0;
  }
  if (inter == 0) return 0;
  const int64_t denom = gt_iscrowd ? rle_area(dt) : uni;
  return double(inter) / double(denom);
}

}  // namespace oc
