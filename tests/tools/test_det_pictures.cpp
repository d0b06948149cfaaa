// Detection pictures: a box on random noise changes exactly its outline and its label, masks mix in
// the class colour, boxes leaving the image are clipped, labels stay inside it; the label font's
// glyphs and text metrics. Every picture sits between sentinel bytes that must stay untouched.
#include <catch2/catch.hpp>

#include <bitset>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "tests/helpers.h"
#include "tests/tools/guarded_picture.h"
#include "tools/bitmap_font.h"
#include "tools/det_pictures.h"
#include "tools/draw.h"

using namespace oc;
using namespace oc::cli;

namespace {

using Picture = test::GuardedPicture;

// [x0, x1) x [y0, y1)
struct Rect {
  int64_t x0, y0, x1, y1;
  bool contains(int64_t x, int64_t y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

// Pixels of the 2-px outline along the inside of r.
bool on_outline(const Rect& r, int64_t x, int64_t y) {
  return r.contains(x, y) && (x < r.x0 + 2 || x >= r.x1 - 2 || y < r.y0 + 2 || y >= r.y1 - 2);
}

int64_t set_pixels(std::string_view text) {
  int64_t n = 0;
  for (char c : text)
    for (uint8_t row : glyph(c)) n += std::bitset<8>(row).count();
  return n;
}

// Checks a label at `label` (class colour c, text colour t): every pixel c or t, and exactly the
// font's set pixels of `text` (scale 1) in t.
void require_label(const Picture& p, const Rect& label, const Rgb& c, const Rgb& t, std::string_view text) {
  int64_t text_pixels = 0;
  for (int64_t y = label.y0; y < label.y1; ++y)
    for (int64_t x = label.x0; x < label.x1; ++x) {
      const Rgb v = p.at(x, y);
      INFO("label pixel " << x << "," << y);
      REQUIRE((v == c || v == t));
      text_pixels += v == t;
    }
  REQUIRE(text_pixels == set_pixels(text));
}

const std::vector<std::string> kNames = {"dog", "cat"};
const Rgb kDogColour = {230, 25, 75}, kCatColour = {60, 180, 75}, kWhite = {255, 255, 255};

}  // namespace

TEST_CASE("det_pictures: a box on noise changes exactly its outline and its label", "[det_pictures]") {
  Picture p(64, 96, 11);
  draw_detections(p.image, {{20.3f, 30.f, 49.6f, 60.f, 1, 0.87f, {}}}, kNames);
  // Pixels [20, 50) x [30, 60); the label "cat 0.87", 8 characters: 1 + 6 * 8 = 49 wide, 9 high, above.
  const Rect box{20, 30, 50, 60}, label{20, 21, 69, 30};
  require_label(p, label, kCatColour, kWhite, "cat 0.87");  // green's luma 132: white text
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x) {
      INFO("pixel " << x << "," << y);
      if (on_outline(box, x, y)) REQUIRE(p.at(x, y) == kCatColour);
      else if (!label.contains(x, y)) REQUIRE(p.at(x, y) == p.was(x, y));
    }
  REQUIRE(p.at(35, 45) == p.was(35, 45));  // well inside the box, no mask: untouched
  REQUIRE(p.sentinels_intact());
}

TEST_CASE("det_pictures: a mask mixes 45 percent of the class colour into its pixels only", "[det_pictures]") {
  REQUIRE(mix(100, 230, 45) == 159);  // 0.55 * 100 + 0.45 * 230 = 158.5, halves up
  REQUIRE(mix(0, 255, 45) == 115);    // 114.75
  REQUIRE(mix(77, 77, 45) == 77);
  Picture p(40, 70, 12);
  const Rect box{10, 12, 40, 32}, label{10, 3, 10 + 49, 12};  // "dog 0.50"
  std::mt19937 rng(5);
  const bool as_bool = GENERATE(false, true);
  Tensor mask = Tensor::empty({p.H, p.W}, as_bool ? DType::b8 : DType::u8);
  std::vector<bool> on(static_cast<size_t>(p.H * p.W));
  for (int64_t i = 0; i < p.H * p.W; ++i) {
    on[i] = rng() % 3 == 0;  // a third of the pixels, inside and outside the box
    if (as_bool) mask.data<bool>()[i] = on[i];
    else mask.data<uint8_t>()[i] = on[i] ? static_cast<uint8_t>(1 + rng() % 255) : 0;
  }
  draw_detections(p.image, {{10.f, 12.f, 40.f, 32.f, 0, 0.5f, mask}}, kNames);
  require_label(p, label, kDogColour, kWhite, "dog 0.50");
  int64_t mixed = 0;
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x) {
      INFO("pixel " << x << "," << y);
      if (on_outline(box, x, y)) REQUIRE(p.at(x, y) == kDogColour);
      if (on_outline(box, x, y) || label.contains(x, y)) continue;
      const Rgb was = p.was(x, y);
      const Rgb want = on[y * p.W + x] ? Rgb{mix(was[0], 230, 45), mix(was[1], 25, 45), mix(was[2], 75, 45)} : was;
      REQUIRE(p.at(x, y) == want);
      mixed += on[y * p.W + x] && want != was;
    }
  REQUIRE(mixed > 500);
  REQUIRE(p.sentinels_intact());
}

