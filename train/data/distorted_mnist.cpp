// The distortion variants: names, per-sample parameter draws and the threaded loop over a data set
// (see distorted_mnist.h).
#include "train/data/distorted_mnist.h"

#include <algorithm>
#include <cmath>

#include "core/enum_names.h"
#include "core/thread_pool.h"
#include "kernels/copy/copy.h"
#include "kernels/random/philox.h"

namespace oc {
namespace {

// Sample i reads Philox blocks [i * kBlocksPerSample, (i + 1) * kBlocksPerSample) of the stream keyed
// by the seed: disjoint per sample, so any sample can be drawn alone, in any order.
constexpr uint64_t kBlocksPerSample = 64;

class SampleRandom {
 public:
  SampleRandom(uint64_t seed, int64_t index)
      : seed_(seed), next_block_(static_cast<uint64_t>(index) * kBlocksPerSample), end_(next_block_ + kBlocksPerSample) {}

  uint32_t word() {
    if (used_ == 4) {
      OC_CHECK(next_block_ < end_, "distort: a sample drew more than ", kBlocksPerSample, " Philox blocks");
      block_ = philox4x32_10(next_block_++, seed_);
      used_ = 0;
    }
    return block_.w[used_++];
  }
  // Uniform in [a, b).
  double uniform(double a, double b) { return a + (b - a) * (static_cast<double>(word()) * (1.0 / 4294967296.0)); }
  // Uniform integer in [0, n).
  int64_t below(int64_t n) { return static_cast<int64_t>((static_cast<uint64_t>(word()) * static_cast<uint64_t>(n)) >> 32); }
  // Standard normal (Box-Muller; philox_unit is never 0, so the log is finite).
  double normal() {
    const double u1 = philox_unit(word()), u2 = philox_unit(word());
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  uint64_t seed_, next_block_, end_;
  PhiloxBlock block_{};
  int used_ = 4;
};

// to_source for "rotate by degrees and scale by s about the source centre c, then put c at p":
// the inverse of T(p) R(degrees) S(s) T(-c).
Homography rotate_scale_place(double degrees, double s, double c, double px, double py) {
  Homography h = homography_translation(c, c);
  h = homography_mul(h, homography_scaling(1.0 / s));
  h = homography_mul(h, homography_rotation(-degrees));
  return homography_mul(h, homography_translation(-px, -py));
}

int64_t fragment_side_for(int64_t side) { return std::max<int64_t>(1, std::llround(side * 6.0 / 28.0)); }

// Max-composites the fragments' patches onto dst ([C, S, S]); images is [N, C, side, side].
void paste_fragments(const DistortionDraw& d, const uint8_t* images, int64_t C, int64_t side, uint8_t* dst) {
  const int64_t f = d.fragment_side, S = d.canvas;
  for (const ClutterFragment& fr : d.fragments)
    for (int64_t c = 0; c < C; ++c) {
      const uint8_t* p = images + (fr.image * C + c) * side * side;
      uint8_t* q = dst + c * S * S;
      for (int64_t y = 0; y < f; ++y)
        for (int64_t x = 0; x < f; ++x) {
          const uint8_t v = p[(fr.src_y + y) * side + fr.src_x + x];
          uint8_t& o = q[(fr.dst_y + y) * S + fr.dst_x + x];
          o = std::max(o, v);
        }
    }
}

}  // namespace

constexpr EnumName<Distortion> kDistortionNames[] = {{Distortion::none, "none"},
                                                     {Distortion::rotated, "rotated"},
                                                     {Distortion::rts, "rts"},
                                                     {Distortion::projective, "projective"},
                                                     {Distortion::cluttered, "cluttered"}};

std::vector<std::string> distortion_names() { return enum_names(kDistortionNames); }
Distortion distortion_from_string(const std::string& name) {
  return enum_from_name(kDistortionNames, name, "unknown distortion");
}
std::string distortion_name(Distortion kind) { return enum_to_name(kDistortionNames, kind); }

int64_t distortion_canvas(Distortion kind, int64_t side) {
  if (kind == Distortion::rts) return std::llround(side * 1.5);
  if (kind == Distortion::cluttered) return std::llround(side * 60.0 / 28.0);
  return side;
}

DistortionDraw draw_distortion(Distortion kind, int64_t side, int64_t num_images, uint64_t seed, int64_t index) {
  SampleRandom rng(seed, index);
  DistortionDraw d;
  d.canvas = distortion_canvas(kind, side);
  const double c = (side - 1) * 0.5;  // the source centre, in pixel-centre coordinates
  d.centre_x = d.centre_y = c;
  switch (kind) {
    case Distortion::none:
      break;
    case Distortion::rotated:
      d.degrees = rng.uniform(-90, 90);
      d.to_source = rotate_scale_place(d.degrees, 1, c, c, c);
      break;
    case Distortion::rts: {
      d.degrees = rng.uniform(-45, 45);
      d.scale = rng.uniform(0.7, 1.2);
      // The scaled square spans centre +- half; pixel edges are at -0.5 and canvas - 0.5.
      const double half = 0.5 * side * d.scale, lo = half - 0.5, hi = d.canvas - 0.5 - half;
      d.centre_x = rng.uniform(lo, hi);
      d.centre_y = rng.uniform(lo, hi);
      d.to_source = rotate_scale_place(d.degrees, d.scale, c, d.centre_x, d.centre_y);
      break;
    }
    case Distortion::projective: {
      d.scale = rng.uniform(0.75, 1.0);
      const double e = side - 0.5, sd = 0.1 * side;  // outer edges of the corner pixels
      const double src[4][2] = {{-0.5, -0.5}, {e, -0.5}, {e, e}, {-0.5, e}};
      double dst[4][2];
      for (int k = 0; k < 4; ++k)
        for (int a = 0; a < 2; ++a)
          dst[k][a] = c + d.scale * (src[k][a] - c) + sd * std::clamp(rng.normal(), -2.0, 2.0);
      d.to_source = homography_from_points(dst, src);  // output corners -> source corners
      break;
    }
    case Distortion::cluttered: {
      const int64_t ox = rng.below(d.canvas - side + 1), oy = rng.below(d.canvas - side + 1);
      d.centre_x = ox + c;
      d.centre_y = oy + c;
      d.to_source = homography_translation(-static_cast<double>(ox), -static_cast<double>(oy));
      d.fragment_side = fragment_side_for(side);
      const int64_t f = d.fragment_side;
      for (int k = 0; k < 6; ++k) {
        ClutterFragment fr;
        // Another image than this one (itself only when it is the only one).
        fr.image = num_images > 1 ? rng.below(num_images - 1) : 0;
        if (num_images > 1 && fr.image >= index) ++fr.image;
        fr.src_y = rng.below(side - f + 1);
        fr.src_x = rng.below(side - f + 1);
        fr.dst_y = rng.below(d.canvas - f + 1);
        fr.dst_x = rng.below(d.canvas - f + 1);
        d.fragments.push_back(fr);
      }
      break;
    }
  }
  return d;
}

ImageDataset distort_dataset(const ImageDataset& src, Distortion kind, uint64_t seed) {
  const Tensor& im = src.images;
  OC_CHECK(im.defined() && im.dtype() == DType::u8 && im.dim() == 4 && im.device().is_cpu() && im.size(2) == im.size(3),
           "distort_dataset: expected uint8 [N,C,S,S] images on the CPU, got ",
           im.defined() ? im.str() : "an undefined tensor");
  OC_CHECK(src.labels.defined() && src.labels.dim() == 1 && src.labels.size(0) == im.size(0),
           "distort_dataset: ", im.size(0), " images but labels ", src.labels.defined() ? src.labels.str() : "undefined");
  if (kind == Distortion::none) return src;
  const Tensor in = contiguous(im);
  const int64_t N = in.size(0), C = in.size(1), side = in.size(2), S = distortion_canvas(kind, side);
  Tensor out = Tensor::empty({N, C, S, S}, DType::u8);
  const uint8_t* sp = in.data<uint8_t>();
  uint8_t* dp = out.data<uint8_t>();
  parallel_for(0, N, 64, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const DistortionDraw d = draw_distortion(kind, side, N, seed, i);
      uint8_t* o = dp + i * C * S * S;
      warp_homography(sp + i * C * side * side, C, side, side, o, S, S, d.to_source);
      paste_fragments(d, sp, C, side, o);
    }
  });
  ImageDataset r = src;
  r.images = out;
  return r;
}

}  // namespace oc
