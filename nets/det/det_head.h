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
  // `ocellus infer` on an image of another size: "stretch" to the input size (each axis its own
  // scale), or "letterbox" (one scale that fits, centred, the border at the data mean).
  std::string resize = "stretch";

  // faster_rcnn: anchors of every size x aspect ratio (height / width) at each cell of the stride-s
  // feature map (torchvision's AnchorGenerator), the region proposal network and the RoI stage.
  std::vector<double> anchor_sizes = {16, 32, 64};
  std::vector<double> aspect_ratios = {0.5, 1, 2};
  struct Rpn {
    double fg_iou = 0.7, bg_iou = 0.3;      // an anchor is positive at IoU >= fg, negative below bg
    int64_t batch_size = 256;               // anchors sampled per image for the loss
    double positive_fraction = 0.5;
    int64_t pre_nms_top_k_train = 2000, pre_nms_top_k_test = 1000;    // proposals per image into NMS
    int64_t post_nms_top_k_train = 2000, post_nms_top_k_test = 1000;  // and kept after it
    double nms_threshold = 0.7;
    double min_size = 1e-3;                 // proposals narrower or lower than this are dropped
  } rpn;
  struct Roi {
    int64_t size = 7;            // RoIAlign output bins per side (the box head's input [C, size, size])
    int64_t sampling_ratio = 2;  // bilinear samples per bin and axis (<= 0: adaptive)
    double fg_iou = 0.5, bg_iou = 0.5;  // a proposal is its ground truth's class at IoU >= fg, background below bg
    int64_t batch_size = 512;    // proposals sampled per image for the loss
    double positive_fraction = 0.25;
    int64_t mask_size = 14;      // mask_rcnn: RoIAlign bins per side for the mask head ([C, mask_size, mask_size])
  } roi;
  double mask_weight = 1;        // mask_rcnn: the mask term's weight
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
  Tensor mask;        // mask_rcnn: uint8 [H, W] at the model's input size, 1 on the object; else undefined
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
  // boxes: float32 [B, M, 5] on the CPU, (label, x1, y1, x2, y2) per slot, label -1 for empty slots;
  // masks: uint8 [B, M, H, W] on the CPU, slot-aligned with boxes, for heads that learn masks
  // (learns_masks()), else undefined. draw_key: the Philox key of the loss's random draws (the
  // two-stage heads sample anchors and RoIs); the loss depends on it alone, never on earlier calls,
  // so the detection task passes one per batch and a resumed run samples what an uninterrupted one does.
  virtual DetLoss loss(const std::vector<Tensor>& outputs, const Tensor& boxes, const Tensor& masks = Tensor(),
                       uint64_t draw_key = 0) const = 0;
  virtual bool learns_masks() const { return false; }
  // The boxes found in each image, by decreasing score.
  virtual std::vector<std::vector<Detection>> decode(const std::vector<Tensor>& outputs) const = 0;

  const DetSettings& settings() const { return s_; }
  const DetHeadGeometry& geometry() const { return g_; }

 protected:
  DetSettings s_;
  DetHeadGeometry g_;
};

// model: the network whose outputs the head reads; a head may use networks attached to it
// (Network::attach), e.g. faster_rcnn's "box_head".
// One image's candidates -> the boxes kept: the best s.pre_nms_top_k by score (ties: the earlier
// candidate), per-class NMS at s.nms_threshold, at most s.max_detections, by decreasing score.
std::vector<Detection> keep_best_detections(std::vector<Detection> candidates, const DetSettings& s);

using DetHeadMaker =
    std::function<std::unique_ptr<DetHead>(const DetSettings&, const DetHeadGeometry&, const Network& model)>;
const Registry<DetHeadMaker>& det_head_registry();

// The head s.head for `model` (input [C, H, W]) and `classes` classes, its outputs checked.
std::unique_ptr<DetHead> make_det_head(const DetSettings& s, const Network& model, int64_t classes,
                                       const std::string& source);

}  // namespace oc
