// LIFT's training data (Yi et al. 2016): pairs of views of a photo related by a known random
// homography, and patch quadruplets cut at corresponding Harris corners (P1 in view a, P2 the same
// point in view b, P3 another keypoint of b, P4 a non-keypoint of a). Pair i depends only on
// (seed, split, i), so the files are identical with any number of threads. Layout: docs/data.md.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "train/data/corners.h"
#include "train/data/dataset.h"
#include "train/data/homography.h"
#include "train/data/random_homography.h"

namespace oc {

constexpr int64_t kLiftPatchSize = 64;      // each patch is 64 x 64, centred on its point
constexpr int64_t kLiftTargetColumns = 5;   // the data set's targets: angle, scale, photo, p.x, p.y
constexpr double kLiftMargin = 32;          // keypoints keep this far from the image edges (px)
constexpr double kLiftRepeatRadius = 2;     // a keypoint is repeated when b has a corner this close to H(p)
constexpr double kLiftMinApart = 16;        // P3 from H(p), and P4 from every corner of a, at least (px)
constexpr double kLiftNonKeypointResponse = 1e-6;  // P4's Harris response is below this (corners: above 1e-5)
// Added to --seed for the test split, so that `--split test` with the default seed is a fixed
// held-out set drawn from other random streams than any small training seed.
constexpr uint64_t kHomographyPairsTestSeedOffset = 1000003;

// The Harris corners of both views (train/data/corners.h defaults).
HarrisOptions lift_harris_options();

struct HomographyPairsOptions {
  std::string split = "train";       // "train" or "test": which photos (when `photos` is empty) and seed
  int64_t pairs_per_photo = 16;
  int64_t points_per_pair = 32;      // quadruplets per pair, at most
  int64_t width = 320, height = 240;  // the views' size
  HomographyRanges ranges;           // view a -> view b
  double noise = 3;                  // Gaussian pixel noise, sigma uniform in [0, noise] grey levels per view
  uint64_t seed = 0;
  std::vector<std::string> photos;   // photo files; empty: homography_pairs_photos(split)
  void check() const;                // throws oc::Error naming the bad field
};

// The fixed photo lists of the splits: file names in Debian's opencv-doc examples/data. Disjoint,
// and neither holds graf1.png, graf3.png (the LIFT test pair) or messi5.jpg.
const std::vector<std::string>& homography_pairs_photo_names(const std::string& split);
// Those of `split` that exist on this machine, as full paths; empty without opencv-doc.
std::vector<std::string> homography_pairs_photos(const std::string& split);
// The seed the split's pairs are drawn with: opt.seed, plus kHomographyPairsTestSeedOffset for "test".
uint64_t homography_pairs_stream_seed(const HomographyPairsOptions& opt);

// View a before noise: a photo (uint8 [C,H,W]) converted to gray, centre-cropped to the aspect
// width : height and resized to width x height (area average when shrinking, bilinear otherwise).
Tensor homography_pairs_view(const Tensor& photo, int64_t width, int64_t height);

// A kLiftPatchSize square of `image` (uint8 [1,H,W]) centred at (x, y): patch pixel (i, j) is the
// bilinear sample at (x + j - 31.5, y + i - 31.5), 0 outside the image, rounded. -> uint8 [64,64]
Tensor lift_patch(const Tensor& image, double x, double y);

struct PatchQuadruplet {
  int64_t pair = 0;
  double p[2] = {0, 0};             // keypoint in view a (x, y)
  double q[2] = {0, 0};             // H(p) in view b
  double negative[2] = {0, 0};      // P3's point in view b: another keypoint's image
  double non_keypoint[2] = {0, 0};  // P4's point in view a
  double angle = 0, scale = 1;      // homography_local_similarity(H, p)
};

struct GeneratedPair {
  Tensor a, b;                            // uint8 [1,height,width], with noise
  Homography h;                           // a -> b
  std::vector<PatchQuadruplet> quadruplets;
  Tensor patches;                         // uint8 [N,4,64,64]: P1, P2, P3, P4 of each quadruplet
};

// Pair `index` from `view` (homography_pairs_view of its photo): H drawn by random_homography, b =
// a warped through H, each view then given its own brightness, contrast and noise; the quadruplets
// at the strongest repeated corners of a (docs/data.md says which are kept).
GeneratedPair generate_homography_pair(const HomographyPairsOptions& opt, const Tensor& view, int64_t index);

struct HomographyPairsSummary {
  int64_t photos = 0, pairs = 0, quadruplets = 0;
};

// Writes dir/pairs/000000_a.png, 000000_b.png, ..., dir/pairs.json, dir/patches.idx.gz and
// dir/patches.json (each file atomically); pairs are numbered photo by photo.
HomographyPairsSummary write_homography_pairs(const std::string& dir, const HomographyPairsOptions& opt);

struct HomographyPair {
  std::string a, b;   // image paths, resolved against the directory
  Homography h;       // a -> b
  std::string photo;  // the source photo's file name
};

// dir/pairs.json; errors name the file and the JSON path.
std::vector<HomographyPair> read_homography_pairs(const std::string& dir);
// dir/patches.json; errors name the file and the JSON path.
std::vector<PatchQuadruplet> read_patch_quadruplets(const std::string& dir);

// The quadruplets as a data set: images uint8 [N,4,64,64] (the four patches as channels), labels
// int64 zeros [N], targets float32 [N,5] = (angle, scale, photo, p.x, p.y) (photo: the index of the
// pair's photo in pairs.json's order of first appearance), num_classes 0. limit > 0 keeps the first
// `limit`. Errors name the file (a missing one, or patches.idx.gz and patches.json disagreeing).
ImageDataset load_homography_patches(const std::string& dir, int64_t limit = 0);

}  // namespace oc
