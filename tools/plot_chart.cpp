// Line charts for `ocellus plot` (see plot_chart.h): ticks, the clipped line rasteriser, panels, legend.
#include "tools/plot_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "tools/bitmap_font.h"

namespace oc::cli {
namespace {

constexpr Rgb kText{30, 30, 30}, kFrame{90, 90, 90}, kGrid{228, 228, 228};
constexpr int64_t kInset = 4;             // pixels between the frame and the extreme data, for markers

// The 1, 2, 5 x 10^k at or above v (v > 0).
double nice_step_at_least(double v) {
  const double mag = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * mag >= v * (1 - 1e-9)) return m * mag;
  return 10 * mag;
}

// The next 1, 2, 5 x 10^k after step.
double next_nice_step(double step) { return nice_step_at_least(step * 1.0001); }

void set_pixel(Tensor& image, int64_t x, int64_t y, const Rgb& c, const PixelRect& clip) {
  const int64_t H = image.size(1), W = image.size(2);
  if (!clip.contains(x, y) || x < 0 || y < 0 || x >= W || y >= H) return;
  uint8_t* px = image.data<uint8_t>();
  for (int ch = 0; ch < 3; ++ch) px[(ch * H + y) * W + x] = c[ch];
}

// A disc of radius r around the pixel centre (cx, cy) (integer = centre), clipped to `clip`.
void marker(Tensor& image, double cx, double cy, double r, const Rgb& c, const PixelRect& clip) {
  for (int64_t y = pixel_floor(cy - r); y <= pixel_ceil(cy + r); ++y)
    for (int64_t x = pixel_floor(cx - r); x <= pixel_ceil(cx + r); ++x)
      if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) set_pixel(image, x, y, c, clip);
}

// One axis's ticks and its data -> pixel mapping.
struct Axis {
  Ticks ticks;
  bool log = false;
  double at(double v, double p0, double p1) const {  // p0: pixel of ticks.lo, p1: of ticks.hi
    const double u = log ? std::log10(v) : v;
    return p0 + (u - ticks.lo) / (ticks.hi - ticks.lo) * (p1 - p0);
  }
  double tick_value(size_t i) const { return ticks.values[i]; }
};

bool usable(double x, double y, bool log_y) { return std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0); }

// The range [lo, hi] of a panel's usable points along x or y (lo > hi when there are none).
void panel_range(const Panel& p, bool along_x, double& lo, double& hi) {
  for (const Series& s : p.series)
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i)
      if (usable(s.x[i], s.y[i], p.log_y)) {
        const double v = along_x ? s.x[i] : s.y[i];
        lo = std::min(lo, v), hi = std::max(hi, v);
      }
}

// The axes of a panel: x over [xlo, xhi] (all panels' range), y over its usable points; [0, 1] (or
// [1, 10] on a log axis) when there are none.
void panel_axes(const Panel& p, double xlo, double xhi, Axis& ax, Axis& ay) {
  double ylo = INFINITY, yhi = -INFINITY;
  panel_range(p, false, ylo, yhi);
  if (xlo > xhi) xlo = 0, xhi = 1;
  if (ylo > yhi) ylo = p.log_y ? 1 : 0, yhi = p.log_y ? 10 : 1;
  ax.ticks = nice_ticks(xlo, xhi, 6, p.integer_x);
  ay.log = p.log_y;
  ay.ticks = p.log_y ? log_ticks(ylo, yhi) : nice_ticks(ylo, yhi, 5);
}

std::string y_tick_label(const Axis& ay, size_t i) {
  const double v = ay.tick_value(i);
  return ay.log ? tick_label(v, std::pow(10.0, std::floor(std::log10(v) + 1e-9))) : tick_label(v, ay.ticks.step);
}

