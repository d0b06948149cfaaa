// Detection heads: how a detector's outputs are trained (loss against a batch's boxes) and read back
// as boxes (decode). One implementation per head in nets/det/<name>_head.cpp, chosen by task.head
// through det_head_registry(); the detection task (train/tasks/det_task.cpp) and `ocellus infer` use
// only this.
#pragma once
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/registry.h"
#include "nets/network.h"

namespace oc {

// The task.* keys of a detection config (docs/config.md); each head uses the ones it needs.
struct DetSettings {
  std::string head = "yolo";  // a det_head_registry() name
  // yolo: anchor shapes (width, height) in input pixels (`ocellus data anchors` computes them).
  std::vector<std::array<double, 2>> anchors = {{12, 12}, {24, 24}, {40, 40}, {64, 64}};
  double stride = 8;              // yolo: input pixels per grid cell
  int64_t max_objects = 32;       // box slots per image in a batch (objects beyond them are dropped)
  double ignore_threshold = 0.5;  // yolo: a prediction with IoU above this with a ground truth is no negative
  std::string box_loss = "l2";    // yolo: l2 (on the offsets and log sizes) | giou (on the decoded box)
  double box_weight = 1, object_weight = 1, noobject_weight = 1, class_weight = 1;  // loss terms
  double score_threshold = 0.05;  // decoding: candidates above this score
  int64_t pre_nms_top_k = 1000;   // decoding: the best candidates per image that go to NMS
  double nms_threshold = 0.5;     // decoding: per-class NMS IoU threshold
  int64_t max_detections = 100;   // decoding: the best boxes kept per image
};

struct DetHeadGeometry {
  int64_t classes = 0;    // object classes (no background)
  int64_t H = 0, W = 0;   // input image size
};

// One box found: corners in input pixels (COCO convention: pixel i spans [i, i + 1]).
struct Detection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float score = 0;
  int64_t label = 0;  // class index, 0 .. classes - 1
};

// The loss terms of one batch, each already weighted; total is their sum (differentiable).
struct DetLoss {
  Tensor total;
  std::vector<std::pair<std::string, Tensor>> terms;  // e.g. box, object, class
};

class DetHead {
 public:
  DetHead(const DetSettings& s, const DetHeadGeometry& g) : s_(s), g_(g) {}
  virtual ~DetHead() = default;
  // Checks that the model's outputs fit the head; errors name `source`, the config file.
  virtual void check_outputs(const Network& model, const std::string& source) const = 0;
  // boxes: float32 [B, M, 5] on the CPU, (label, x1, y1, x2, y2) per slot, label -1 for empty slots.
  virtual DetLoss loss(const std::vector<Tensor>& outputs, const Tensor& boxes) const = 0;
  // The boxes found in each image, by decreasing score.
  virtual std::vector<std::vector<Detection>> decode(const std::vector<Tensor>& outputs) const = 0;

  const DetSettings& settings() const { return s_; }
  const DetHeadGeometry& geometry() const { return g_; }

 protected:
  DetSettings s_;
  DetHeadGeometry g_;
};

using DetHeadMaker = std::function<std::unique_ptr<DetHead>(const DetSettings&, const DetHeadGeometry&)>;
const Registry<DetHeadMaker>& det_head_registry();

// The head s.head for `model` (input [C, H, W]) and `classes` classes, its outputs checked.
std::unique_ptr<DetHead> make_det_head(const DetSettings& s, const Network& model, int64_t classes,
                                       const std::string& source);

}  // namespace oc
