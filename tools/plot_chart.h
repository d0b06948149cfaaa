// Line charts drawn with our own rasteriser (for `ocellus plot`): nice ticks, clipped lines, panels of
// polylines on shared axes with titles, tick labels and one legend. Knows series, not files.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tools/draw.h"

namespace oc::cli {

// Axis ticks: `values` run from lo to hi (both ticks) in steps of `step`.
struct Ticks {
  double lo = 0, hi = 1, step = 0.2;
  std::vector<double> values;
};

// Ticks covering [lo, hi] linearly: step = 1, 2 or 5 x 10^k, the smallest such that at most `target`
// intervals cover the range (step at least 1 when `integer`, for epochs); lo and hi are rounded out to
// multiples of step. A zero range (a constant series) is widened to +-10% of the value (+-1 at 0).
// E.g. [0, 0.93] -> 0, 0.2, ..., 1.0; [1, 2] integer -> 1, 2.
Ticks nice_ticks(double lo, double hi, int target = 5, bool integer = false);

// Ticks of a log10 axis covering [lo, hi] (both > 0): the axis spans whole decades; ticks at 1, 2 and
// 5 x 10^k when it spans at most 2 decades, else at powers of 10 (every 1, 2, 5 ... decades).
// `lo`, `hi` and `step` of the result are in log10 units; `values` are the tick values themselves.
Ticks log_ticks(double lo, double hi);

// A tick's label: fixed-point with as many decimals as `step` needs ("0.2", "1.5", "2"), or
// scientific ("2E-06") for steps below 0.001 or values of a million and more.
std::string tick_label(double value, double step);

// Pixel rectangle [x0, x1) x [y0, y1).
struct PixelRect {
  int64_t x0 = 0, y0 = 0, x1 = 0, y1 = 0;
  bool contains(int64_t x, int64_t y) const { return x >= x0 && x < x1 && y >= y0 && y < y1; }
};

// A dash pattern: `on` pixels drawn, `off` skipped, measured along the line; `travelled` carries the
// position across the segments of one polyline so the pattern does not restart at each vertex.
struct Dash {
  double on = 7, off = 5, travelled = 0;
};

// Draws the segment (x0, y0)-(x1, y1) in pixel coordinates (integer = a pixel's centre), `width`
// pixels thick (the extra pixels below a flat line, right of a steep one), clipped to `clip` (the part
// outside it is skipped, never visited: huge or infinite ends are fine); a NaN end draws nothing.
// Steps one pixel along the longer axis, rounding the other (ties away from zero).
void draw_line(Tensor& image, double x0, double y0, double x1, double y1, const Rgb& colour, int width,
               const PixelRect& clip, Dash* dash = nullptr);

// One curve: points (x[i], y[i]); a non-finite x or y (or y <= 0 on a log axis) breaks the line there.
struct Series {
  std::vector<double> x, y;
  Rgb colour{0, 0, 0};
  bool dashed = false;
};

struct Panel {
  std::string title;   // drawn above the plot area
  std::string x_name;  // drawn under the x tick labels
  std::vector<Series> series;
  bool integer_x = false;  // x ticks at whole numbers (epochs)
  bool log_y = false;
};

struct LegendEntry {
  std::string label;
  Rgb colour;
};

struct ChartLayout {
  int64_t panel_width = 720, panel_height = 300;  // each panel's box, margins and title included
  int columns = 0;                                 // 0: one column up to 3 panels, else two
  int font_scale = 2;
  int line_width = 2;
  int max_markers = 40;  // series of at most this many points get a disc at each point
};

struct Chart {
  Tensor image;                     // uint8 [3,H,W]
  std::vector<PixelRect> plot_areas;  // each panel's plot area (inside the frame), in panel order
  PixelRect legend;                 // the legend's box at the top
};

inline constexpr Rgb kChartBackground{255, 255, 255};

// Draws the panels in a grid under one legend. All panels share one x range (that of every panel's
// points); each has its own y range. A panel with no usable point gets y axis [0, 1].
Chart draw_chart(const std::vector<Panel>& panels, const std::vector<LegendEntry>& legend,
                 const ChartLayout& layout = {});

}  // namespace oc::cli