void draw_series(Tensor& image, const Series& s, const Axis& ax, const Axis& ay, const PixelRect& area,
                 const ChartLayout& layout) {
  const double px0 = area.x0 + kInset, px1 = area.x1 - 1 - kInset;
  const double py0 = area.y1 - 1 - kInset, py1 = area.y0 + kInset;  // y grows upwards
  const size_t n = std::min(s.x.size(), s.y.size());
  Dash dash;
  auto point = [&](size_t i) { return std::pair{ax.at(s.x[i], px0, px1), ay.at(s.y[i], py0, py1)}; };
  for (size_t i = 0; i < n; ++i) {
    if (!usable(s.x[i], s.y[i], ay.log)) continue;
    const auto [x, y] = point(i);
    const bool prev = i > 0 && usable(s.x[i - 1], s.y[i - 1], ay.log);
    const bool next = i + 1 < n && usable(s.x[i + 1], s.y[i + 1], ay.log);
    if (prev) {
      const auto [x0, y0] = point(i - 1);
      draw_line(image, x0, y0, x, y, s.colour, layout.line_width, area, s.dashed ? &dash : nullptr);
    }
    if (!prev && !next) draw_line(image, x, y, x, y, s.colour, layout.line_width, area);  // an isolated point
    if (static_cast<int64_t>(n) <= layout.max_markers) marker(image, x, y, layout.line_width + 1.5, s.colour, area);
  }
}

// The widest y tick label of a panel, in pixels.
int64_t ylabel_width(const Axis& ay, int scale) {
  int64_t w = 0;
  for (size_t i = 0; i < ay.ticks.values.size(); ++i) w = std::max(w, text_width(y_tick_label(ay, i), scale));
  return w;
}

// A panel whose plot area begins `ylabel_w` + a gap right of `left` (the same for all panels, so that
// they line up).
void draw_panel(Tensor& image, const Panel& p, const Axis& ax, const Axis& ay, int64_t ylabel_w, int64_t left,
                int64_t top, const ChartLayout& layout, PixelRect& area) {
  const int s = layout.font_scale;
  const int64_t th = text_height(s);
  std::vector<std::string> ylabels, xlabels;
  for (size_t i = 0; i < ay.ticks.values.size(); ++i) ylabels.push_back(y_tick_label(ay, i));
  for (double v : ax.ticks.values) xlabels.push_back(tick_label(v, ax.ticks.step));
  const int64_t last_xw = xlabels.empty() ? 0 : text_width(xlabels.back(), s);
  area.x0 = left + std::max<int64_t>(64, ylabel_w + 22);
  area.x1 = left + layout.panel_width - std::max<int64_t>(20, last_xw / 2 + 6);
  area.y0 = top + 6 + th + 10;
  area.y1 = top + layout.panel_height - (8 + th + 6 + th + 8);
  const double px0 = area.x0 + kInset, px1 = area.x1 - 1 - kInset;
  const double py0 = area.y1 - 1 - kInset, py1 = area.y0 + kInset;

  // Grid lines and tick marks at the ticks, the series, then the frame over them.
  const PixelRect everywhere{0, 0, image.size(2), image.size(1)};
  for (size_t i = 0; i < ay.ticks.values.size(); ++i) {
    const int64_t y = std::llround(ay.at(ay.tick_value(i), py0, py1));
    fill_rect(image, area.x0, y, area.x1, y + 1, kGrid);
    fill_rect(image, area.x0 - 5, y, area.x0 - 1, y + 1, kFrame);
    draw_text(image, area.x0 - 8 - text_width(ylabels[i], s), y - th / 2, ylabels[i], kText, s);
  }
  for (size_t i = 0; i < ax.ticks.values.size(); ++i) {
    const int64_t x = std::llround(ax.at(ax.ticks.values[i], px0, px1));
    fill_rect(image, x, area.y0, x + 1, area.y1, kGrid);
    fill_rect(image, x, area.y1 + 1, x + 1, area.y1 + 5, kFrame);
    draw_text(image, x - text_width(xlabels[i], s) / 2, area.y1 + 8, xlabels[i], kText, s);
  }
  for (const Series& series : p.series) draw_series(image, series, ax, ay, area, layout);
  draw_line(image, area.x0 - 1, area.y0 - 1, area.x1, area.y0 - 1, kFrame, 1, everywhere);
  draw_line(image, area.x0 - 1, area.y1, area.x1, area.y1, kFrame, 1, everywhere);
  draw_line(image, area.x0 - 1, area.y0 - 1, area.x0 - 1, area.y1, kFrame, 1, everywhere);
  draw_line(image, area.x1, area.y0 - 1, area.x1, area.y1, kFrame, 1, everywhere);

  draw_text(image, area.x0, top + 6, p.title, kText, s);
  draw_text(image, (area.x0 + area.x1 - text_width(p.x_name, s)) / 2, area.y1 + 8 + th + 6, p.x_name, kText, s);
}

