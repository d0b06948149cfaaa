// Pose maps pictures (`ocellus eval --maps`): the heat ramp and the direction colours against
// hand-computed values, zero maps leaving the darkened input as it is, a row's size and captions, and a
// paf row whose prediction and target land in their own columns; heads without maps are errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "tests/helpers.h"
#include "tools/bitmap_font.h"
#include "tools/pose_maps_pictures.h"

using namespace oc;
using namespace oc::cli;

namespace {

Tensor random_image(int64_t H, int64_t W, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(static_cast<size_t>(3 * H * W));
  for (uint8_t& x : v) x = static_cast<uint8_t>(rng());
  return from_vector(v, {3, H, W});
}

// float32 [C,h,w] uniform in [lo, hi).
Tensor random_maps(int64_t C, int64_t h, int64_t w, float lo, float hi, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(lo, hi);
  std::vector<float> v(static_cast<size_t>(C * h * w));
  for (float& x : v) x = u(rng);
  return from_vector(v, {C, h, w});
}

Rgb pixel(const Tensor& img, int64_t x, int64_t y) {
  const int64_t H = img.size(1), W = img.size(2);
  const uint8_t* p = img.data<uint8_t>();
  return {p[y * W + x], p[(H + y) * W + x], p[(2 * H + y) * W + x]};
}

Rgb darkened(const Rgb& c) { return {darken(c[0]), darken(c[1]), darken(c[2])}; }

// The part [x0, x0 + w) x [y0, y0 + h) of a picture, as a contiguous tensor.
Tensor crop(const Tensor& img, int64_t x0, int64_t y0, int64_t w, int64_t h) {
  return contiguous(slice(slice(img, 1, y0, y0 + h), 2, x0, x0 + w));
}

bool same_pixels(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && to_vector<uint8_t>(a) == to_vector<uint8_t>(b);
}

// text in the font on a background strip of its own size: what a caption should look like.
Tensor text_strip(const std::string& text) {
  Tensor t = Tensor::empty({3, kGlyphHeight, text_width(text, 1)}, DType::u8);
  fill_rect(t, 0, 0, t.size(2), t.size(1), kMapsBackground);
  draw_text(t, 0, 0, text, kMapsTextColour, 1);
  return t;
}

PoseSettings head(const std::string& name, const std::string& heatmap_loss = "mse") {
  PoseSettings p;
  p.head = name;
  p.heatmap_loss = heatmap_loss;
  p.beta = 2.5;
  return p;
}

}  // namespace

TEST_CASE("pose maps: the heat ramp runs black, red, yellow, white, clamped") {
  // v x 3 steps through the channels: red over [0, 1/3], green over [1/3, 2/3], blue over [2/3, 1].
  CHECK(heat_colour(0) == Rgb{0, 0, 0});
  CHECK(heat_colour(1.0 / 3) == Rgb{255, 0, 0});
  CHECK(heat_colour(2.0 / 3) == Rgb{255, 255, 0});
  CHECK(heat_colour(1) == Rgb{255, 255, 255});
  CHECK(heat_colour(0.25) == Rgb{191, 0, 0});      // 0.75 x 255 = 191.25
  CHECK(heat_colour(0.5) == Rgb{255, 128, 0});     // 0.5 x 255 = 127.5, halves up
  CHECK(heat_colour(0.75) == Rgb{255, 255, 64});   // 0.25 x 255 = 63.75
  CHECK(heat_colour(-0.4) == Rgb{0, 0, 0});
  CHECK(heat_colour(7) == Rgb{255, 255, 255});
  CHECK(heat_colour(std::numeric_limits<double>::quiet_NaN()) == Rgb{0, 0, 0});
}

