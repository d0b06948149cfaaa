// Detection augmentation: flip, scale and crop move a painted rectangle's pixels, its box and its
// mask exactly alike; boxes leaving the crop are clipped or dropped by the documented rule.
#include <catch2/catch.hpp>

#include <cmath>

#include "tests/helpers.h"
#include "train/data/det_augment.h"

using namespace oc;

namespace {

// A black [3,H,W] image with the rectangle [x0, x1) x [y0, y1) painted 255, and its annotation
// (box and mask).
struct Painted {
  Tensor image;
  CocoDetAnnotation ann;
};

Painted painted(int64_t H, int64_t W, int64_t x0, int64_t y0, int64_t x1, int64_t y1) {
  Painted p;
  p.image = Tensor::empty({3, H, W}, DType::u8);
  uint8_t* px = p.image.data<uint8_t>();
  std::vector<uint8_t> mask(static_cast<size_t>(H * W), 0);
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        const bool in = x >= x0 && x < x1 && y >= y0 && y < y1;
        px[(c * H + y) * W + x] = in ? 255 : 0;
        if (c == 0) mask[y * W + x] = in;
      }
  p.ann.id = 7;
  p.ann.image_id = 3;
  p.ann.category_id = 5;
  p.ann.bbox = {double(x0), double(y0), double(x1 - x0), double(y1 - y0)};
  p.ann.area = double((x1 - x0) * (y1 - y0));
  p.ann.mask = rle_encode(mask.data(), H, W);
  return p;
}

// Every output pixel is bright (>= 128, each channel) exactly inside `box` (x, y, w, h, whole
// pixels), and the mask is exactly the box.
void require_exact(const DetSample& s, const std::array<double, 4>& box) {
  REQUIRE(s.objects.size() == 1);
  const CocoDetAnnotation& o = s.objects[0];
  CHECK(o.bbox == box);
  CHECK((o.id == 7 && o.image_id == 3 && o.category_id == 5));
  const int64_t C = s.image.size(0), H = s.image.size(1), W = s.image.size(2);
  REQUIRE(o.mask.has_value());
  REQUIRE((o.mask->height == H && o.mask->width == W));
  const std::vector<uint8_t> m = rle_decode(*o.mask);
  const uint8_t* px = s.image.data<uint8_t>();
  int64_t wrong_pixels = 0, wrong_mask = 0, inside = 0;
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      const bool in = x >= box[0] && x < box[0] + box[2] && y >= box[1] && y < box[1] + box[3];
      inside += in;
      for (int64_t c = 0; c < C; ++c) wrong_pixels += (px[(c * H + y) * W + x] >= 128) != in;
      wrong_mask += (m[y * W + x] != 0) != in;
    }
  CHECK(wrong_pixels == 0);
  CHECK(wrong_mask == 0);
  CHECK(o.area == double(inside));
}

}  // namespace

TEST_CASE("det_augment: flip, scale and crop move a painted rectangle's pixels, box and mask alike", "[det_augment]") {
  // 50 x 40 image, rectangle x in [10, 22), y in [6, 30).
  const Painted p = painted(40, 50, 10, 6, 22, 30);
  DetAugmentOptions opt;

  // Identity: same size, no flip, no offset.
  opt.width = 50, opt.height = 40;
  require_exact(augment_detection(p.image, {p.ann}, opt, DetAugmentDraw{false, 1, 0, 0}), {10, 6, 12, 24});

  // Flip, scale 2, crop at (5, 3) into 80 x 64: x' = 2 (50 - x) - 5, so [10, 22) -> [51, 75);
  // y' = 2 y - 3, so [6, 30) -> [9, 57).
  opt.width = 80, opt.height = 64;
  require_exact(augment_detection(p.image, {p.ann}, opt, DetAugmentDraw{true, 2, 5, 3}), {51, 9, 24, 48});

  // No flip, scale 2, crop at (12, 0): [10, 22) -> [8, 32); [6, 30) -> [12, 60).
  require_exact(augment_detection(p.image, {p.ann}, opt, DetAugmentDraw{false, 2, 12, 0}), {8, 12, 24, 48});

  // Flip, scale 1/2, the image padded (crop at (-4, -2)) into 40 x 30: x' = (50 - x) / 2 + 4, so
  // [10, 22) -> [18, 24); y' = y / 2 + 2, so [6, 30) -> [5, 17).
  opt.width = 40, opt.height = 30;
  const DetSample half = augment_detection(p.image, {p.ann}, opt, DetAugmentDraw{true, 0.5, -4, -2});
  require_exact(half, {18, 5, 6, 12});
  CHECK(half.image.shape() == Shape{3, 30, 40});
}

