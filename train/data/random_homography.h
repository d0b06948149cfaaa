// Random homographies in the style of SuperPoint's homographic adaptation (rotation, log-uniform
// scale, perspective and translation, composed about the image centre), and the local similarity
// (rotation and scale) a homography applies at a point, for LIFT's training data
// (train/data/homography_pairs.h).
#pragma once
#include <cstdint>

#include "train/data/homography.h"
#include "train/data/synth_random.h"

namespace oc {

struct HomographyRanges {
  double rotation_degrees = 30;          // uniform in [-r, r], counter-clockwise as displayed
  double scale_min = 0.8, scale_max = 1.25;  // log-uniform
  double perspective = 0.1;              // each image corner moved by up to this x (width, height)
  double translation = 0.1;              // the centre moved by up to this x (width, height)
  void check() const;                    // throws oc::Error naming the bad field
};

// A homography from view a to view b of a width x height image: with c the image centre,
// H = T(c + t) R(angle) S(scale) T(-c) P, where P moves the four image corners by independent
// uniform offsets (the perspective part) and t is a uniform translation. Draws from `r` only, so a
// stream keyed by (seed, index) gives the same H on any thread.
Homography random_homography(const HomographyRanges& ranges, int64_t width, int64_t height, SynthRandom& r);

// The similarity closest to H's Jacobian J at (x, y): `angle` (radians, counter-clockwise as displayed
// with y down, as homography_rotation: content at (x, y) turns by this much from a to b) =
// atan2(J01 - J10, J00 + J11), and `scale` = sqrt(|det J|). H = homography_rotation(d) gives d in
// radians and scale 1 everywhere.
struct LocalSimilarity {
  double angle = 0, scale = 1;
};
LocalSimilarity homography_local_similarity(const Homography& h, double x, double y);

}  // namespace oc