TEST_CASE("det_pictures: a box beyond the border is clipped to its visible edges", "[det_pictures]") {
  Picture p(64, 96, 13);
  // Pixels [-10, 41) x [-5, 1000): only the right edge (columns 39, 40) shows; the label "dog 0.50"
  // has no room above and the box's top is off the image, so it sits at (0, 0).
  draw_detections(p.image, {{-10.f, -5.f, 40.5f, 1000.f, 0, 0.5f, {}}}, kNames);
  const Rect label{0, 0, 49, 9};
  require_label(p, label, kDogColour, kWhite, "dog 0.50");
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x) {
      INFO("pixel " << x << "," << y);
      if (label.contains(x, y)) continue;
      REQUIRE(p.at(x, y) == (x == 39 || x == 40 ? kDogColour : p.was(x, y)));
    }
  REQUIRE(p.sentinels_intact());
}

TEST_CASE("det_pictures: boxes wholly outside, NaN or inverted draw nothing, infinite ones clip", "[det_pictures]") {
  Picture p(30, 50, 14);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  Tensor mask = Tensor::empty({p.H, p.W}, DType::u8);
  std::fill(mask.data<uint8_t>(), mask.data<uint8_t>() + mask.numel(), uint8_t{1});
  draw_detections(p.image,
                  {{60.f, 5.f, 80.f, 20.f, 0, 0.9f, {}},          // right of the image
                   {-40.f, -30.f, -1.f, -0.5f, 1, 0.9f, {}},      // above and left: ends at pixel -1
                   {5.f, nan, 20.f, 20.f, 0, 0.9f, mask},         // NaN: mask skipped too
                   {20.f, 5.f, 10.f, 20.f, 1, 0.9f, mask},        // x2 < x1
                   {-1e30f, -inf, -1e30f, 1e30f, 1, 0.9f, {}}},   // far left
                  kNames);
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x) REQUIRE(p.at(x, y) == p.was(x, y));
  // Infinite corners reach past every border: no edge is visible, only the label, at (0, 0).
  draw_detections(p.image, {{-inf, -inf, inf, inf, 1, 0.25f, {}}}, kNames);
  const Rect label{0, 0, 49, 9};
  require_label(p, label, kCatColour, kWhite, "cat 0.25");
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x)
      if (!label.contains(x, y)) REQUIRE(p.at(x, y) == p.was(x, y));
  REQUIRE(p.sentinels_intact());
}

TEST_CASE("det_pictures: labels move inside at the top and right borders", "[det_pictures]") {
  Picture p(64, 96, 15);
  SECTION("top: below the box's top edge, inside the box") {
    draw_detections(p.image, {{30.f, 4.f, 70.f, 40.f, 1, 0.87f, {}}}, kNames);  // 4 - 9 < 0
    const Rect label{30, 4, 79, 13};
    require_label(p, label, kCatColour, kWhite, "cat 0.87");
    for (int64_t y = 0; y < 4; ++y)
      for (int64_t x = 0; x < p.W; ++x) REQUIRE(p.at(x, y) == p.was(x, y));
    REQUIRE(p.at(30, 13) == kCatColour);  // the left edge goes on below the label
    REQUIRE(p.at(32, 13) == p.was(32, 13));
  }
  SECTION("right: shifted left to end at the border") {
    draw_detections(p.image, {{80.f, 40.f, 90.f, 50.f, 1, 0.87f, {}}}, kNames);
    const Rect label{96 - 49, 31, 96, 40};
    require_label(p, label, kCatColour, kWhite, "cat 0.87");
    REQUIRE(p.at(46, 35) == p.was(46, 35));
  }
  SECTION("a category without a name shows its number") {
    draw_detections(p.image, {{10.f, 30.f, 20.f, 40.f, 21, 0.5f, {}}}, kNames);
    const Rgb pink = {250, 190, 212};  // colour 21 mod 12 = 9; luma 210: black text
    require_label(p, Rect{10, 21, 10 + 43, 30}, pink, Rgb{0, 0, 0}, "21 0.50");
    REQUIRE(p.at(53, 25) == p.was(53, 25));
  }
  REQUIRE(p.sentinels_intact());
}