TEST_CASE("det_augment: boxes leaving the crop are clipped, or dropped under min_kept or 1 px", "[det_augment]") {
  // A 60 x 60 image; the crop (scale 1, offset (20, 0), 40 x 40) sees x in [20, 60), y in [0, 40).
  const Painted a = painted(60, 60, 10, 5, 30, 15);   // 20 x 10, half inside: kept, clipped to x [20, 30)
  const Painted b = painted(60, 60, 4, 20, 24, 30);   // 4 of 20 columns (20%) inside
  const Painted c = painted(60, 60, 30, 39, 40, 49);  // 1 of 10 rows (10%) inside, exactly 1 px high
  const Painted d = painted(60, 60, 40, 10, 50, 20);  // wholly inside
  CocoDetAnnotation e;                                 // no mask, 0.5 px of it inside
  e.bbox = {59.5, 30, 3, 4};
  e.area = 12;
  CocoDetAnnotation f;                                 // no mask, half inside: area scales with what is kept
  f.bbox = {50, 30, 20, 6};
  f.area = 100;
  std::vector<CocoDetAnnotation> anns{a.ann, b.ann, c.ann, d.ann, e, f};
  for (size_t i = 0; i < anns.size(); ++i) anns[i].id = int64_t(i + 1);
  DetAugmentOptions opt;
  opt.width = 40, opt.height = 40;
  const DetAugmentDraw draw{false, 1, 20, 0};

  opt.min_kept = 0.3;
  const DetSample s = augment_detection(a.image, anns, opt, draw);
  REQUIRE(s.objects.size() == 3);  // a, d, f; b keeps 20%, c 10%, e 0.5 px
  CHECK(s.objects[0].id == 1);
  CHECK(s.objects[0].bbox == std::array<double, 4>{0, 5, 10, 10});
  CHECK(s.objects[0].area == 100);  // the clipped mask's pixels
  const std::vector<uint8_t> m = rle_decode(*s.objects[0].mask);
  int64_t wrong = 0;
  for (int64_t y = 0; y < 40; ++y)
    for (int64_t x = 0; x < 40; ++x) wrong += (m[y * 40 + x] != 0) != (x < 10 && y >= 5 && y < 15);
  CHECK(wrong == 0);
  CHECK(s.objects[1].id == 4);
  CHECK(s.objects[1].bbox == std::array<double, 4>{20, 10, 10, 10});
  CHECK(s.objects[2].id == 6);
  CHECK(s.objects[2].bbox == std::array<double, 4>{30, 30, 10, 6});
  CHECK(s.objects[2].area == 50);
  CHECK(!s.objects[2].mask.has_value());

  opt.min_kept = 0;  // now only the 1 px rule drops: e (0.5 px wide); c (exactly 1 px high) stays
  const DetSample t = augment_detection(a.image, anns, opt, draw);
  REQUIRE(t.objects.size() == 5);
  CHECK(t.objects[1].id == 2);
  CHECK(t.objects[1].bbox == std::array<double, 4>{0, 20, 4, 10});
  CHECK(t.objects[2].id == 3);
  CHECK(t.objects[2].bbox == std::array<double, 4>{10, 39, 10, 1});
  CHECK(t.objects[2].area == 10);
  CHECK(t.objects[4].id == 6);
}

TEST_CASE("det_augment: an object whose mask leaves the crop is dropped even when its box stays", "[det_augment]") {
  // The box says x in [0, 40) but the mask holds only x in [0, 10): the crop x in [20, 60) keeps half
  // the box and none of the mask.
  Painted p = painted(40, 60, 0, 0, 10, 10);
  p.ann.bbox = {0, 0, 40, 10};
  DetAugmentOptions opt;
  opt.width = 40, opt.height = 40;
  CHECK(augment_detection(p.image, {p.ann}, opt, DetAugmentDraw{false, 1, 20, 0}).objects.empty());
  CHECK(augment_detection(p.image, {p.ann}, opt, DetAugmentDraw{false, 1, 0, 0}).objects.size() == 1);
}

TEST_CASE("det_augment: draws are seeded per sample and stay in range", "[det_augment]") {
  DetAugmentOptions opt;
  opt.width = 64, opt.height = 48;
  opt.scale_min = 0.5, opt.scale_max = 1.5;
  const DetAugmentDraw a = draw_det_augment(opt, 9, 3, 100, 80), b = draw_det_augment(opt, 9, 3, 100, 80);
  const DetAugmentDraw c = draw_det_augment(opt, 9, 4, 100, 80), d = draw_det_augment(opt, 10, 3, 100, 80);
  CHECK((a.flip == b.flip && a.scale == b.scale && a.crop_x == b.crop_x && a.crop_y == b.crop_y));
  CHECK(a.scale != c.scale);
  CHECK(a.scale != d.scale);
  int flips = 0, padded = 0;
  for (uint64_t i = 0; i < 300; ++i) {
    const DetAugmentDraw e = draw_det_augment(opt, 1, i, 100, 80);
    REQUIRE((e.scale >= 0.5 && e.scale <= 1.5));
    const int64_t room_x = int64_t(std::floor(80 * e.scale)) - 64, room_y = int64_t(std::floor(100 * e.scale)) - 48;
    CHECK((e.crop_x >= std::min<int64_t>(0, room_x) && e.crop_x <= std::max<int64_t>(0, room_x)));
    CHECK((e.crop_y >= std::min<int64_t>(0, room_y) && e.crop_y <= std::max<int64_t>(0, room_y)));
    flips += e.flip;
    padded += e.crop_x < 0;
  }
  CHECK((flips > 110 && flips < 190));
  CHECK(padded > 0);  // 80 * scale < 64 for scale < 0.8: the image is padded, at a negative offset
  opt.horizontal_flip = false;
  for (uint64_t i = 0; i < 20; ++i) CHECK(!draw_det_augment(opt, 1, i, 100, 80).flip);
  opt.scale_min = 2;
  test::require_error([&] { opt.check(); }, {"scale_min"});
  opt.scale_min = 0.5;
  opt.min_kept = 1.5;
  test::require_error([&] { opt.check(); }, {"min_kept"});
  const Painted p = painted(10, 10, 1, 1, 5, 5);
  test::require_error([&] { augment_detection(p.image, {p.ann}, DetAugmentOptions{}, DetAugmentDraw{false, 0, 0, 0}); },
                      {"scale must be positive"});
  CocoDetAnnotation wrong = p.ann;
  wrong.mask = rle_encode(std::vector<uint8_t>(20 * 10, 1).data(), 20, 10);
  test::require_error([&] { augment_detection(p.image, {wrong}, DetAugmentOptions{}, DetAugmentDraw{}); },
                      {"mask is 20 x 10", "the image 10 x 10"});
}
