// The pictures of pose maps beside their targets (see pose_maps_pictures.h).
#include "tools/pose_maps_pictures.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "tools/bitmap_font.h"

namespace oc::cli {
namespace {

uint8_t channel(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0)); }

void check_maps(const Tensor& maps, const char* what) {
  OC_CHECK(maps.defined() && maps.dtype() == DType::f32 && maps.dim() == 3 && maps.is_contiguous() &&
               maps.device().is_cpu(),
           "pose maps picture: ", what, " must be contiguous float32 [C,h,w] on the CPU, got ",
           maps.defined() ? maps.str() : "none");
}

// The darkened, scaled input plus colour_at(cell) under each pixel; colour_at(i, j) for cell row i, column j.
template <class ColourAt>
Tensor overlay(const Tensor& image, int64_t h, int64_t w, int scale, ColourAt colour_at) {
  Tensor out = upscale_image(image, scale);
  const int64_t H = out.size(1), W = out.size(2);
  uint8_t* px = out.data<uint8_t>();
  std::vector<Rgb> cells(static_cast<size_t>(h * w));
  for (int64_t i = 0; i < h; ++i)
    for (int64_t j = 0; j < w; ++j) cells[i * w + j] = colour_at(i, j);
  for (int64_t y = 0; y < H; ++y)
    for (int64_t x = 0; x < W; ++x) {
      const Rgb& c = cells[(y * h / H) * w + x * w / W];
      for (int ch = 0; ch < 3; ++ch) {
        uint8_t& p = px[(ch * H + y) * W + x];
        p = static_cast<uint8_t>(std::min(255, darken(p) + c[ch]));
      }
    }
  return out;
}

struct HeadMaps {
  bool fields, logits, beta, head_targets;
};

// The heads (task.head, and for heatmap task.heatmap_loss) that have maps to draw.
const std::map<std::string, HeadMaps>& heads_with_maps() {
  static const std::map<std::string, HeadMaps> heads = {
      {"paf", {true, false, false, true}},
      {"heatmap/mse", {false, false, false, true}},
      {"heatmap/cross_entropy", {false, true, false, false}},
      {"integral", {false, true, true, false}},
  };
  return heads;
}

}  // namespace

Rgb heat_colour(double v) {
  if (std::isnan(v)) v = 0;
  v = std::clamp(v, 0.0, 1.0) * 3;  // one third of the range per step of the ramp
  return {channel(v), channel(v - 1), channel(v - 2)};
}

Rgb direction_colour(double x, double y) {
  const double length = std::hypot(x, y);
  if (!(length > 0)) return {0, 0, 0};  // also NaN
  const double value = std::min(length, 1.0);
  double hue = std::atan2(y, x) * 3 / std::acos(-1.0);  // in sixths of a turn, (-3, 3]
  if (hue < 0) hue += 6;
  // HSV at full saturation: channel n is value x (1 - clamp(min(k, 4 - k), 0, 1)), k = (n + hue) mod 6.
  auto at = [&](double n) {
    const double k = std::fmod(n + hue, 6.0);
    return channel(value * (1 - std::clamp(std::min(k, 4 - k), 0.0, 1.0)));
  };
  return {at(5), at(3), at(1)};
}

Tensor upscale_image(const Tensor& image, int scale) {
  check_rgb_picture(image, "pose maps picture: the input image");
  OC_CHECK(scale >= 1, "pose maps picture: scale must be >= 1, got ", scale);
  const int64_t H = image.size(1), W = image.size(2), S = scale;
  Tensor out = Tensor::empty({3, H * S, W * S}, DType::u8);
  const uint8_t* in = image.data<uint8_t>();
  uint8_t* px = out.data<uint8_t>();
  for (int64_t ch = 0; ch < 3; ++ch)
    for (int64_t y = 0; y < H * S; ++y)
      for (int64_t x = 0; x < W * S; ++x) px[(ch * H * S + y) * W * S + x] = in[(ch * H + y / S) * W + x / S];
  return out;
}

