// Drawing detections (boxes, "class score" labels, instance masks) onto an image, for `ocellus
// infer` on detection models.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace oc::cli {

struct DrawnDetection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // corners in image pixels (COCO: pixel i spans [i, i + 1])
  int64_t category = 0;                   // index into class_names; picks the colour too
  float score = 0;
  Tensor mask;  // optional (undefined: none): uint8 or bool [H,W] at the image's size, nonzero on the object
};

// The mask overlay's opacity, in percent.
inline constexpr int kMaskOpacityPercent = 45;

// image: uint8 [3,H,W], contiguous, on the CPU, drawn into in place. A grey [1,H,W] image is an
// error naming its shape (repeat its channel three times first). In order, so that labels stay on top:
// - each mask: its pixels mixed with the class colour at kMaskOpacityPercent;
// - each box: a 2-px outline in the class colour along the inside of its pixels
//   [floor(x1), ceil(x2)) x [floor(y1), ceil(y2)) (at least one pixel each way);
// - each label: "name 0.87" (name: class_names[category], or the number when out of range; the
//   score to two decimals) in the 5x7 font (tools/bitmap_font.h) at scale s = 1 + max(H,W) / 800,
//   black or white, whichever reads better, on a filled box of the class colour (1 + 6 n) s wide
//   (n characters) and 9 s high: 1 s of margin, the text, the last glyph's blank column. The label
//   sits on the box, its left edge at the box's, shifted left or right to stay inside the image;
//   when the box touches the top (no room above), it goes inside the box, below max(top, 0).
// The colour of category c is distinct_colours()[c mod 12]. A detection with a NaN coordinate or
// with x2 < x1 or y2 < y1 is skipped whole. Boxes leaving the image are clipped (the visible edges
// drawn); one wholly outside draws no outline and no label. Masks must be [H,W]: an error otherwise.
void draw_detections(Tensor& image, const std::vector<DrawnDetection>& dets,
                     const std::vector<std::string>& class_names);

}  // namespace oc::cli
