// `ocellus plot`'s pieces: nice ticks on hand-computed ranges, the clipped line rasteriser pixel by
// pixel on noise between sentinel bytes, charts of seeded random runs (colours inside the plot areas
// only, NaN breaking a line), and metrics.jsonl parsing with its errors.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "tests/helpers.h"
#include "tests/tools/guarded_picture.h"
#include "tools/plot_chart.h"
#include "tools/run_metrics.h"

using namespace oc;
using namespace oc::cli;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const Rgb kRed{230, 25, 75}, kGreen{60, 180, 75};

// Exactly the pixels in `want` are colour c (each must differ from its noise), every other pixel
// and every sentinel byte is unchanged.
void require_exactly(const test::GuardedPicture& p, const std::set<std::pair<int64_t, int64_t>>& want, const Rgb& c) {
  for (int64_t y = 0; y < p.H; ++y)
    for (int64_t x = 0; x < p.W; ++x) {
      INFO("pixel " << x << "," << y);
      if (want.count({x, y})) REQUIRE(p.at(x, y) == c);
      else REQUIRE(p.at(x, y) == p.was(x, y));
    }
  REQUIRE(p.sentinels_intact());
}

Rgb pixel(const Tensor& image, int64_t x, int64_t y) {
  const int64_t H = image.size(1), W = image.size(2);
  const uint8_t* p = image.data<uint8_t>();
  return {p[y * W + x], p[(H + y) * W + x], p[(2 * H + y) * W + x]};
}

// How many pixels of colour c lie inside (or outside) `r`.
int64_t count_colour(const Tensor& image, const Rgb& c, const PixelRect& r, bool inside) {
  int64_t n = 0;
  for (int64_t y = 0; y < image.size(1); ++y)
    for (int64_t x = 0; x < image.size(2); ++x) n += r.contains(x, y) == inside && pixel(image, x, y) == c;
  return n;
}

std::vector<double> random_series(std::mt19937& rng, size_t n, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

std::vector<double> iota(size_t n, double first) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = first + static_cast<double>(i);
  return v;
}

ChartLayout no_markers() {
  ChartLayout l;
  l.max_markers = 0;
  return l;
}

}  // namespace

TEST_CASE("plot: nice ticks on hand-computed ranges", "[plot]") {
  Ticks t = nice_ticks(0, 0.93);  // 0.93 / 5 = 0.186 -> 0.2
  REQUIRE(t.step == Approx(0.2));
  REQUIRE(t.values.size() == 6);
  for (size_t i = 0; i < 6; ++i) REQUIRE(t.values[i] == Approx(0.2 * i).margin(1e-12));
  REQUIRE(t.lo == 0);
  REQUIRE(t.hi == Approx(1.0));

  t = nice_ticks(-3.7, 12.2);  // 15.9 / 5 = 3.18 -> 5; rounded out to -5 .. 15
  REQUIRE(t.step == 5);
  REQUIRE(t.values == std::vector<double>{-5, 0, 5, 10, 15});

  t = nice_ticks(0.19, 1.01);  // step 0.2 would round out to 0 .. 1.2, 6 intervals: 0.5 instead
  REQUIRE(t.step == 0.5);
  REQUIRE(t.values == std::vector<double>{0, 0.5, 1, 1.5});

  t = nice_ticks(1, 2, 6, true);  // epochs: never a step below 1
  REQUIRE(t.values == std::vector<double>{1, 2});
  t = nice_ticks(1, 30, 6, true);  // 29 / 6 = 4.8 -> 5
  REQUIRE(t.values == std::vector<double>{0, 5, 10, 15, 20, 25, 30});

  t = log_ticks(0.3, 2.5);  // two decades, 0.1 .. 10: ticks at 1, 2, 5
  REQUIRE(t.lo == -1);
  REQUIRE(t.hi == 1);
  const std::vector<double> want = {0.1, 0.2, 0.5, 1, 2, 5, 10};
  REQUIRE(t.values.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) REQUIRE(t.values[i] == Approx(want[i]));
  t = log_ticks(2e-9, 900);  // 1e-9 .. 1e3, 12 decades: every 2nd, rounded out to 1e-10
  REQUIRE(t.lo == -10);
  REQUIRE(t.hi == 4);
  REQUIRE(t.values.size() == 8);
  REQUIRE(t.values.front() == Approx(1e-10));

  REQUIRE(tick_label(0.2, 0.2) == "0.2");
  REQUIRE(tick_label(1.0, 0.2) == "1.0");
  REQUIRE(tick_label(15, 5) == "15");
  REQUIRE(tick_label(-5, 5) == "-5");
  REQUIRE(tick_label(0.05, 0.05) == "0.05");
  REQUIRE(tick_label(3 * 0.1 - 0.3, 0.1) == "0.0");  // 5.5e-17, never "-0.0"
  REQUIRE(tick_label(2e-6, 1e-6) == "2E-06");
  REQUIRE(tick_label(1.5e-5, 5e-6) == "1.5E-05");
  REQUIRE(tick_label(2e6, 1e6) == "2E+06");
}

