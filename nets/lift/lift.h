// LIFT (Yi et al., ECCV 2016): a keypoint detector, an orientation estimator and a descriptor chained
// by differentiable pieces of the engine: the detector's score map -> soft-argmax -> a spatial
// transformer crop around the keypoint -> the predicted orientation -> a second, rotated crop -> the
// descriptor. The detector is the model (a fully convolutional score map); the orientation and
// descriptor networks are attached to it ("orientation", "descriptor"; Network::attach), so one
// checkpoint holds all three. Training stages and losses: train/tasks/lift_task.h.
#pragma once
#include <cstdint>
#include <limits>
#include <string>

#include "nets/network.h"

namespace oc {

struct LiftSettings {
  std::string stage = "descriptor";        // what trains: descriptor | orientation | detector
  int64_t crop = 32;                       // the orientation and descriptor nets read [1, crop, crop]
  double crop_extent = 32;                 // ... covering crop_extent x crop_extent pixels of the image
  std::string descriptor_loss = "hardest_triplet";  // | "pair_hinge" (LIFT's)
  double margin = 1.0;                     // of the descriptor loss
  double beta = 10;                        // soft-argmax temperature on the score map
  double augment_degrees = 180;            // orientation stage, training: each crop is first turned by a
                                           // random angle in [-a, a] (0: off)
  double orientation_angle_weight = 0;     // orientation stage: + w x (1 - cos) of the predicted relative
                                           // turn's error against the true one (0: LIFT's loss alone)
  int64_t detector_window = 20;            // training: the keypoint is sought in the central window x window
                                           // pixels of the patch, so its rotated crop stays inside
  double classification_weight = 0.1;      // detector stage: the keypoint / non-keypoint term's weight
  // Inference (whole images).
  int64_t nms_radius = 4;                  // a keypoint is the maximum of its (2r + 1)^2 neighbourhood
  int64_t max_keypoints = 1000;            // the strongest ones
  double min_score = -std::numeric_limits<double>::infinity();
  int64_t refine_radius = 2;               // soft-argmax in the (2r + 1)^2 window around each maximum
  int64_t eval_pairs = 0;                  // evaluation: matching on this many held-out image pairs (0: none)
};

// The three networks of a LIFT model: the model itself and its two attached networks. Errors name
// what is missing.
struct LiftNets {
  Network* detector;
  Network* orientation;
  Network* descriptor;
};
LiftNets lift_nets(Network& model);

// Affine matrices [N, 2, 3] of crops for affine_grid (align_corners false): the output's normalized
// coordinates u map to centre + scale * R u in the input's normalized coordinates, R = [[c, s], [-s, c]]
// from cos_sin [N, 2] (rows (cos, sin) of angles counter-clockwise as displayed, y down); an
// undefined cos_sin is R = I. centre [N, 2] (x, y) normalized. Differentiable in centre and cos_sin.
Tensor crop_theta(const Tensor& centre, const Tensor& cos_sin, double scale);
// crops [N, C, size, size] of images [N, C, H, W] (bilinear, zeros outside).
Tensor crop_patches(const Tensor& images, const Tensor& theta, int64_t size);
// The orientation net's [N, 2] output as unit (cos, sin) rows.
Tensor predict_orientation(Network& orientation, const Tensor& crops);
// The descriptor net's [N, D] output as unit rows.
Tensor describe(Network& descriptor, const Tensor& crops);

// Rotations as unit (cos, sin) rows [N, 2] (angles counter-clockwise as displayed):
// by a, then by b (the complex product), and the inverse of a (cos, -sin).
Tensor compose_rotations(const Tensor& a, const Tensor& b);
Tensor inverse_rotation(const Tensor& a);
// The mean of 1 - cos(a2 - a1 - t): how far the turn from orientation o1 to o2 is from the true turn
// t (all [N, 2] unit rows); 0 when it is right, 2 when it is off by 180 degrees.
Tensor turn_error_loss(const Tensor& o1, const Tensor& o2, const Tensor& truth);

}  // namespace oc