TEST_CASE("pose maps: direction colours are distinct per direction and scale with length up to 1") {
  // The hue comes through atan2, so a channel at exactly half (127.5) may round either way: +-1.
  auto near = [](const Rgb& got, const Rgb& want) {
    INFO("got " << int(got[0]) << "," << int(got[1]) << "," << int(got[2]));
    for (int c = 0; c < 3; ++c) CHECK(std::abs(int(got[c]) - int(want[c])) <= 1);
  };
  const Rgb right = direction_colour(1, 0), down = direction_colour(0, 1), left = direction_colour(-1, 0),
            up = direction_colour(0, -1);
  near(right, {255, 0, 0});
  near(down, {128, 255, 0});   // hue 90
  near(left, {0, 255, 255});   // hue 180
  near(up, {128, 0, 255});     // hue 270
  CHECK(std::set<Rgb>{right, down, left, up}.size() == 4);
  const double d = std::sqrt(0.5);
  near(direction_colour(d, d), {255, 191, 0});  // hue 45: green at 0.75
  // Stable: the same direction gives the same colour at any length >= 1; shorter is darker.
  CHECK(direction_colour(3, 0) == right);
  CHECK(direction_colour(0, -2) == up);
  near(direction_colour(0.5, 0), {128, 0, 0});
  near(direction_colour(-0.25, 0), {0, 64, 64});
  CHECK(direction_colour(0, 0) == Rgb{0, 0, 0});
  CHECK(direction_colour(std::numeric_limits<double>::quiet_NaN(), 1) == Rgb{0, 0, 0});
}

TEST_CASE("pose maps: a zero field or a non-positive map leaves the darkened input pixel unchanged") {
  const int64_t H = 12, W = 8, h = 3, w = 2;  // cells of 4 x 4 pixels
  const Tensor image = random_image(H, W, 11);
  // Limb 1 cancels limb 0 in the cells of row 0 (sum 0); elsewhere random fields.
  Tensor fields = random_maps(4, h, w, -1, 1, 12);
  float* f = fields.data<float>();
  for (int64_t j = 0; j < w; ++j)
    for (int64_t c = 0; c < 2; ++c) f[((2 + c) * h + 0) * w + j] = -f[(c * h + 0) * w + j];
  // Joint maps all <= 0 in row 0, up to 1 elsewhere.
  Tensor maps = random_maps(3, h, w, 0.2f, 1, 13);
  float* m = maps.data<float>();
  for (int64_t k = 0; k < 3; ++k)
    for (int64_t j = 0; j < w; ++j) m[(k * h + 0) * w + j] = -0.5f * static_cast<float>(k);
  for (int scale : {1, 2}) {
    const Tensor fo = fields_overlay(image, fields, scale), jo = joint_maps_overlay(image, maps, scale);
    REQUIRE(fo.shape() == Shape{3, H * scale, W * scale});
    REQUIRE(jo.shape() == Shape{3, H * scale, W * scale});
    int64_t changed_f = 0, changed_j = 0;
    for (int64_t y = 0; y < H * scale; ++y)
      for (int64_t x = 0; x < W * scale; ++x) {
        const Rgb dark = darkened(pixel(image, x / scale, y / scale));
        INFO("scale " << scale << " pixel " << x << "," << y);
        if (y < 4 * scale) {  // cell row 0
          REQUIRE(pixel(fo, x, y) == dark);
          REQUIRE(pixel(jo, x, y) == dark);
        } else {
          changed_f += pixel(fo, x, y) != dark;
          changed_j += pixel(jo, x, y) != dark;
        }
      }
    CHECK(changed_f > 0);
    CHECK(changed_j == (H - 4) * W * scale * scale);  // maps >= 0.2: at least some red on every pixel
  }
  CHECK(darken(255) == 102);  // 40 %, rounded
  CHECK(darken(100) == 40);
  CHECK(darken(0) == 0);
}