Tensor joint_maps_overlay(const Tensor& image, const Tensor& maps, int scale) {
  check_maps(maps, "joint maps");
  const int64_t K = maps.size(0), h = maps.size(1), w = maps.size(2);
  const float* m = maps.data<float>();
  return overlay(image, h, w, scale, [&](int64_t i, int64_t j) {
    float top = -std::numeric_limits<float>::infinity();
    for (int64_t k = 0; k < K; ++k) top = std::max(top, m[(k * h + i) * w + j]);
    return heat_colour(top);
  });
}

Tensor fields_overlay(const Tensor& image, const Tensor& fields, int scale) {
  check_maps(fields, "affinity fields");
  OC_CHECK(fields.size(0) % 2 == 0, "pose maps picture: affinity fields need an (x, y) channel pair per limb, got ",
           fields.size(0), " channels");
  const int64_t C = fields.size(0), h = fields.size(1), w = fields.size(2);
  const float* f = fields.data<float>();
  return overlay(image, h, w, scale, [&](int64_t i, int64_t j) {
    double x = 0, y = 0;
    for (int64_t c = 0; c < C; c += 2) {
      x += f[(c * h + i) * w + j];
      y += f[((c + 1) * h + i) * w + j];
    }
    return direction_colour(x, y);
  });
}

float largest_value(const Tensor& maps) {
  const std::vector<float> v = to_vector<float>(contiguous(to(maps, Device::cpu())));
  float top = -std::numeric_limits<float>::infinity();
  for (float x : v) top = std::max(top, x);
  return top;
}

double mean_field_length_on_limbs(const Tensor& fields, const Tensor& target) {
  check_maps(fields, "predicted affinity fields");
  check_maps(target, "target affinity fields");
  OC_CHECK(fields.shape() == target.shape() && fields.size(0) % 2 == 0,
           "pose maps picture: predicted and target affinity fields must have one shape [2L,h,w], got ",
           shape_str(fields.shape()), " and ", shape_str(target.shape()));
  const int64_t limbs = fields.size(0) / 2, cells = fields.size(1) * fields.size(2);
  const float *f = fields.data<float>(), *t = target.data<float>();
  double total = 0;
  int64_t count = 0;
  for (int64_t l = 0; l < limbs; ++l)
    for (int64_t i = 0; i < cells; ++i) {
      const int64_t x = 2 * l * cells + i, y = x + cells;
      if (t[x] == 0 && t[y] == 0) continue;
      total += std::hypot(f[x], f[y]);
      ++count;
    }
  return count ? total / count : 0;
}

int64_t pose_maps_column_width(int64_t picture_width) {
  return std::max(picture_width, text_width("S target", 1));  // the widest caption
}

std::vector<std::string> PoseMapsLayout::captions() const {
  std::vector<std::string> c = {"input", "S pred", "S target"};
  if (fields) c.insert(c.end(), {"L pred", "L target"});
  return c;
}

PoseMapsLayout pose_maps_layout(const PoseSettings& p) {
  const std::string key = p.head == "heatmap" ? p.head + "/" + p.heatmap_loss : p.head;
  const auto it = heads_with_maps().find(key);
  OC_CHECK(it != heads_with_maps().end(), "--maps: head \"", p.head,
           "\" has no maps to draw (it regresses coordinates); --maps takes the heads heatmap, integral and paf");
  PoseMapsLayout layout;
  layout.head = p.head;
  layout.fields = it->second.fields;
  layout.logits = it->second.logits;
  layout.logit_scale = it->second.beta ? p.beta : 1;
  layout.head_targets = it->second.head_targets;
  return layout;
}