// The legend's entries left to right, wrapping; returns its height. Draws only when `image` is given.
int64_t legend_rows(Tensor* image, const std::vector<LegendEntry>& legend, int64_t width, const ChartLayout& layout) {
  if (legend.empty()) return 0;
  const int s = layout.font_scale;
  const int64_t th = text_height(s), row_h = th + 10, swatch = 28;
  int64_t x = 16, y = 8;
  for (const LegendEntry& e : legend) {
    const int64_t w = swatch + 8 + text_width(e.label, s);
    if (x > 16 && x + w > width - 16) x = 16, y += row_h;
    if (image) {
      const PixelRect all{0, 0, image->size(2), image->size(1)};
      const double cy = y + th / 2;
      draw_line(*image, x, cy, x + swatch - 1, cy, e.colour, layout.line_width, all);
      marker(*image, x + swatch / 2.0, cy, layout.line_width + 1.5, e.colour, all);
      draw_text(*image, x + swatch + 8, y, e.label, kText, s);
    }
    x += w + 24;
  }
  return y + row_h;
}

}  // namespace

Ticks nice_ticks(double lo, double hi, int target, bool integer) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) lo = 0, hi = 1;
  if (hi < lo) std::swap(lo, hi);
  if (!(hi - lo > std::max(std::abs(lo), std::abs(hi)) * 1e-12)) {  // constant: no range to divide
    const double half = lo != 0 ? std::abs(lo) * 0.1 : 1.0;
    lo -= half, hi += half;
  }
  target = std::max(target, 1);
  double step = nice_step_at_least((hi - lo) / target);
  if (integer) step = std::max(step, 1.0);
  int64_t k0 = 0, k1 = 0;
  for (;;) {  // rounding out may add an interval: take the next step until at most `target` remain
    k0 = static_cast<int64_t>(std::floor(lo / step + 1e-9));
    k1 = static_cast<int64_t>(std::ceil(hi / step - 1e-9));
    if (k1 - k0 <= target) break;
    step = next_nice_step(step);
  }
  Ticks t;
  t.step = step;
  for (int64_t k = k0; k <= k1; ++k) t.values.push_back(static_cast<double>(k) * step);
  t.lo = t.values.front(), t.hi = t.values.back();
  return t;
}

Ticks log_ticks(double lo, double hi) {
  if (!(lo > 0) || !(hi > 0) || !std::isfinite(lo) || !std::isfinite(hi)) lo = 1, hi = 10;
  if (hi < lo) std::swap(lo, hi);
  int64_t d0 = static_cast<int64_t>(std::floor(std::log10(lo) + 1e-9));
  int64_t d1 = static_cast<int64_t>(std::ceil(std::log10(hi) - 1e-9));
  if (d1 == d0) ++d1;
  Ticks t;
  if (d1 - d0 <= 2) {
    t.step = 1;
    for (int64_t k = d0; k < d1; ++k)
      for (double m : {1.0, 2.0, 5.0}) t.values.push_back(m * std::pow(10.0, static_cast<double>(k)));
  } else {
    t.step = nice_step_at_least(std::max<double>(1.0, (d1 - d0) / 6.0));
    const int64_t step = static_cast<int64_t>(t.step);
    d0 = static_cast<int64_t>(std::floor(static_cast<double>(d0) / step)) * step;
    d1 = static_cast<int64_t>(std::ceil(static_cast<double>(d1) / step)) * step;
    for (int64_t k = d0; k < d1; k += step) t.values.push_back(std::pow(10.0, static_cast<double>(k)));
  }
  t.values.push_back(std::pow(10.0, static_cast<double>(d1)));
  t.lo = static_cast<double>(d0), t.hi = static_cast<double>(d1);
  return t;
}

std::string tick_label(double value, double step) {
  if (std::abs(value) < std::abs(step) * 1e-6) value = 0;  // 1e-17 from k * step is 0, never "-0"
  char buf[64];
  if (value != 0 && (std::abs(step) < 1e-3 || std::abs(value) >= 1e6)) {
    const int digits = static_cast<int>(std::floor(std::log10(std::abs(value)) + 1e-9) -
                                        std::floor(std::log10(std::abs(step)) + 1e-9));
    std::snprintf(buf, sizeof buf, "%.*E", std::clamp(digits, 0, 6), value);
  } else {
    const int decimals = static_cast<int>(-std::floor(std::log10(std::abs(step)) + 1e-9));
    std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 12), value);
  }
  return buf;
}