TEST_CASE("det_pictures: big images get a label at scale 2", "[det_pictures]") {
  Picture p(900, 60, 16);  // s = 1 + 900 / 800 = 2: the label is 18 high, 2 + 12 * 8 = 98 wide (clipped)
  draw_detections(p.image, {{5.f, 100.f, 40.f, 200.f, 0, 0.5f, {}}}, kNames);
  REQUIRE(p.at(5, 100 - 18) == kDogColour);
  REQUIRE(p.at(59, 100 - 18) == kDogColour);
  REQUIRE(p.at(5, 100 - 19) == p.was(5, 100 - 19));
  REQUIRE(p.sentinels_intact());
}

TEST_CASE("det_pictures: grey images and masks of another size are errors naming the shape", "[det_pictures]") {
  Tensor grey = Tensor::empty({1, 8, 8}, DType::u8);
  test::require_error([&] { draw_detections(grey, {}, kNames); }, {"draw_detections", "[1, 8, 8]", "[3,H,W]"});
  Picture p(8, 8, 17);
  Tensor mask = Tensor::empty({8, 9}, DType::u8);
  test::require_error([&] { draw_detections(p.image, {{1.f, 1.f, 5.f, 5.f, 0, 0.5f, mask}}, kNames); },
                      {"draw_detections", "mask", "[8,8]", "[8, 9]"});
}

TEST_CASE("bitmap_font: every glyph but the space is set and unlike the others", "[det_pictures]") {
  const std::string chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ .-_%?!:,'/()+=#&@|";
  std::set<Glyph> seen;
  for (char c : chars) {
    INFO("character '" << c << "'");
    REQUIRE(has_glyph(c));
    if (c == ' ') REQUIRE(set_pixels(" ") == 0);
    else REQUIRE(set_pixels(std::string(1, c)) > 0);
    for (uint8_t row : glyph(c)) REQUIRE(row < (1 << kGlyphWidth));
    REQUIRE(seen.insert(glyph(c)).second);
  }
  for (char c = 'a'; c <= 'z'; ++c) REQUIRE(glyph(c) == glyph(static_cast<char>(c - 'a' + 'A')));
  for (char c : {'~', '\x7f', '\t', static_cast<char>(0xe9)}) {
    REQUIRE_FALSE(has_glyph(c));
    REQUIRE(glyph(c) == glyph('?'));
  }
}

TEST_CASE("bitmap_font: text is chars x advance wide and drawn where it says", "[det_pictures]") {
  REQUIRE(text_width("0.87", 1) == 24);
  REQUIRE(text_width("abc", 3) == 54);
  REQUIRE(text_width("", 2) == 0);
  REQUIRE(text_height(2) == 14);
  Picture p(24, 40, 18);
  std::fill(p.image.data<uint8_t>(), p.image.data<uint8_t>() + p.image.numel(), uint8_t{0});
  draw_text(p.image, 3, 4, "1W", kWhite, 2);
  int64_t x_min = 99, x_max = -1, y_min = 99, y_max = -1, count = 0;
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x)
      if (p.at(x, y) == kWhite) {
        x_min = std::min(x_min, x), x_max = std::max(x_max, x);
        y_min = std::min(y_min, y), y_max = std::max(y_max, y);
        ++count;
      } else {
        REQUIRE(p.at(x, y) == Rgb{0, 0, 0});
      }
  // '1' starts in its second column (3 + 2); 'W' fills all five: its last ends at 3 + 12 + 10 - 1.
  REQUIRE(x_min == 5);
  REQUIRE(x_max == 24);
  REQUIRE(x_max < 3 + text_width("1W", 2));
  REQUIRE(y_min == 4);
  REQUIRE(y_max == 4 + 14 - 1);
  REQUIRE(count == 4 * set_pixels("1W"));
  // Text running off every side draws its visible part only.
  draw_text(p.image, -4, -3, "%%%%%%%%%%", Rgb{9, 9, 9}, 3);
  REQUIRE(p.at(0, 0) == Rgb{9, 9, 9});  // '%' at scale 3: pixel (0, 0) is its column 1 of row 1, 11001
  REQUIRE(p.sentinels_intact());
}
