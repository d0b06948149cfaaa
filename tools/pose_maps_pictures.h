// Pictures of a pose model's maps beside their targets, for `ocellus eval --maps` (docs/pose_maps.md):
// joint confidence maps S as a heat ramp and affinity fields L coloured by direction, each over a
// darkened copy of the input image so that one sees where they lie. Pure drawing: maps in, pixels out.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "nets/pose/pose_head.h"
#include "tools/draw.h"

namespace oc::cli {

// The heat ramp over [0, 1]: black (0) -> red (1/3) -> yellow (2/3) -> white (1), linear in between,
// each channel rounded to nearest. Values outside are clamped; NaN draws as 0.
Rgb heat_colour(double v);

// A field vector (x right, y down) as a colour: its direction is the hue (+x red, +y yellow-green at
// hue 90, -x cyan, -y violet at hue 270), its length, clamped at 1, the brightness (0: black). NaN: black.
Rgb direction_colour(double x, double y);

// An input pixel under the maps: darkened to 40 %, so that the colours stand out and the image still shows.
inline uint8_t darken(uint8_t v) { return mix(v, 0, 60); }

// The input image (uint8 [3,H,W], contiguous, CPU) scaled `scale` times by nearest neighbour.
Tensor upscale_image(const Tensor& image, int scale);

// The input scaled `scale` times and darkened, plus (saturating at 255) the heat colour of the
// largest of the maps (float32 [K,h,w]) at each cell, the cells upsampled by nearest neighbour to the
// scaled image (pixel y of a side of n pixels shows cell y * h / n). A cell whose maps are all <= 0
// leaves the darkened pixels unchanged.
Tensor joint_maps_overlay(const Tensor& image, const Tensor& maps, int scale);

// As joint_maps_overlay, with the direction colour of each cell's vector sum over the limbs of
// fields (float32 [2L,h,w]: channels 2l, 2l + 1 the x and y of limb l).
Tensor fields_overlay(const Tensor& image, const Tensor& fields, int scale);

// The largest value of maps (float32, any shape; -inf when empty).
float largest_value(const Tensor& maps);

// The mean length of fields' limb vectors (float32 [2L,h,w]) over the cells of each limb where
// `target`'s vector of that limb is non-zero: how strongly the field is predicted where it should be
// (the target's own is 1, or less where people overlap). 0 when the target has no such cell.
double mean_field_length_on_limbs(const Tensor& fields, const Tensor& target);

// How a head's maps are drawn, from its task.* settings (nets/pose/pose_head.h).
struct PoseMapsLayout {
  std::string head;
  bool fields = false;       // paf: the last stage's S and L, each beside its target
  bool logits = false;       // heatmap cross_entropy, integral: maps are logits, shown as softmax over each map's
                             // cells (of logit_scale x map), max over joints, scaled so each image's max is 1
  double logit_scale = 1;    // integral: task.beta (its soft-argmax temperature)
  bool head_targets = false; // the head's targets are the maps (paf, heatmap mse); else rendered with task.sigma
  std::vector<std::string> captions() const;  // "input", "S pred", "S target"[, "L pred", "L target"]
};

// Errors naming the head (task.head) when it has no maps to draw (direct, which regresses coordinates).
PoseMapsLayout pose_maps_layout(const PoseSettings& p);

// Errors naming the head unless the model's outputs (shapes with the batch) hold its maps: the
// first output [B,K,h,w] (heatmap, integral), or pairs [B,K,h,w], [B,2L,h,w] with the same h, w (paf).
void check_maps_outputs(const PoseMapsLayout& layout, const std::vector<Shape>& outputs);

// One image's row. The maps are float32 on the CPU, in display units (the ramp's [0, 1]).
struct PoseMapsRow {
  Tensor image;                       // uint8 [3,H,W]
  Tensor pred_joints, target_joints;  // [K,h,w]
  Tensor pred_fields, target_fields;  // [2L,h,w]; undefined for the heads without fields
  std::string text;                   // the row's line under its pictures ("S max 0.51 ...")
};

// The row's geometry: kMapsMargin around it, a caption line above the pictures and a text line below.
inline constexpr int64_t kMapsMargin = 6, kMapsGap = 4, kMapsLine = 11;
inline constexpr Rgb kMapsBackground{24, 24, 24}, kMapsTextColour{255, 255, 255};

// A column's width for pictures `picture_width` wide: at least the widest caption's.
int64_t pose_maps_column_width(int64_t picture_width);

// uint8 [3, 2 margin + 2 line + scale H, 2 margin + C column + (C - 1) gap] (C = 3, or 5 with fields;
// column = pose_maps_column_width(scale W); wider when the text is): columns input | S pred | S target
// [| L pred | L target], each captioned at its left edge, the text under them from the left margin.
// Pictures start at x = margin + c (column + gap), y = margin + line.
Tensor pose_maps_row(const PoseMapsRow& row, int scale);

// The rows stacked under the title lines (one kMapsLine each), on the background, as wide as the
// widest row or title line (+ 2 margin).
Tensor pose_maps_picture(const std::vector<std::string>& title, const std::vector<Tensor>& rows);

}  // namespace oc::cli
