// The YOLO-style single-stage head (YOLOv2/v3): the model's first output is an S x S grid of stride s,
// [A (5 + C), Gh, Gw], channels anchor-major: per anchor (tx, ty, tw, th, objectness, C class logits).
// A cell (i, j) and anchor (aw, ah) decode to the box centred at ((j + sigmoid(tx)) s, (i + sigmoid(ty)) s)
// of size (aw exp(tw), ah exp(th)); its score for class c is sigmoid(objectness) sigmoid(class c)
// (logistic classes, as YOLOv3). Training: each ground truth belongs to the cell holding its centre
// and to the anchor whose shape fits it best (IoU of the two sizes aligned at a corner); that
// prediction learns objectness 1, the box and the class. Every other prediction learns objectness 0,
// unless its decoded box overlaps a ground truth by more than ignore_threshold (it is then left
// alone: a good box that is not the assigned one is not punished).
#include <algorithm>
#include <cmath>

#include "kernels/boxes/boxes_math.h"
#include "kernels/ops.h"
#include "losses/losses.h"
#include "nets/det/det_heads.h"

namespace oc {
namespace {

float sigmoid_of(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// IoU of two boxes of sizes (w1, h1), (w2, h2) placed at the same corner.
double shape_iou(double w1, double h1, double w2, double h2) {
  const double inter = std::min(w1, w2) * std::min(h1, h2);
  return inter / (w1 * h1 + w2 * h2 - inter);
}

// IoU of two float boxes, in double, with the boxes kernels' math (a 0 / 0 NaN never passes a threshold).
double box_iou_host(const float* a, const float* b) {
  const double da[4] = {a[0], a[1], a[2], a[3]}, db[4] = {b[0], b[1], b[2], b[3]};
  return box_pair_iou(da, db, false);
}

// A log size above this decodes to exp(4.135) ~ 62 anchors: beyond any image (torchvision's clip).
constexpr float kLogSizeClip = 4.135f;

class YoloHead : public DetHead {
 public:
  YoloHead(const DetSettings& s, const DetHeadGeometry& g)
      : DetHead(s, g),
        A_(static_cast<int64_t>(s.anchors.size())),
        V_(5 + g.classes),
        Gh_(static_cast<int64_t>(std::lround(g.H / s.stride))),
        Gw_(static_cast<int64_t>(std::lround(g.W / s.stride))) {}

  void check_outputs(const Network& model, const std::string& source) const override {
    OC_CHECK(A_ >= 1, source, ": task.anchors: the yolo head needs at least one anchor");
    OC_CHECK(std::fabs(Gh_ * s_.stride - g_.H) < 1e-9 && std::fabs(Gw_ * s_.stride - g_.W) < 1e-9, source,
             ": task.stride ", s_.stride, " must divide the input size ", g_.W, " x ", g_.H);
    const Shape out = model.output_shape(model.output_names()[0]);
    OC_CHECK(out == (Shape{A_ * V_, Gh_, Gw_}), source, ": the yolo head with ", A_, " anchors, ", g_.classes,
             " classes and stride ", s_.stride, " needs the first output [", A_ * V_, ", ", Gh_, ", ", Gw_,
             "] (anchors x (4 box + 1 objectness + classes), grid), got ", shape_str(out));
  }

  DetLoss loss(const std::vector<Tensor>& outputs, const Tensor& boxes, const Tensor& masks,
               uint64_t draw_key) const override;
  std::vector<std::vector<Detection>> decode(const std::vector<Tensor>& outputs) const override;

 private:
  // [B, A V, Gh, Gw] -> [B A Gh Gw, V]: row ((b A + a) Gh + i) Gw + j holds one anchor of one cell.
  Tensor rows(const Tensor& out) const {
    const int64_t B = out.size(0);
    return reshape(contiguous(permute(reshape(out, {B, A_, V_, Gh_, Gw_}), {0, 1, 3, 4, 2})), {B * A_ * Gh_ * Gw_, V_});
  }
  // The decoded box of row r (values: its V floats), into box[4].
  void decode_row(int64_t r, const float* v, float* box) const {
    const int64_t j = r % Gw_, i = (r / Gw_) % Gh_, a = (r / (Gw_ * Gh_)) % A_;
    const float s = static_cast<float>(s_.stride);
    const float cx = (j + sigmoid_of(v[0])) * s, cy = (i + sigmoid_of(v[1])) * s;
    const float w = static_cast<float>(s_.anchors[a][0]) * std::exp(std::min(v[2], kLogSizeClip));
    const float h = static_cast<float>(s_.anchors[a][1]) * std::exp(std::min(v[3], kLogSizeClip));
    box[0] = cx - w / 2, box[1] = cy - h / 2, box[2] = cx + w / 2, box[3] = cy + h / 2;
  }

  int64_t A_, V_, Gh_, Gw_;
};

// What one batch's ground truth asks of each prediction row.
struct YoloTargets {
  std::vector<int64_t> rows;                 // the assigned rows (one per kept ground truth)
  // In double, converted to the outputs' dtype (float64 outputs get float64 targets).
  std::vector<double> offsets, log_sizes;     // per assigned row: (tx, ty) in (0, 1), log(w / aw), log(h / ah)
  std::vector<double> cells, anchors, boxes;  // per assigned row: (j, i), (aw, ah), the ground truth x1 y1 x2 y2
  std::vector<double> scales;                 // per assigned row: 2 - w h / (W H), small boxes weigh more
  std::vector<int64_t> labels;
  std::vector<double> object, object_weight;  // per row: 1 / 0, and the weight of its objectness term
};

DetLoss YoloHead::loss(const std::vector<Tensor>& outputs, const Tensor& gt, const Tensor& /*masks*/,
                       uint64_t /*draw_key*/) const {
  const Tensor& out = outputs[0];
  const int64_t B = out.size(0), M = gt.size(1), R = B * A_ * Gh_ * Gw_, C = g_.classes;
  OC_CHECK(gt.dim() == 3 && gt.size(0) == B && gt.size(2) == 5, "yolo loss: boxes must be [", B,
           ", M, 5] (label, x1, y1, x2, y2), got ", shape_str(gt.shape()));
  const Tensor P = rows(out);
  const std::vector<float> pv = to_vector<float>(to(to(P.detach(), Device::cpu()), DType::f32));
  const std::vector<float> g = to_vector<float>(contiguous(to(gt, DType::f32)));
  YoloTargets t;
  t.object.assign(R, 0.0);
  t.object_weight.assign(R, s_.noobject_weight);
  std::vector<int64_t> slot_of_row(R, -1);
  const double s = s_.stride;
  for (int64_t b = 0; b < B; ++b) {
    // The ignore rule: predictions that already overlap a ground truth well are no negatives.
    for (int64_t r = b * A_ * Gh_ * Gw_; r < (b + 1) * A_ * Gh_ * Gw_; ++r) {
      float box[4];
      decode_row(r, &pv[r * V_], box);
      for (int64_t m = 0; m < M; ++m) {
        const float* o = &g[(b * M + m) * 5];
        if (o[0] >= 0 && box_iou_host(box, o + 1) > s_.ignore_threshold) {
          t.object_weight[r] = 0;
          break;
        }
      }
    }
    for (int64_t m = 0; m < M; ++m) {
      const float* o = &g[(b * M + m) * 5];
      if (o[0] < 0) continue;
      const double w = o[3] - o[1], h = o[4] - o[2], cx = o[1] + w / 2, cy = o[2] + h / 2;
      if (!(w > 0 && h > 0)) continue;
      const int64_t j = std::clamp<int64_t>(static_cast<int64_t>(std::floor(cx / s)), 0, Gw_ - 1);
      const int64_t i = std::clamp<int64_t>(static_cast<int64_t>(std::floor(cy / s)), 0, Gh_ - 1);
      int64_t best = 0;
      for (int64_t a = 1; a < A_; ++a)
        if (shape_iou(w, h, s_.anchors[a][0], s_.anchors[a][1]) > shape_iou(w, h, s_.anchors[best][0], s_.anchors[best][1]))
          best = a;
      const int64_t r = ((b * A_ + best) * Gh_ + i) * Gw_ + j;
      // Two ground truths in one cell and anchor: the later one takes the prediction.
      int64_t k = slot_of_row[r];
      if (k < 0) {
        k = slot_of_row[r] = static_cast<int64_t>(t.rows.size());
        t.rows.push_back(r);
        t.offsets.resize(2 * (k + 1)), t.log_sizes.resize(2 * (k + 1)), t.cells.resize(2 * (k + 1));
        t.anchors.resize(2 * (k + 1)), t.boxes.resize(4 * (k + 1)), t.scales.resize(k + 1), t.labels.resize(k + 1);
      }
      const double aw = s_.anchors[best][0], ah = s_.anchors[best][1];
      t.offsets[2 * k] = cx / s - j, t.offsets[2 * k + 1] = cy / s - i;
      t.log_sizes[2 * k] = std::log(w / aw), t.log_sizes[2 * k + 1] = std::log(h / ah);
      t.cells[2 * k] = double(j), t.cells[2 * k + 1] = double(i);
      t.anchors[2 * k] = aw, t.anchors[2 * k + 1] = ah;
      std::copy(o + 1, o + 5, t.boxes.begin() + 4 * k);
      t.scales[k] = 2 - w * h / (double(g_.W) * g_.H);
      t.labels[k] = static_cast<int64_t>(o[0]);
      OC_CHECK(t.labels[k] < C, "yolo loss: a box has class ", t.labels[k], " but the head has ", C, " classes");
      t.object[r] = 1;
      t.object_weight[r] = s_.object_weight;
    }
  }
  const Device dev = out.device();
  const DType dt = out.dtype();
  auto dev_tensor = [&](const std::vector<double>& v, Shape shape) { return to(to(from_vector(v, shape), dt), dev); };
  // Objectness over every row, each term weighted (0: ignored).
  const Tensor obj_logits = reshape(slice(P, 1, 4, 5), {R});
  Tensor object = sum(mul(bce_with_logits(obj_logits, dev_tensor(t.object, {R}), Reduction::none),
                          dev_tensor(t.object_weight, {R})));
  const int64_t n = static_cast<int64_t>(t.rows.size());
  Tensor box = zeros({}, dt, dev), cls = zeros({}, dt, dev);
  if (n > 0) {
    const Tensor pos = index_select(P, 0, to(from_vector(t.rows, {n}), dev));
    const Tensor scale = dev_tensor(t.scales, {n, 1});
    const Tensor xy = sigmoid(slice(pos, 1, 0, 2)), log_wh = slice(pos, 1, 2, 4);
    if (s_.box_loss == "giou") {
      const Tensor centre = mul(add(xy, dev_tensor(t.cells, {n, 2})), s_.stride);
      const Tensor half = mul(mul(exp(clamp(log_wh, -20, kLogSizeClip)), dev_tensor(t.anchors, {n, 2})), 0.5);
      const Tensor pred = cat({sub(centre, half), add(centre, half)}, 1);
      box = sum(mul(reshape(scale, {n}), rsub(1.0, generalized_box_iou_paired(pred, dev_tensor(t.boxes, {n, 4})))));
    } else {
      const Tensor dxy = sub(xy, dev_tensor(t.offsets, {n, 2})), dwh = sub(log_wh, dev_tensor(t.log_sizes, {n, 2}));
      box = sum(mul(scale, add(mul(dxy, dxy), mul(dwh, dwh))));
    }
    std::vector<double> onehot(n * C, 0.0);
    for (int64_t k = 0; k < n; ++k) onehot[k * C + t.labels[k]] = 1;
    cls = sum(bce_with_logits(slice(pos, 1, 5, V_), dev_tensor(onehot, {n, C}), Reduction::none));
  }
  // Sums per image, averaged over the batch (as YOLOv3 sums over its grid).
  DetLoss l;
  l.terms = {{"box", mul(box, s_.box_weight / B)}, {"object", div(object, double(B))},
             {"class", mul(cls, s_.class_weight / B)}};
  l.total = add(add(l.terms[0].second, l.terms[1].second), l.terms[2].second);
  return l;
}

std::vector<std::vector<Detection>> YoloHead::decode(const std::vector<Tensor>& outputs) const {
  const Tensor& out = outputs[0];
  const int64_t B = out.size(0), per_image = A_ * Gh_ * Gw_, C = g_.classes;
  const std::vector<float> pv = to_vector<float>(to(to(rows(out.detach()), Device::cpu()), DType::f32));
  std::vector<std::vector<Detection>> found(B);
  for (int64_t b = 0; b < B; ++b) {
    std::vector<Detection> cand;
    for (int64_t r = b * per_image; r < (b + 1) * per_image; ++r) {
      const float* v = &pv[r * V_];
      const float obj = sigmoid_of(v[4]);
      if (!(obj > s_.score_threshold)) continue;  // no class can score above it
      float box[4];
      decode_row(r, v, box);
      box[0] = std::clamp(box[0], 0.0f, float(g_.W)), box[2] = std::clamp(box[2], 0.0f, float(g_.W));
      box[1] = std::clamp(box[1], 0.0f, float(g_.H)), box[3] = std::clamp(box[3], 0.0f, float(g_.H));
      for (int64_t c = 0; c < C; ++c) {
        const float score = obj * sigmoid_of(v[5 + c]);
        if (score > s_.score_threshold) cand.push_back({box[0], box[1], box[2], box[3], score, c, Tensor()});
      }
    }
    found[b] = keep_best_detections(std::move(cand), s_);
  }
  return found;
}

}  // namespace

std::unique_ptr<DetHead> make_yolo_head(const DetSettings& s, const DetHeadGeometry& g) {
  return std::make_unique<YoloHead>(s, g);
}

}  // namespace oc