void draw_line(Tensor& image, double x0, double y0, double x1, double y1, const Rgb& colour, int width,
               const PixelRect& clip, Dash* dash) {
  check_rgb_picture(image, "draw_line");
  const PixelRect box{std::max<int64_t>(clip.x0, 0), std::max<int64_t>(clip.y0, 0), std::min(clip.x1, image.size(2)),
                      std::min(clip.y1, image.size(1))};
  if (std::isnan(x0) || std::isnan(y0) || std::isnan(x1) || std::isnan(y1) || box.x1 <= box.x0 || box.y1 <= box.y0)
    return;
  x0 = std::clamp(x0, -kFarOutside, kFarOutside), y0 = std::clamp(y0, -kFarOutside, kFarOutside);
  x1 = std::clamp(x1, -kFarOutside, kFarOutside), y1 = std::clamp(y1, -kFarOutside, kFarOutside);
  const double dx = x1 - x0, dy = y1 - y0;
  const bool flat = std::abs(dx) >= std::abs(dy);  // step along x, else along y
  const double slope = flat ? (dx != 0 ? dy / dx : 0) : dx / dy;
  const double per_step = std::sqrt(1 + slope * slope);  // length along the line per pixel step
  const double major0 = flat ? x0 : y0, minor0 = flat ? y0 : x0;
  // Only the part within a margin of the clip rectangle is visited; the pixels are those of the
  // whole segment (computed from its own ends), so clipping never moves a pixel.
  double ax = x0, ay = y0, bx = x1, by = y1;
  const double margin = width + 1.0;
  if (clip_segment(ax, ay, bx, by, box.x0 - margin, box.y0 - margin, box.x1 + margin, box.y1 + margin)) {
    const double a = flat ? ax : ay, b = flat ? bx : by;
    const int64_t lo = std::llround(std::min(a, b)), hi = std::llround(std::max(a, b));
    const double period = dash ? dash->on + dash->off : 0;
    for (int64_t m = lo; m <= hi; ++m) {
      if (dash && std::fmod(dash->travelled + std::abs(m - major0) * per_step, period) >= dash->on) continue;
      const int64_t n = std::llround(minor0 + (m - major0) * slope);
      for (int w = 0; w < std::max(width, 1); ++w) {
        if (flat) set_pixel(image, m, n + w, colour, box);
        else set_pixel(image, n + w, m, colour, box);
      }
    }
  }
  if (dash) dash->travelled += std::abs(flat ? dx : dy) * per_step;
}

Chart draw_chart(const std::vector<Panel>& panels, const std::vector<LegendEntry>& legend, const ChartLayout& layout) {
  OC_CHECK(!panels.empty(), "draw_chart: no panels");
  OC_CHECK(layout.panel_width >= 200 && layout.panel_height >= 120, "draw_chart: panels of ", layout.panel_width,
           "x", layout.panel_height, " pixels are too small (at least 200x120)");
  const int64_t n = static_cast<int64_t>(panels.size());
  const int64_t columns = layout.columns > 0 ? std::min<int64_t>(layout.columns, n) : (n <= 3 ? 1 : 2);
  const int64_t rows = (n + columns - 1) / columns;
  const int64_t W = columns * layout.panel_width;
  const int64_t legend_h = legend_rows(nullptr, legend, W, layout);
  const int64_t H = legend_h + rows * layout.panel_height;
  Chart chart;
  chart.image = Tensor::empty({3, H, W}, DType::u8);
  fill_rect(chart.image, 0, 0, W, H, kChartBackground);
  legend_rows(&chart.image, legend, W, layout);
  chart.legend = {0, 0, W, legend_h};
  double xlo = INFINITY, xhi = -INFINITY;  // one x range for all panels, so that they line up
  for (const Panel& p : panels) panel_range(p, true, xlo, xhi);
  std::vector<Axis> ax(panels.size()), ay(panels.size());
  int64_t ylabel_w = 0;
  for (size_t i = 0; i < panels.size(); ++i) {
    panel_axes(panels[i], xlo, xhi, ax[i], ay[i]);
    ylabel_w = std::max(ylabel_w, ylabel_width(ay[i], layout.font_scale));
  }
  chart.plot_areas.resize(panels.size());
  for (int64_t i = 0; i < n; ++i)
    draw_panel(chart.image, panels[i], ax[i], ay[i], ylabel_w, (i % columns) * layout.panel_width,
               legend_h + (i / columns) * layout.panel_height, layout, chart.plot_areas[i]);
  return chart;
}

}  // namespace oc::cli