void check_maps_outputs(const PoseMapsLayout& layout, const std::vector<Shape>& outputs) {
  auto is_maps = [](const Shape& s) { return s.size() == 4; };
  if (!layout.fields) {
    OC_CHECK(!outputs.empty() && is_maps(outputs[0]), "--maps: head \"", layout.head,
             "\" draws the model's first output as maps [B,K,h,w], got ",
             outputs.empty() ? std::string("no output") : shape_str(outputs[0]));
    return;
  }
  OC_CHECK(outputs.size() >= 2 && outputs.size() % 2 == 0, "--maps: head \"", layout.head,
           "\" draws the last stage's maps S and fields L, so the model needs outputs in pairs, got ", outputs.size());
  const Shape &s = outputs[outputs.size() - 2], &l = outputs.back();
  OC_CHECK(is_maps(s) && is_maps(l) && s[0] == l[0] && s[2] == l[2] && s[3] == l[3] && l[1] % 2 == 0, "--maps: head \"",
           layout.head, "\" needs the last stage as S [B,K,h,w] and L [B,2L,h,w], got ", shape_str(s), " and ",
           shape_str(l));
}

Tensor pose_maps_row(const PoseMapsRow& row, int scale) {
  check_rgb_picture(row.image, "pose maps picture: the input image");
  const bool fields = row.pred_fields.defined() || row.target_fields.defined();
  const std::vector<Tensor> pictures = [&] {
    std::vector<Tensor> p = {upscale_image(row.image, scale), joint_maps_overlay(row.image, row.pred_joints, scale),
                             joint_maps_overlay(row.image, row.target_joints, scale)};
    if (fields) {
      p.push_back(fields_overlay(row.image, row.pred_fields, scale));
      p.push_back(fields_overlay(row.image, row.target_fields, scale));
    }
    return p;
  }();
  const std::vector<std::string> captions = PoseMapsLayout{"", fields}.captions();
  const int64_t ph = pictures[0].size(1), pw = pictures[0].size(2), C = static_cast<int64_t>(pictures.size());
  const int64_t pitch = pose_maps_column_width(pw) + kMapsGap;
  const int64_t H = 2 * kMapsMargin + 2 * kMapsLine + ph,
                W = std::max(2 * kMapsMargin + C * pitch - kMapsGap, 2 * kMapsMargin + text_width(row.text, 1));
  Tensor out = Tensor::empty({3, H, W}, DType::u8);
  fill_rect(out, 0, 0, W, H, kMapsBackground);
  uint8_t* px = out.data<uint8_t>();
  const int64_t top = kMapsMargin + kMapsLine;
  for (int64_t c = 0; c < C; ++c) {
    const int64_t left = kMapsMargin + c * pitch;
    const uint8_t* p = pictures[c].data<uint8_t>();
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t y = 0; y < ph; ++y) std::copy_n(p + (ch * ph + y) * pw, pw, px + (ch * H + top + y) * W + left);
    draw_text(out, left, kMapsMargin, captions[c], kMapsTextColour, 1);
  }
  draw_text(out, kMapsMargin, top + ph + (kMapsLine - kGlyphHeight) / 2, row.text, kMapsTextColour, 1);
  return out;
}

Tensor pose_maps_picture(const std::vector<std::string>& title, const std::vector<Tensor>& rows) {
  int64_t W = 0, H = kMapsMargin + static_cast<int64_t>(title.size()) * kMapsLine;
  for (const std::string& line : title) W = std::max(W, 2 * kMapsMargin + text_width(line, 1));
  for (const Tensor& r : rows) {
    check_rgb_picture(r, "pose maps picture: a row");
    W = std::max(W, r.size(2));
    H += r.size(1);
  }
  Tensor out = Tensor::empty({3, H, W}, DType::u8);
  fill_rect(out, 0, 0, W, H, kMapsBackground);
  for (size_t i = 0; i < title.size(); ++i)
    draw_text(out, kMapsMargin, kMapsMargin + static_cast<int64_t>(i) * kMapsLine, title[i], kMapsTextColour, 1);
  uint8_t* px = out.data<uint8_t>();
  int64_t top = kMapsMargin + static_cast<int64_t>(title.size()) * kMapsLine;
  for (const Tensor& r : rows) {
    const int64_t rh = r.size(1), rw = r.size(2);
    const uint8_t* p = r.data<uint8_t>();
    for (int64_t ch = 0; ch < 3; ++ch)
      for (int64_t y = 0; y < rh; ++y) std::copy_n(p + (ch * rh + y) * rw, rw, px + (ch * H + top + y) * W);
    top += rh;
  }
  return out;
}

}  // namespace oc::cli
