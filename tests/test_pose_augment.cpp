// Pose augmentation: a joint goes where the warp takes the pixels under it (a blob's centroid
// after apply_augment lands on augment_point's answer), flips swap left and right, joints leaving
// the image become unlabelled, and the data set's transform is the loader's draw, repeatably.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "kernels/views/views.h"
#include "tests/helpers.h"
#include "train/data/augment.h"
#include "train/data/pose_augment.h"
#include "train/data/pose_dataset.h"
#include "train/data/pose_synth.h"
#include "train/io/coco_keypoints.h"

using namespace oc;

namespace {

// A Gaussian blob of width sigma at (x0, y0) (pixel centres at integers) on a black 1 x S x S image.
std::vector<uint8_t> blob(int64_t S, double x0, double y0, double sigma) {
  std::vector<uint8_t> img(static_cast<size_t>(S * S));
  for (int64_t y = 0; y < S; ++y)
    for (int64_t x = 0; x < S; ++x) {
      const double d2 = (x - x0) * (x - x0) + (y - y0) * (y - y0);
      img[static_cast<size_t>(y * S + x)] = static_cast<uint8_t>(std::lround(250 * std::exp(-d2 / (2 * sigma * sigma))));
    }
  return img;
}

void centroid(const std::vector<uint8_t>& img, int64_t S, double& cx, double& cy) {
  double w = 0, sx = 0, sy = 0;
  for (int64_t y = 0; y < S; ++y)
    for (int64_t x = 0; x < S; ++x) {
      const double v = img[static_cast<size_t>(y * S + x)];
      w += v, sx += v * x, sy += v * y;
    }
  cx = sx / w, cy = sy / w;
}

Skeleton face() { return skeleton_from_names({"nose", "left_eye", "right_eye"}, {{0, 1}, {0, 2}}); }

}  // namespace

TEST_CASE("pose augment: a point moves with the pixels under it, for every kind of draw") {
  AugmentOptions opt;
  opt.horizontal_flip = true;
  opt.random_crop_padding = 4;
  opt.affine_degrees = 40;
  opt.affine_translate = 0.08;
  opt.affine_scale_min = 0.8, opt.affine_scale_max = 1.25;
  const int64_t S = 64;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> near_centre(S / 2.0 - 8, S / 2.0 + 8);
  int flips = 0, rotations = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const double x0 = near_centre(rng), y0 = near_centre(rng);
    const std::vector<uint8_t> in = blob(S, x0, y0, 2.0);
    Generator gen(1000 + trial);
    const AugmentDraw d = draw_augment(opt, S, S, gen);
    flips += d.flip;
    rotations += std::abs(d.degrees) > 10;
    std::vector<uint8_t> out(in.size()), scratch(in.size());
    apply_augment(in.data(), out.data(), scratch.data(), 1, S, S, d, opt.random_crop_padding);
    double px, py, x = x0, y = y0;
    centroid(out, S, px, py);
    augment_point(d, S, S, opt.random_crop_padding, x, y);
    INFO("trial " << trial << ": (" << x0 << ", " << y0 << ") degrees " << d.degrees << " scale " << d.scale
                  << " shift " << d.translate_x << "," << d.translate_y << " crop " << d.crop_dx << "," << d.crop_dy
                  << " flip " << d.flip << ": pixels' centroid (" << px << ", " << py << "), point (" << x << ", " << y
                  << ")");
    CHECK(std::abs(px - x) < 0.1);
    CHECK(std::abs(py - y) < 0.1);
  }
  CHECK(flips > 4);  // the draws covered flips and large rotations
  CHECK(rotations > 4);
}

