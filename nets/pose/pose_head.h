// Pose heads: how a model's outputs are trained (targets, loss) and read back as people (decode).
// One implementation per head in nets/pose/<name>_head.cpp, chosen by task.head through
// pose_head_registry(); the pose task (train/tasks/pose_task.cpp) and `ocellus infer` use only this.
#pragma once
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/registry.h"
#include "nets/network.h"
#include "nets/pose/keypoints.h"
#include "nets/pose/pose_assembly.h"

namespace oc {

// The task.* keys of a pose config (docs/config.md); each head uses the ones it needs.
struct PoseSettings {
  std::string head = "integral";  // a pose_head_registry() name: direct | heatmap | integral | paf
  double stride = 4;              // input pixels per heatmap cell (heatmap, integral, paf)
  double sigma = 2;               // Gaussian target width in input pixels (heatmap "mse", integral map, paf)
  std::string heatmap_loss = "mse";  // heatmap: mse (to Gaussians) | cross_entropy (over each map)
  double beta = 1;                // integral: soft-argmax temperature
  double coordinate_weight = 1;   // integral: weight of the L1 loss on the joints' coordinates
  // integral: weight of the map loss, KL(Gaussian of width sigma, normalised | softmax(beta * map)),
  // which keeps each joint's distribution compact around the joint (Sun et al. combine the two).
  double map_weight = 0;
  // integral decoding: 0 takes the expectation over the whole map (Sun et al.); R > 0 only over the
  // (2R+1)^2 cells around each map's maximum, so that mass far from the peak (a second mode, the
  // tail of the softmax) does not pull the joint towards it. Training is the same either way.
  int64_t decode_window = 0;
  int64_t max_people = 1;         // people slots per image (paf: > 1)
  double limb_width = 4;          // paf: field half-width in input pixels
  double peak_threshold = 0.1;    // paf decoding: heatmap peaks above this
  double target_weight = 1;       // heatmap "mse", paf: weight of the cells where the target is non-zero
  PoseAssemblyOptions assembly;   // paf: how limbs are accepted and people kept (stride, image size set by the head)
};

struct PoseHeadGeometry {
  int64_t K = 0, H = 0, W = 0;  // joints, input image size
  int64_t Hh = 0, Wh = 0;       // heatmap size (H / stride, W / stride)
  double s = 4;                 // stride
  std::vector<std::array<int, 2>> limbs;  // paf: the skeleton's limbs, one 2-channel field each
};

// What a head compares its outputs with, made from one batch's keypoints.
struct PoseTargets {
  std::vector<Tensor> tensors;  // by head: coordinates, cell indices or rendered maps, on the device
  Tensor mask;                  // [B,K,1] visible joints, for the heads that weight by it
  double visible = 1;           // max(1, visible joints): the normalizer of those heads
};

// Coordinates inside are "kernel" pixels (pixel centres at integers, see train/data/pose_dataset.h);
// a heatmap cell (i, j) of stride s is centred at (j s + (s-1)/2, i s + (s-1)/2).
class PoseHead {
 public:
  PoseHead(const PoseSettings& p, const PoseHeadGeometry& g) : p_(p), g_(g) {}
  virtual ~PoseHead() = default;
  // Checks that the model's outputs fit the head; errors name `source`, the config file.
  virtual void check_outputs(const Network& model, const std::string& source) const = 0;
  // Targets from keypoints [B, P, K, 3] (x, y, v per joint of each person slot), on `device`.
  virtual PoseTargets targets(const Tensor& keypoints, Device device) const = 0;
  // The loss (differentiable) of the outputs, in forward_outputs order.
  virtual Tensor loss(const std::vector<Tensor>& outputs, const PoseTargets& targets) const = 0;
  // The people found in each sample, in COCO coordinates of the model's input image (pixel centres
  // at +0.5); single-person heads give one person per sample.
  virtual std::vector<std::vector<Person>> decode(const std::vector<Tensor>& outputs) const = 0;

  const PoseSettings& settings() const { return p_; }
  const PoseHeadGeometry& geometry() const { return g_; }

 protected:
  PoseSettings p_;
  PoseHeadGeometry g_;
};

using PoseHeadMaker = std::function<std::unique_ptr<PoseHead>(const PoseSettings&, const PoseHeadGeometry&)>;

struct PoseHeadKind {
  bool multi_person = false;     // decodes any number of people (else one per image: max_people 1)
  int64_t values_per_joint = 1;  // channels of the first output per joint (direct: x, y)
  PoseHeadMaker make;
};

const Registry<PoseHeadKind>& pose_head_registry();
// The losses of the heatmap head (task.heatmap_loss), each a head of its own.
const Registry<PoseHeadMaker>& heatmap_loss_registry();

// The head p.head for `model` (input [C, H, W]; K = the skeleton's joints), its outputs checked.
std::unique_ptr<PoseHead> make_pose_head(const PoseSettings& p, const Network& model, const Skeleton& skeleton,
                                         const std::string& source);

}  // namespace oc