TEST_CASE("pose maps: the overlay adds the colour of the largest map and of the summed field") {
  const Tensor image = random_image(2, 2, 21);  // one pixel per cell
  // Cell (0,0): maps 0.25 and 1/3 -> red; the field of limbs (0.5, 0) + (0.5, 0) -> (1, 0), red.
  std::vector<float> mv(2 * 2 * 2, 0.0f), fv(4 * 2 * 2, 0.0f);
  mv[0] = 0.25f, mv[4] = 1.0f / 3;
  fv[0] = 0.5f, fv[8] = 0.5f;
  // Cell (1,1): the field (0, 0.25) + (0, -1.25) -> (0, -1), up: violet.
  fv[4 + 3] = 0.25f, fv[12 + 3] = -1.25f;
  const Tensor jo = joint_maps_overlay(image, from_vector(mv, {2, 2, 2}), 1);
  const Tensor fo = fields_overlay(image, from_vector(fv, {4, 2, 2}), 1);
  auto plus = [](const Rgb& a, const Rgb& b) {
    return Rgb{uint8_t(std::min(255, a[0] + b[0])), uint8_t(std::min(255, a[1] + b[1])), uint8_t(std::min(255, a[2] + b[2]))};
  };
  CHECK(pixel(jo, 0, 0) == plus(darkened(pixel(image, 0, 0)), {255, 0, 0}));
  CHECK(pixel(fo, 0, 0) == plus(darkened(pixel(image, 0, 0)), direction_colour(1, 0)));
  CHECK(pixel(fo, 1, 1) == plus(darkened(pixel(image, 1, 1)), direction_colour(0, -1)));
  CHECK(pixel(fo, 1, 0) == darkened(pixel(image, 1, 0)));
}

TEST_CASE("pose maps: largest value and the mean field length on the target's limb cells") {
  CHECK(largest_value(from_vector(std::vector<float>{-3, 0.5f, 0.25f}, {3, 1, 1})) == 0.5f);
  // Two limbs on 1 x 3 cells: the target has limb 0 at cell 0 and limb 1 at cells 1 and 2 (one
  // component zero is still a limb cell). Predicted there: (3, 4) -> 5, (0, -1) -> 1, (0, 0) -> 0;
  // the other cells random, not counted. Mean (5 + 1 + 0) / 3 = 2.
  Tensor pred = random_maps(4, 1, 3, -9, 9, 31), target = zeros({4, 1, 3}, DType::f32);
  float *p = pred.data<float>(), *t = target.data<float>();
  t[0] = 0.6f, t[3] = 0.8f;            // limb 0, cell 0: (0.6, 0.8)
  t[6 + 1] = 1, t[9 + 2] = -1;         // limb 1, cell 1: (1, 0); cell 2: (0, -1)
  p[0] = 3, p[3] = 4;
  p[6 + 1] = 0, p[9 + 1] = -1;
  p[6 + 2] = 0, p[9 + 2] = 0;
  CHECK(mean_field_length_on_limbs(pred, target) == Approx(2.0));
  CHECK(mean_field_length_on_limbs(target, target) == Approx(1.0));
  CHECK(mean_field_length_on_limbs(pred, zeros({4, 1, 3}, DType::f32)) == 0);
  oc::test::require_error([&] { mean_field_length_on_limbs(pred, zeros({2, 1, 3}, DType::f32)); },
                          {"one shape [2L,h,w]", "[4, 1, 3]", "[2, 1, 3]"});
}