TEST_CASE("plot: a constant series has a range to divide by", "[plot]") {
  Ticks t = nice_ticks(0.5, 0.5);  // widened to 0.45 .. 0.55
  REQUIRE(t.hi > t.lo);
  REQUIRE(t.values.size() == 3);
  REQUIRE(t.values[1] == Approx(0.5));
  t = nice_ticks(0, 0);  // widened to -1 .. 1
  REQUIRE(t.values == std::vector<double>{-1, -0.5, 0, 0.5, 1});
  t = log_ticks(0.02, 0.02);
  REQUIRE(t.hi > t.lo);

  // Drawn: one horizontal line (2 px) across the plot area, between the 4-px insets.
  std::mt19937 rng(3);
  const double c = random_series(rng, 1, 0.1, 0.9)[0];
  Panel p;
  p.integer_x = true;  // x 0..8: ticks 0, 2, ..., 8, so the line spans the whole axis
  p.series.push_back({iota(9, 0), std::vector<double>(9, c), kRed, false});
  const Chart chart = draw_chart({p}, {}, no_markers());
  const PixelRect& a = chart.plot_areas[0];
  std::vector<int64_t> rows;
  for (int64_t y = a.y0; y < a.y1; ++y)
    if (count_colour(chart.image, kRed, PixelRect{a.x0, y, a.x1, y + 1}, true) > 0) rows.push_back(y);
  REQUIRE(rows.size() == 2);
  REQUIRE(rows[1] == rows[0] + 1);
  REQUIRE(count_colour(chart.image, kRed, a, true) == 2 * (a.x1 - a.x0 - 8));
}

TEST_CASE("plot: draw_line sets the pixels of horizontal, vertical and diagonal segments", "[plot]") {
  const PixelRect all{0, 0, 20, 16};
  SECTION("horizontal, 1 and 2 px") {
    test::GuardedPicture p(16, 20, 21);
    draw_line(p.image, 2, 5, 10, 5, kRed, 1, all);
    std::set<std::pair<int64_t, int64_t>> want;
    for (int64_t x = 2; x <= 10; ++x) want.insert({x, 5});
    require_exactly(p, want, kRed);
    draw_line(p.image, 10, 9, 2, 9, kRed, 2, all);  // drawn right to left: the same pixels
    for (int64_t x = 2; x <= 10; ++x) want.insert({x, 9}), want.insert({x, 10});
    require_exactly(p, want, kRed);
  }
  SECTION("vertical, 2 px: the extra column on the right") {
    test::GuardedPicture p(16, 20, 22);
    draw_line(p.image, 4, 3, 4, 9, kGreen, 2, all);
    std::set<std::pair<int64_t, int64_t>> want;
    for (int64_t y = 3; y <= 9; ++y) want.insert({4, y}), want.insert({5, y});
    require_exactly(p, want, kGreen);
  }
  SECTION("diagonal and half slope (ties rounded away from zero)") {
    test::GuardedPicture p(16, 20, 23);
    draw_line(p.image, 1, 2, 6, 7, kRed, 1, all);
    std::set<std::pair<int64_t, int64_t>> want;
    for (int64_t k = 0; k <= 5; ++k) want.insert({1 + k, 2 + k});
    require_exactly(p, want, kRed);
    test::GuardedPicture q(16, 20, 24);
    draw_line(q.image, 0, 10, 6, 13, kRed, 1, all);  // y = 10 + x / 2: 10, 10.5, 11, 11.5, ...
    require_exactly(q, {{0, 10}, {1, 11}, {2, 11}, {3, 12}, {4, 12}, {5, 13}, {6, 13}}, kRed);
  }
  SECTION("a point and NaN") {
    test::GuardedPicture p(16, 20, 25);
    draw_line(p.image, 7, 7, 7, 7, kRed, 2, all);
    draw_line(p.image, kNaN, 3, 9, 3, kGreen, 2, all);
    require_exactly(p, {{7, 7}, {7, 8}}, kRed);
  }
  SECTION("dashed: 3 on, 2 off, continuing across segments") {
    test::GuardedPicture p(16, 20, 26);
    Dash dash{3, 2, 0};
    draw_line(p.image, 0, 4, 6, 4, kRed, 1, all, &dash);  // x = 0..6: on at 0 1 2, 5 6
    REQUIRE(dash.travelled == 6);
    draw_line(p.image, 6, 4, 12, 4, kRed, 1, all, &dash);  // distance 6 + (x - 6) = x: on at 6 7, 10 11 12
    require_exactly(p, {{0, 4}, {1, 4}, {2, 4}, {5, 4}, {6, 4}, {7, 4}, {10, 4}, {11, 4}, {12, 4}}, kRed);
  }
}