TEST_CASE("pose augment: a flip mirrors x and swaps left and right joints") {
  const Skeleton s = face();
  REQUIRE(s.flip_pairs.size() == 1);
  AugmentDraw d;
  d.flip = true;
  // Two people slots: nose, left eye, right eye of one person; the second slot empty.
  std::vector<float> t = {3, 4, 2, 5, 6, 1, 7, 8, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  augment_pose_targets(d, s, 10, 20, 0, 2, t.data());
  const std::vector<float> want = {16, 4, 2, 12, 8, 2, 14, 6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  CHECK(t == want);
}

TEST_CASE("pose augment: crops shift, rotations turn, and joints leaving the image are unlabelled") {
  const Skeleton s = face();
  AugmentDraw crop;
  crop.crop_dx = 0, crop.crop_dy = 4;  // padding 2: x + 2, y - 2
  std::vector<float> t = {3, 4, 2, 5, 1, 1, 0, 0, 0};
  augment_pose_targets(crop, s, 10, 20, 2, 1, t.data());
  CHECK(t == std::vector<float>{5, 2, 2, 0, 0, 0, 0, 0, 0});  // the left eye went above the top row

  AugmentDraw turn;  // 90 degrees counter-clockwise as displayed, about (10, 10)
  turn.affine = true, turn.degrees = 90;
  t = {15, 10, 2, 10, 13, 2, 10, 10, 1};
  augment_pose_targets(turn, s, 21, 21, 0, 1, t.data());
  const std::vector<float> want = {10, 5, 2, 13, 10, 2, 10, 10, 1};
  for (size_t i = 0; i < t.size(); ++i) CHECK(t[i] == Approx(want[i]).margin(1e-5));

  // Pixels the affine map pushes off the canvas are lost before the crop pads with zeros: a joint
  // brought back inside by the crop's shift sits on padding, so it is unlabelled; so is one that
  // starts off the image and is carried onto it.
  AugmentDraw lost;
  lost.affine = true, lost.translate_x = -5, lost.crop_dx = 0, lost.crop_dy = 4;  // padding 4: x + 4
  t = {1, 5, 2, 8, 5, 2, -3, 5, 1};
  augment_pose_targets(lost, s, 10, 20, 4, 1, t.data());
  CHECK(t == std::vector<float>{0, 0, 0, 7, 5, 2, 0, 0, 0});  // -4 after the affine map, 0 after the crop
  double x = -3, y = 5;
  AugmentDraw in;
  in.affine = true, in.translate_x = 5;
  CHECK_FALSE(augment_point(in, 10, 20, 0, x, y));  // lands at x = 2, but its pixels were never there
  CHECK(x == Approx(2));
  x = 1, y = 5;
  CHECK(augment_point(in, 10, 20, 0, x, y));
  CHECK(x == Approx(6));

  AugmentDraw away;
  away.affine = true, away.translate_x = 30;
  t = {15, 10, 2, 1, 1, 2, 10, 10, 1};
  augment_pose_targets(away, s, 21, 21, 0, 1, t.data());
  CHECK(t == std::vector<float>(9, 0.0f));
}

TEST_CASE("pose augment: the data set's transform is the loader's draw for that sample and seed") {
  test::TempDir dir("ocellus_pose_augment");
  PoseSynthOptions o;
  o.count = 3, o.size = 64, o.min_people = 1, o.max_people = 2, o.seed = 5;
  write_pose_synth(dir.str(), o);
  PoseDataset ds = load_pose_dataset(dir.str(), 2);
  AugmentOptions opt;
  opt.horizontal_flip = true;
  opt.affine_degrees = 25;
  opt.affine_scale_min = 0.9, opt.affine_scale_max = 1.1;
  opt.random_crop_padding = 3;
  set_pose_augment(ds, opt);
  REQUIRE(ds.data.transform);
  const int64_t per = ds.data.targets.numel() / 3;
  const std::vector<float> all_targets = to_vector<float>(ds.data.targets);
  for (int64_t i = 0; i < 3; ++i) {
    const Tensor image = select(ds.data.images, 0, i);
    auto run = [&](uint64_t seed, std::vector<float>& target) {
      target.assign(all_targets.begin() + i * per, all_targets.begin() + (i + 1) * per);
      return to_vector<uint8_t>(ds.data.transform(i, seed, image, target.data(), nullptr));
    };
    std::vector<float> t1, t2, t3;
    const std::vector<uint8_t> a = run(41, t1), b = run(41, t2), c = run(42, t3);
    CHECK(a == b);  // the same seed and sample: the same result
    CHECK(t1 == t2);
    CHECK(a != c);  // another epoch's seed: another draw

    // Composition: the loader's Generator scheme, then the pixels' and the joints' maps.
    Generator gen(41);
    gen.offset = static_cast<uint64_t>(i) * kAugmentBlocks;
    const AugmentDraw d = draw_augment(opt, 64, 64, gen);
    const Tensor src = contiguous(image);
    std::vector<uint8_t> want(static_cast<size_t>(src.numel())), scratch(want.size());
    apply_augment(src.data<uint8_t>(), want.data(), scratch.data(), 3, 64, 64, d, opt.random_crop_padding);
    CHECK(a == want);
    std::vector<float> want_t(all_targets.begin() + i * per, all_targets.begin() + (i + 1) * per);
    augment_pose_targets(d, ds.skeleton, 64, 64, opt.random_crop_padding, 2, want_t.data());
    CHECK(t1 == want_t);
  }
}
