// Augmentations of uint8 [C,H,W] CPU images: random crop with zero padding, horizontal flip and a
// random affine map (rotation, translation, scale; bilinear, zero fill). The random versions draw
// their parameters from a Philox Generator, so a (seed, offset) pair fixes the result.
#pragma once
#include <cstdint>

#include "core/tensor.h"
#include "kernels/random/random.h"

namespace oc {

struct AugmentOptions {
  int64_t random_crop_padding = 0;  // pad by this many zero pixels on each side, crop back to H x W
  bool horizontal_flip = false;     // mirror left-right with probability 1/2
  double affine_degrees = 0;        // rotation uniform in [-degrees, degrees]
  double affine_translate = 0;      // shift uniform in [-t*W, t*W] x [-t*H, t*H] (fraction of size)
  double affine_scale_min = 1, affine_scale_max = 1;  // scale uniform in [min, max]
  bool any() const;
  void check() const;  // throws oc::Error naming the bad field
};

// The parameters one random draw chose (for tests and for reproducing a draw).
struct AugmentDraw {
  bool affine = false;
  double degrees = 0, translate_x = 0, translate_y = 0, scale = 1;  // translation in pixels
  int64_t crop_dy = 0, crop_dx = 0;  // in [0, 2 * padding]: the top-left corner in the padded image
  bool flip = false;
};

// Draws the parameters for one image of width W and height H. Consumes a fixed number of Philox
// blocks (kAugmentBlocks) from gen, whatever the options, so that draws for sample i can start at
// offset i * kAugmentBlocks.
constexpr uint64_t kAugmentBlocks = 2;
AugmentDraw draw_augment(const AugmentOptions& opt, int64_t H, int64_t W, Generator& gen);
// Sample `index`'s draw under `seed`: the blocks from offset index * kAugmentBlocks, the loader's
// scheme, so any sample is drawn alone, in any order, on any thread.
AugmentDraw draw_augment_for_sample(const AugmentOptions& opt, int64_t H, int64_t W, uint64_t seed, int64_t index);

// Applies a draw in the order affine, crop, flip: src and dst are uint8 [C,H,W] contiguous buffers
// (distinct); `scratch` holds at least C*H*W bytes. Trusts its arguments.
void apply_augment(const uint8_t* src, uint8_t* dst, uint8_t* scratch, int64_t C, int64_t H, int64_t W,
                   const AugmentDraw& draw, int64_t crop_padding);

// Where apply_augment moves the point (x, y) of an H x W image, in the same coordinates (pixel
// centres at integers): through the affine map, the crop's shift and the flip, in that order. True
// when the pixels under the point survive: it lies on the image, [-0.5, W - 0.5) x [-0.5, H - 0.5),
// before, after the affine map and after the crop (each stage drops what leaves it, and the crop
// fills in zeros, so a point back inside at the end may sit on padding).
bool augment_point(const AugmentDraw& draw, int64_t H, int64_t W, int64_t crop_padding, double& x, double& y);

// Tensor forms (uint8 [C,H,W], any strides, CPU), each returning a new contiguous image.
// out[c, y, x] = in[c, y, W-1-x]
Tensor hflip(const Tensor& image);
// out[c, y, x] = padded[c, y + dy, x + dx], padded = image with `padding` zeros on every side;
// dy, dx in [0, 2 * padding].
Tensor crop_with_padding(const Tensor& image, int64_t padding, int64_t dy, int64_t dx);
// Rotation by `degrees` (counter-clockwise as displayed, y pointing down), scaling by `scale` about
// the image centre ((W-1)/2, (H-1)/2), then a shift by (tx, ty) pixels; bilinear, zero outside.
Tensor affine(const Tensor& image, double degrees, double tx, double ty, double scale);
// draw_augment + apply_augment.
Tensor augment(const Tensor& image, const AugmentOptions& opt, Generator& gen);

}  // namespace oc