TEST_CASE("plot: draw_line clips segments running outside the image or the clip rectangle", "[plot]") {
  const PixelRect all{0, 0, 20, 16};
  SECTION("through the whole image, far outside on both ends") {
    test::GuardedPicture p(16, 20, 31);
    draw_line(p.image, -300, 4, 5000, 4, kRed, 2, all);
    draw_line(p.image, -std::numeric_limits<double>::infinity(), 8, std::numeric_limits<double>::infinity(), 8,
              kRed, 1, all);
    std::set<std::pair<int64_t, int64_t>> want;
    for (int64_t x = 0; x < 20; ++x) want.insert({x, 4}), want.insert({x, 5}), want.insert({x, 8});
    require_exactly(p, want, kRed);
  }
  SECTION("a diagonal leaving at the bottom right corner, 2 px wide") {
    test::GuardedPicture p(16, 20, 32);
    draw_line(p.image, 10, 10, 40, 40, kGreen, 2, all);
    std::set<std::pair<int64_t, int64_t>> want;
    for (int64_t k = 10; k <= 15; ++k) want.insert({k, k});
    for (int64_t k = 10; k <= 14; ++k) want.insert({k, k + 1});  // the second pixel; (15, 16) is outside
    require_exactly(p, want, kGreen);
  }
  SECTION("a clip rectangle inside the image, and a rectangle beyond it") {
    test::GuardedPicture p(16, 20, 33);
    draw_line(p.image, 0, 7, 19, 7, kRed, 1, PixelRect{5, 5, 10, 10});
    draw_line(p.image, 3, -5, 3, 40, kRed, 1, PixelRect{-100, 14, 100, 100});  // rows 14, 15 of the image
    require_exactly(p, {{5, 7}, {6, 7}, {7, 7}, {8, 7}, {9, 7}, {3, 14}, {3, 15}}, kRed);
  }
  SECTION("wholly outside: nothing") {
    test::GuardedPicture p(16, 20, 34);
    draw_line(p.image, -50, -3, 70, -1, kRed, 2, all);
    draw_line(p.image, 25, 0, 40, 15, kRed, 2, all);
    require_exactly(p, {}, kRed);
  }
}

TEST_CASE("plot: two runs' colours lie inside the plot areas, the background elsewhere", "[plot]") {
  std::mt19937 rng(41);
  std::vector<Panel> panels(3);
  for (Panel& p : panels) {
    p.title = "test_pck@0.05";
    p.x_name = "epoch";
    p.integer_x = true;
    p.series.push_back({iota(12, 1), random_series(rng, 12, 0.2, 3.0), kRed, false});
    p.series.push_back({iota(9, 1), random_series(rng, 9, 0.1, 2.5), kGreen, true});
  }
  ChartLayout layout;  // markers included: they too stay inside
  const Chart chart = draw_chart(panels, {{"run_a", kRed}, {"run_b", kGreen}}, layout);
  REQUIRE(chart.image.size(1) == chart.legend.y1 + 3 * layout.panel_height);
  REQUIRE(chart.image.size(2) == layout.panel_width);
  for (const PixelRect& a : chart.plot_areas) {
    REQUIRE(count_colour(chart.image, kRed, a, true) > 100);
    REQUIRE(count_colour(chart.image, kGreen, a, true) > 50);
    REQUIRE(count_colour(chart.image, kChartBackground, a, true) > (a.x1 - a.x0) * (a.y1 - a.y0) / 2);
  }
  // Outside the plot areas the run colours appear only in the legend.
  int64_t outside = 0, background = 0;
  for (int64_t y = chart.legend.y1; y < chart.image.size(1); ++y)
    for (int64_t x = 0; x < chart.image.size(2); ++x) {
      bool in_area = false;
      for (const PixelRect& a : chart.plot_areas) in_area = in_area || a.contains(x, y);
      if (in_area) continue;
      const Rgb v = pixel(chart.image, x, y);
      outside += v == kRed || v == kGreen;
      background += v == kChartBackground;
    }
  REQUIRE(outside == 0);
  REQUIRE(background > 0);
  REQUIRE(count_colour(chart.image, kRed, chart.legend, true) > 0);
  REQUIRE(count_colour(chart.image, kGreen, chart.legend, true) > 0);
  // Four panels go into two columns.
  panels.push_back(panels[0]);
  REQUIRE(draw_chart(panels, {}, layout).image.size(2) == 2 * layout.panel_width);
}

