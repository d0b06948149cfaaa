// Distorted MNIST-style data sets, as in "Spatial Transformer Networks" (Jaderberg et al., 2015):
// rotated, rotated-translated-scaled, projective and cluttered versions of a [N,C,side,side] data
// set, generated in memory at load time. Sample i's random parameters depend only on (seed, i), so
// the result is the same with any thread count and on any machine.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "train/data/dataset.h"
#include "train/data/homography.h"

namespace oc {

enum class Distortion { none, rotated, rts, projective, cluttered };

// "none", "rotated", "rts", "projective", "cluttered"; any other name is an oc::Error that names it
// and lists these.
Distortion distortion_from_string(const std::string& name);
std::string distortion_name(Distortion kind);
std::vector<std::string> distortion_names();

// The output side for a side x side source: none, rotated, projective: side; rts: 3/2 side (42 for
// 28); cluttered: 15/7 side, rounded (60 for 28).
int64_t distortion_canvas(Distortion kind, int64_t side);

// The seed the test split always uses, whatever the config's seeds: the same test images on every
// run and machine.
constexpr uint64_t kDistortionTestSeed = 0x7e57da7a;

// A patch of another image pasted into a cluttered sample (max-composited).
struct ClutterFragment {
  int64_t image = 0;         // the source image's index in the same data set
  int64_t src_y = 0, src_x = 0;  // the patch's top-left corner in that image
  int64_t dst_y = 0, dst_x = 0;  // where its top-left corner lands on the canvas
};

// The random parameters one sample got.
struct DistortionDraw {
  int64_t canvas = 0;                // output side
  Homography to_source;              // output pixel -> source pixel
  double degrees = 0, scale = 1;     // rotated, rts (projective: the scale before the corner noise)
  double centre_x = 0, centre_y = 0; // where the source's centre lands on the canvas (rts, cluttered)
  int64_t fragment_side = 0;         // cluttered: the patches are fragment_side x fragment_side
  std::vector<ClutterFragment> fragments;  // cluttered
};

// Sample `index` of a data set of `num_images` side x side images, under `seed`.
//   rotated:    rotation uniform in [-90, 90] degrees about the centre.
//   rts:        rotation in [-45, 45], scale in [0.7, 1.2], the item's centre uniform over the
//               positions that keep its (unrotated, scaled) square on the canvas.
//   projective: scale in [0.75, 1] about the centre, then each corner moved by N(0, (0.1 side)^2)
//               per coordinate, clipped to 2 std; the homography maps the source square to that.
//   cluttered:  the item at a uniform integer offset, plus 6 patches of 6/28 side from other
//               random images at uniform positions.
DistortionDraw draw_distortion(Distortion kind, int64_t side, int64_t num_images, uint64_t seed, int64_t index);

// The distorted data set: images uint8 [N, C, canvas, canvas] (bilinear, zero outside, rounded),
// labels and class names unchanged. "none" returns src itself. src must be uint8 [N,C,S,S] on the CPU.
ImageDataset distort_dataset(const ImageDataset& src, Distortion kind, uint64_t seed);

}  // namespace oc