TEST_CASE("pose maps: a paf row has five captioned columns, prediction and target each in its own") {
  const int64_t H = 20, W = 24, h = 5, w = 6, K = 3, limbs = 2;  // cells of 4 x 4 input pixels
  const int scale = 2;
  PoseMapsRow row;
  row.image = random_image(H, W, 41);
  row.pred_joints = random_maps(K, h, w, 0, 0.3f, 42);
  row.target_joints = zeros({K, h, w}, DType::f32);
  row.target_joints.data<float>()[(1 * h + 3) * w + 2] = 1;  // joint 1, cell (3, 2)
  row.pred_fields = random_maps(2 * limbs, h, w, -1, 1, 43);
  row.target_fields = zeros({2 * limbs, h, w}, DType::f32);
  row.text = "S max 0.30";
  const Tensor out = pose_maps_row(row, scale);
  const int64_t pw = W * scale, ph = H * scale;
  REQUIRE(out.shape() == Shape{3, 2 * kMapsMargin + 2 * kMapsLine + ph, 2 * kMapsMargin + 5 * pw + 4 * kMapsGap});
  REQUIRE(out.shape() == Shape{3, 74, 268});  // the same, by hand: 6 + 11 + 40 + 11 + 6, 6 + 5 x 48 + 4 x 4 + 6

  const int64_t top = kMapsMargin + kMapsLine;
  auto column = [&](int c) { return crop(out, kMapsMargin + c * (pw + kMapsGap), top, pw, ph); };  // pw >= 48
  const Tensor input = upscale_image(row.image, scale);
  Tensor dark = clone(input);
  uint8_t* d = dark.data<uint8_t>();
  for (int64_t i = 0; i < dark.numel(); ++i) d[i] = darken(d[i]);

  CHECK(same_pixels(column(0), input));                                 // input, not darkened
  CHECK(same_pixels(column(2), joint_maps_overlay(row.image, row.target_joints, scale)));
  CHECK(same_pixels(column(4), dark));                                  // L target: all zero
  CHECK(!same_pixels(column(3), dark));                                 // L pred: random fields
  // The target's one hot cell (3, 2) is an 8 x 8 block of white in column 2 only; the rest of column 2
  // is the darkened input.
  const Tensor s_pred = column(1), s_target = column(2);
  const int64_t bx0 = 2 * 4 * scale, by0 = 3 * 4 * scale, side = 4 * scale;
  int64_t white_pred = 0;
  for (int64_t y = 0; y < ph; ++y)
    for (int64_t x = 0; x < pw; ++x) {
      const bool in_block = x >= bx0 && x < bx0 + side && y >= by0 && y < by0 + side;
      INFO("pixel " << x << "," << y);
      REQUIRE(pixel(s_target, x, y) == (in_block ? Rgb{255, 255, 255} : pixel(dark, x, y)));
      white_pred += pixel(s_pred, x, y) == Rgb{255, 255, 255};
    }
  CHECK(white_pred == 0);  // predicted maps < 0.3: red at most, never white
  CHECK(!same_pixels(s_pred, dark));

  // Each caption sits at its column's left edge on the margin line; the text under column 0.
  const std::vector<std::string> captions = {"input", "S pred", "S target", "L pred", "L target"};
  for (int c = 0; c < 5; ++c) {
    INFO("caption " << captions[c]);
    const Tensor strip = text_strip(captions[c]);
    CHECK(same_pixels(crop(out, kMapsMargin + c * (pw + kMapsGap), kMapsMargin, strip.size(2), strip.size(1)), strip));
  }
  const Tensor line = text_strip(row.text);
  CHECK(same_pixels(crop(out, kMapsMargin, top + ph + 2, line.size(2), line.size(1)), line));
  CHECK(pixel(out, 0, 0) == kMapsBackground);
  CHECK(pixel(out, out.size(2) - 1, out.size(1) - 1) == kMapsBackground);
  // A text wider than the columns widens the row, so that it is never cut.
  row.text = std::string(50, 'x');
  CHECK(pose_maps_row(row, scale).size(2) == 2 * kMapsMargin + 50 * kGlyphAdvance);
}