TEST_CASE("plot: NaN and inf break a polyline", "[plot]") {
  std::mt19937 rng(51);
  std::vector<double> y = random_series(rng, 5, 0.2, 0.8);
  Panel p;
  p.integer_x = true;  // x 0..4: ticks 0..4, so point i sits at a quarter of the way per step
  p.series.push_back({iota(5, 0), y, kRed, false});
  const Chart whole = draw_chart({p}, {}, no_markers());
  const double inf = std::numeric_limits<double>::infinity();
  for (double bad : {kNaN, inf}) {
    p.series[0].y[2] = bad;
    const Chart broken = draw_chart({p}, {}, no_markers());
    const PixelRect& a = broken.plot_areas[0];
    const double x0 = a.x0 + 4, x1 = a.x1 - 5;  // the pixels of x = 0 and x = 4 (4 px inset)
    const auto column_has_red = [&](const Chart& c, int64_t x) {
      for (int64_t yy = a.y0; yy < a.y1; ++yy)
        if (pixel(c.image, x, yy) == kRed) return true;
      return false;
    };
    const int64_t gap0 = std::llround(x0 + 0.25 * (x1 - x0)) + 2, gap1 = std::llround(x0 + 0.75 * (x1 - x0)) - 2;
    for (int64_t x = gap0; x <= gap1; ++x) {
      INFO("column " << x << " with y[2] = " << bad);
      REQUIRE(!column_has_red(broken, x));
      REQUIRE(column_has_red(whole, x));
    }
    REQUIRE(column_has_red(broken, std::llround(x0 + 0.125 * (x1 - x0))));  // the segments beside it remain
    REQUIRE(column_has_red(broken, std::llround(x0 + 0.875 * (x1 - x0))));
  }
  // On a log axis a value <= 0 breaks it too.
  p.series[0].y = y;
  p.series[0].y[2] = 0;
  p.log_y = true;
  const Chart logged = draw_chart({p}, {}, no_markers());
  REQUIRE(count_colour(logged.image, kRed, logged.plot_areas[0], true) > 0);
}

TEST_CASE("plot: panels share one x range", "[plot]") {
  std::mt19937 rng(71);
  Panel a, b;
  a.integer_x = b.integer_x = true;
  a.series.push_back({iota(5, 0), random_series(rng, 5, 0.1, 0.9), kRed, false});  // x 0..4
  b.series.push_back({iota(2, 3), random_series(rng, 2, 0.1, 0.9), kRed, false});  // x 3..4 only
  const Chart chart = draw_chart({a, b}, {}, no_markers());
  const PixelRect& pa = chart.plot_areas[0];
  const PixelRect& pb = chart.plot_areas[1];
  REQUIRE((pa.x0 == pb.x0 && pa.x1 == pb.x1));
  const int64_t x3 = std::llround(pb.x0 + 4 + 0.75 * (pb.x1 - pb.x0 - 9));  // x = 3 of 0..4
  REQUIRE(count_colour(chart.image, kRed, PixelRect{pb.x0, pb.y0, x3 - 1, pb.y1}, true) == 0);
  REQUIRE(count_colour(chart.image, kRed, PixelRect{x3 - 1, pb.y0, pb.x1, pb.y1}, true) > 0);
  REQUIRE(count_colour(chart.image, kRed, PixelRect{pa.x0, pa.y0, x3 - 1, pa.y1}, true) > 0);
}