TEST_CASE("pose maps: a heatmap row has three columns, and the picture stacks rows under the title") {
  const int64_t H = 8, W = 12;
  PoseMapsRow row;
  row.image = random_image(H, W, 51);
  row.pred_joints = random_maps(2, 2, 3, 0, 1, 52);
  row.target_joints = random_maps(2, 2, 3, 0, 1, 53);
  const Tensor r1 = pose_maps_row(row, 1);
  // Pictures 12 wide get columns as wide as the widest caption, "S target": 8 glyphs of 6 pixels.
  REQUIRE(pose_maps_column_width(W) == 48);
  REQUIRE(pose_maps_column_width(100) == 100);
  REQUIRE(r1.shape() == Shape{3, 2 * kMapsMargin + 2 * kMapsLine + H, 2 * kMapsMargin + 3 * 48 + 2 * kMapsGap});
  const Tensor strip = text_strip("S target");
  CHECK(same_pixels(crop(r1, kMapsMargin + 2 * (48 + kMapsGap), kMapsMargin, strip.size(2), strip.size(1)), strip));
  CHECK(same_pixels(crop(r1, kMapsMargin + 48 + kMapsGap, kMapsMargin + kMapsLine, W, H),
                    joint_maps_overlay(row.image, row.pred_joints, 1)));
  row.image = random_image(2 * H, 2 * W, 54);
  const Tensor r2 = pose_maps_row(row, 1);
  const std::vector<std::string> title = {"title", "a second title line"};
  const Tensor pic = pose_maps_picture(title, {r1, r2});
  const int64_t head = kMapsMargin + 2 * kMapsLine;
  REQUIRE(pic.shape() == Shape{3, head + r1.size(1) + r2.size(1), std::max(r2.size(2), 2 * kMapsMargin + text_width(title[1], 1))});
  CHECK(same_pixels(crop(pic, 0, head, r1.size(2), r1.size(1)), r1));
  CHECK(same_pixels(crop(pic, 0, head + r1.size(1), r2.size(2), r2.size(1)), r2));
  const Tensor title_strip = text_strip(title[1]);
  CHECK(same_pixels(crop(pic, kMapsMargin, kMapsMargin + kMapsLine, title_strip.size(2), title_strip.size(1)),
                    title_strip));
  // A title wider than every row widens the picture.
  const std::string wide(60, 'x');
  CHECK(pose_maps_picture({wide}, {r1}).size(2) == 2 * kMapsMargin + text_width(wide, 1));
}

TEST_CASE("pose maps: each head's layout, and heads or models without maps are errors naming the head") {
  const PoseMapsLayout paf = pose_maps_layout(head("paf"));
  CHECK((paf.fields && !paf.logits && paf.head_targets));
  CHECK(paf.captions() == std::vector<std::string>{"input", "S pred", "S target", "L pred", "L target"});
  const PoseMapsLayout mse = pose_maps_layout(head("heatmap", "mse"));
  CHECK((!mse.fields && !mse.logits && mse.head_targets));
  CHECK(mse.captions() == std::vector<std::string>{"input", "S pred", "S target"});
  const PoseMapsLayout ce = pose_maps_layout(head("heatmap", "cross_entropy"));
  CHECK((!ce.fields && ce.logits && !ce.head_targets && ce.logit_scale == 1));
  const PoseMapsLayout integral = pose_maps_layout(head("integral"));
  CHECK((!integral.fields && integral.logits && !integral.head_targets && integral.logit_scale == 2.5));

  oc::test::require_error([] { pose_maps_layout(head("direct")); }, {"--maps", "head \"direct\"", "no maps"});
  oc::test::require_error([] { pose_maps_layout(head("heatmap", "l2")); }, {"head \"heatmap\"", "no maps"});

  check_maps_outputs(paf, {{4, 17, 32, 32}, {4, 38, 32, 32}, {4, 17, 32, 32}, {4, 38, 32, 32}});
  check_maps_outputs(mse, {{4, 17, 32, 32}});
  oc::test::require_error([&] { check_maps_outputs(paf, {{4, 17, 32, 32}}); }, {"head \"paf\"", "pairs", "got 1"});
  oc::test::require_error([&] { check_maps_outputs(paf, {{4, 17, 32, 32}, {4, 38, 16, 16}}); },
                          {"head \"paf\"", "[4, 17, 32, 32]", "[4, 38, 16, 16]"});
  oc::test::require_error([&] { check_maps_outputs(integral, {{4, 34}}); }, {"head \"integral\"", "[4, 34]"});
  oc::test::require_error([&] { check_maps_outputs(mse, {}); }, {"head \"heatmap\"", "no output"});
}