TEST_CASE("plot: metrics.jsonl columns, blank lines and nulls", "[plot]") {
  std::mt19937 rng(61);
  const std::vector<double> loss = random_series(rng, 3, 0.1, 2.0), secs = random_series(rng, 3, 10, 90);
  nlohmann::json l1 = {{"epoch", 1}, {"seconds", secs[0]}, {"train_loss", loss[0]}, {"note", "warm-up"}};
  nlohmann::json l2 = {{"epoch", 2}, {"seconds", secs[1]}, {"train_loss", loss[1]}, {"test_pck@0.05", 0.5}};
  nlohmann::json l3 = {{"epoch", 3}, {"seconds", secs[2]}, {"train_loss", nullptr}};
  const std::string text = l1.dump() + "\n\n" + l2.dump() + "\r\n" + l3.dump() + "\n";
  const RunMetrics r = parse_metrics_jsonl(text, "runs/a/metrics.jsonl");
  REQUIRE(r.rows() == 3);
  REQUIRE(r.line_numbers == std::vector<int64_t>{1, 3, 4});
  // nlohmann orders an object's keys by name; keys are collected in order of first appearance.
  REQUIRE(r.keys == std::vector<std::string>{"epoch", "seconds", "train_loss", "test_pck@0.05"});
  REQUIRE(!r.has("note"));
  REQUIRE(r.columns.at("train_loss")[0] == loss[0]);
  REQUIRE(r.columns.at("train_loss")[1] == loss[1]);
  REQUIRE(std::isnan(r.columns.at("train_loss")[2]));  // null: JSON's NaN
  REQUIRE(std::isnan(r.columns.at("test_pck@0.05")[0]));
  REQUIRE(r.columns.at("test_pck@0.05")[1] == 0.5);
  REQUIRE(std::isnan(r.columns.at("test_pck@0.05")[2]));
  REQUIRE(x_values(r, "epoch", false) == std::vector<double>{1, 2, 3});
  const std::vector<double> cum = x_values(r, "seconds", true);
  REQUIRE(cum[0] == secs[0]);
  REQUIRE(cum[2] == Approx(secs[0] + secs[1] + secs[2]));
  test::require_error([&] { x_values(r, "train_loss", false); }, {"runs/a/metrics.jsonl:4", "\"train_loss\""});
  test::require_error([&] { x_values(r, "wall", false); }, {"runs/a/metrics.jsonl", "no \"wall\""});
}

TEST_CASE("plot: metrics.jsonl errors name the file and line", "[plot]") {
  const std::string good = "{\"epoch\": 1, \"train_loss\": 0.7}\n";
  test::require_error([&] { parse_metrics_jsonl(good + "\n{\"epoch\": 2, \"train_loss\"\n", "r/metrics.jsonl"); },
                      {"r/metrics.jsonl:3: invalid JSON"});
  test::require_error([&] { parse_metrics_jsonl(good + "[1, 2]\n", "r/metrics.jsonl"); },
                      {"r/metrics.jsonl:2: expected a JSON object", "array"});
  test::require_error([&] { parse_metrics_jsonl("", "r/metrics.jsonl"); }, {"r/metrics.jsonl: empty"});
  test::require_error([&] { parse_metrics_jsonl("\n  \n", "r/metrics.jsonl"); }, {"r/metrics.jsonl: empty"});

  test::TempDir dir("ocellus_plot");
  test::require_error([&] { read_run_metrics(dir.file("nope")); }, {dir.file("nope"), "no such run directory"});
  test::require_error([&] { read_run_metrics(dir.str()); }, {dir.file("metrics.jsonl"), "cannot open"});
  std::filesystem::create_directory(dir.file("cnn"));
  std::ofstream(dir.file("cnn/metrics.jsonl")) << good;
  REQUIRE(read_run_metrics(dir.file("cnn")).rows() == 1);
  REQUIRE(read_run_metrics(dir.file("cnn/metrics.jsonl")).path == dir.file("cnn/metrics.jsonl"));
  REQUIRE(run_label(dir.file("cnn")) == "cnn");
  REQUIRE(run_label(dir.file("cnn") + "/") == "cnn");
  REQUIRE(run_label(dir.file("cnn/metrics.jsonl")) == "cnn");
}
