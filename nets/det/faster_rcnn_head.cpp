// Faster R-CNN's two stages (Ren et al. 2015; the semantics of torchvision's detection/rpn.py and
// roi_heads.py). The model's three outputs are a stride-s feature map [C, h, w] and the region
// proposal network's objectness logits [A, h, w] and box deltas [4 A, h, w] for the A anchors of each
// cell (anchor-major: the deltas of anchor a are channels 4a .. 4a + 3); the RPN's convs are ordinary
// layers of the model. The second stage is the network attached to the model as "box_head": it
// reads RoIAlign's [C, size, size] pooling of one proposal and gives class logits [classes + 1]
// (0 is background) and per-class box deltas [4 classes] relative to the proposal.
//
// Proposals: every anchor moved by its deltas and clipped to the image, the best pre_nms_top_k by
// objectness, those under min_size dropped, NMS at rpn.nms_threshold, the best post_nms_top_k kept
// (the _train counts while the model trains, the _test ones in eval mode). No gradient flows into
// proposals: the RoI stage treats them as given boxes, as torchvision does.
//
// Training (and the evaluation loss): the RPN's anchors are matched to the ground truths at
// rpn.fg_iou / rpn.bg_iou (each ground truth's best anchors always positive), rpn.batch_size of
// them sampled per image; the RoI stage matches the proposals plus the ground truths themselves at
// roi.fg_iou / roi.bg_iou and samples roi.batch_size per image. Terms: rpn_object (BCE over the
// sampled anchors), rpn_box and box (smooth L1, beta 1/9, over positives, divided by the sampled
// count), class (cross-entropy over the sampled proposals).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/matcher/matcher_math.h"
#include "kernels/ops.h"
#include "losses/losses.h"
#include "nets/det/det_heads.h"
#include "nets/det/faster_rcnn_head.h"

namespace oc {
namespace {

constexpr double kBoxBeta = 1.0 / 9;               // torchvision's smooth L1 beta for both box terms
constexpr double kMinDetectionSize = 1e-2;         // torchvision's postprocess_detections drops smaller boxes

std::vector<GroundTruth> read_ground_truth(const Tensor& gt, int64_t B, int64_t classes) {
  OC_CHECK(gt.dim() == 3 && gt.size(0) == B && gt.size(2) == 5, "faster_rcnn loss: boxes must be [", B,
           ", M, 5] (label, x1, y1, x2, y2), got ", shape_str(gt.shape()));
  const int64_t M = gt.size(1);
  const std::vector<float> g = to_vector<float>(contiguous(to(to(gt, Device::cpu()), DType::f32)));
  std::vector<GroundTruth> out(B);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t m = 0; m < M; ++m) {
      const float* o = &g[(b * M + m) * 5];
      if (o[0] < 0 || !(o[3] > o[1] && o[4] > o[2])) continue;
      OC_CHECK(o[0] < classes, "faster_rcnn loss: a box has class ", o[0], " but the head has ", classes, " classes");
      out[b].labels.push_back(static_cast<int64_t>(o[0]));
      out[b].slots.push_back(m);
      out[b].boxes.insert(out[b].boxes.end(), o + 1, o + 5);
    }
  return out;
}

// The matcher's answer for every column of `refs` [N, 4] against the image's ground truths
// (all -1, background, when it has none).
std::vector<int64_t> match_to(const GroundTruth& t, const Tensor& refs, double fg, double bg, bool low_quality) {
  const int64_t N = refs.size(0);
  if (t.count() == 0) return std::vector<int64_t>(N, kMatchBelowLow);
  const Tensor gt = host_values(t.boxes, {t.count(), 4}, refs);
  return to_vector<int64_t>(match(box_iou(gt, refs), fg, bg, low_quality));
}

// The sampled elements of labels (>= 1 positive, 0 negative, -1 ignored): positives, then negatives,
// each in increasing index.
struct Sampled {
  std::vector<int64_t> pos, neg;
};

Sampled sample(const std::vector<int64_t>& labels, int64_t batch, double fraction, Device device, Generator& gen) {
  const int64_t n = static_cast<int64_t>(labels.size());
  BalancedSample s = sample_balanced(to(from_vector(labels, {n}), device), batch, fraction, &gen);
  const std::vector<int64_t> pos = to_vector<int64_t>(s.positive), neg = to_vector<int64_t>(s.negative);
  Sampled out;
  for (int64_t i = 0; i < n; ++i) {
    if (pos[i]) out.pos.push_back(i);
    if (neg[i]) out.neg.push_back(i);
  }
  return out;
}

}  // namespace

FasterRcnnHead::FasterRcnnHead(const DetSettings& s, const DetHeadGeometry& g, std::shared_ptr<Network> box_head)
    : DetHead(s, g),
      box_head_(std::move(box_head)),
      A_(static_cast<int64_t>(s.anchor_sizes.size() * s.aspect_ratios.size())),
      h_(std::lround(g.H / s.stride)),
      w_(std::lround(g.W / s.stride)) {}

Tensor FasterRcnnHead::anchor_boxes(const Tensor& like) const {
  return anchors_for_image({s_.anchor_sizes}, {s_.aspect_ratios}, {{h_, w_}}, g_.H, g_.W, like.dtype(), like.device());
}

Tensor FasterRcnnHead::objectness_rows(const Tensor& obj) const {
  return reshape(contiguous(permute(obj, {0, 2, 3, 1})), {obj.size(0), anchors_per_image()});
}

Tensor FasterRcnnHead::delta_rows(const Tensor& del) const {
  const int64_t B = del.size(0);
  return reshape(contiguous(permute(reshape(del, {B, A_, 4, h_, w_}), {0, 3, 4, 1, 2})), {B, anchors_per_image(), 4});
}

Tensor FasterRcnnHead::pool(const Tensor& features, const Tensor& rois, int64_t size) const {
  RoiAlignParams p;
  p.pooled_h = p.pooled_w = size;
  p.spatial_scale = 1.0 / s_.stride;
  p.sampling_ratio = s_.roi.sampling_ratio;
  return roi_align(features, rois, p);
}

std::pair<Tensor, Tensor> FasterRcnnHead::run_box_head(const Tensor& features, const Tensor& rois) const {
  std::vector<Tensor> outs = forward_outputs(*box_head_, pool(features, rois, s_.roi.size));
  return {outs[0], outs[1]};
}

void FasterRcnnHead::check_outputs(const Network& model, const std::string& source) const {
  OC_CHECK(box_head_, source, ": task.box_head: the faster_rcnn head needs its box head network, e.g. {\"layers\": "
           "[{\"type\": \"flatten\"}, {\"type\": \"linear\", ...}, ...], \"outputs\": [\"cls\", \"deltas\"]}");
  OC_CHECK(A_ >= 1, source, ": task.anchor_sizes and task.aspect_ratios: the faster_rcnn head needs at least one anchor");
  OC_CHECK(std::fabs(h_ * s_.stride - g_.H) < 1e-9 && std::fabs(w_ * s_.stride - g_.W) < 1e-9, source,
           ": task.stride ", s_.stride, " must divide the input size ", g_.W, " x ", g_.H);
  const std::vector<std::string>& names = model.output_names();
  OC_CHECK(names.size() == 3, source, ": model.outputs: the faster_rcnn head reads three outputs (features [C, ", h_,
           ", ", w_, "], RPN objectness [", A_, ", ", h_, ", ", w_, "], RPN deltas [", 4 * A_, ", ", h_, ", ", w_,
           "]), got ", names.size());
  const Shape f = model.output_shape(names[0]);
  OC_CHECK(f.size() == 3 && f[1] == h_ && f[2] == w_, source, ": model output \"", names[0],
           "\" (the features) must be [C, ", h_, ", ", w_, "] at stride ", s_.stride, ", got ", shape_str(f));
  OC_CHECK(model.output_shape(names[1]) == (Shape{A_, h_, w_}), source, ": model output \"", names[1],
           "\" (RPN objectness) must be [", A_, ", ", h_, ", ", w_, "] for ", A_, " anchors per cell (",
           s_.anchor_sizes.size(), " sizes x ", s_.aspect_ratios.size(), " aspect ratios), got ",
           shape_str(model.output_shape(names[1])));
  OC_CHECK(model.output_shape(names[2]) == (Shape{4 * A_, h_, w_}), source, ": model output \"", names[2],
           "\" (RPN deltas) must be [", 4 * A_, ", ", h_, ", ", w_, "], got ", shape_str(model.output_shape(names[2])));
  const Shape roi_in{f[0], s_.roi.size, s_.roi.size};
  OC_CHECK(box_head_->input_shape() == roi_in, source, ": task.box_head reads [", f[0], ", ", s_.roi.size, ", ",
           s_.roi.size, "], built for ", shape_str(box_head_->input_shape()));
  const std::vector<std::string>& bh = box_head_->output_names();
  OC_CHECK(bh.size() == 2 && box_head_->output_shape(bh[0]) == (Shape{g_.classes + 1}) &&
               box_head_->output_shape(bh[1]) == (Shape{4 * g_.classes}),
           source, ": task.box_head.outputs must be two: class logits [", g_.classes + 1, "] (", g_.classes,
           " classes and background) and box deltas [", 4 * g_.classes, "] (4 per class)");
}

std::vector<std::vector<float>> FasterRcnnHead::propose(const Tensor& obj, const Tensor& del,
                                                       const Tensor& anchors) const {
  NoGradGuard no_grad;
  const bool training = box_head_->is_training();
  const int64_t pre = training ? s_.rpn.pre_nms_top_k_train : s_.rpn.pre_nms_top_k_test;
  const int64_t post = training ? s_.rpn.post_nms_top_k_train : s_.rpn.post_nms_top_k_test;
  const int64_t B = obj.size(0), R = anchors_per_image();
  const Tensor scores = objectness_rows(obj.detach()), deltas = delta_rows(del.detach());
  const Tensor all_boxes = clip_boxes_to_image(
      reshape(decode_boxes(reshape(deltas, {B * R, 4}), cat(std::vector<Tensor>(B, anchors), 0), kRpnBoxWeights),
              {B, R, 4}),
      g_.H, g_.W);
  const std::vector<float> sv = to_vector<float>(to(to(scores, Device::cpu()), DType::f32));
  const std::vector<float> bv = to_vector<float>(to(to(all_boxes, Device::cpu()), DType::f32));
  std::vector<std::vector<float>> out(B);
  for (int64_t b = 0; b < B; ++b) {
    const float* s = &sv[b * R];
    const float* box = &bv[b * R * 4];
    // The best `pre` anchors by objectness (ties: the lower index), then those big enough.
    std::vector<int64_t> order(R);
    std::iota(order.begin(), order.end(), 0);
    const int64_t k = std::min(pre, R);
    std::partial_sort(order.begin(), order.begin() + k, order.end(),
                      [&](int64_t x, int64_t y) { return s[x] > s[y] || (s[x] == s[y] && x < y); });
    std::vector<float> cb, cs;
    for (int64_t i = 0; i < k; ++i) {
      const float* r = box + order[i] * 4;
      if (r[2] - r[0] < s_.rpn.min_size || r[3] - r[1] < s_.rpn.min_size) continue;
      cb.insert(cb.end(), r, r + 4);
      cs.push_back(s[order[i]]);
    }
    const int64_t n = static_cast<int64_t>(cs.size());
    if (n == 0) continue;
    const std::vector<int64_t> keep = to_vector<int64_t>(nms(from_vector(cb, {n, 4}), from_vector(cs, {n}), s_.rpn.nms_threshold));
    for (size_t i = 0; i < keep.size() && static_cast<int64_t>(i) < post; ++i)
      out[b].insert(out[b].end(), cb.begin() + keep[i] * 4, cb.begin() + keep[i] * 4 + 4);
  }
  return out;
}

std::pair<Tensor, Tensor> FasterRcnnHead::rpn_loss(const Tensor& obj, const Tensor& del, const Tensor& anchors,
                                                   const std::vector<GroundTruth>& truth, Generator& gen) const {
  const int64_t B = obj.size(0), R = anchors_per_image();
  const Device dev = obj.device();
  std::vector<int64_t> sampled, positive, positive_anchor;  // rows of the [B R] flattening; anchor rows
  std::vector<float> object_target, positive_gt;
  for (int64_t b = 0; b < B; ++b) {
    const std::vector<int64_t> m = match_to(truth[b], anchors, s_.rpn.fg_iou, s_.rpn.bg_iou, true);
    std::vector<int64_t> labels(R);
    for (int64_t r = 0; r < R; ++r) labels[r] = m[r] >= 0 ? 1 : (m[r] == kMatchBelowLow ? 0 : -1);
    const Sampled s = sample(labels, s_.rpn.batch_size, s_.rpn.positive_fraction, dev, gen);
    for (int64_t r : s.pos) {
      sampled.push_back(b * R + r), object_target.push_back(1);
      positive.push_back(b * R + r), positive_anchor.push_back(r);
      positive_gt.insert(positive_gt.end(), truth[b].boxes.begin() + 4 * m[r], truth[b].boxes.begin() + 4 * m[r] + 4);
    }
    for (int64_t r : s.neg) sampled.push_back(b * R + r), object_target.push_back(0);
  }
  const DType dt = obj.dtype();
  const int64_t n = static_cast<int64_t>(sampled.size()), p = static_cast<int64_t>(positive.size());
  Tensor object = zeros({}, dt, dev), box = zeros({}, dt, dev);
  if (n > 0)
    object = bce_with_logits(index_select(reshape(objectness_rows(obj), {B * R}), 0, index_tensor(sampled, dev)),
                             host_values(object_target, {n}, obj));
  if (p > 0) {
    const Tensor pred = index_select(reshape(delta_rows(del), {B * R, 4}), 0, index_tensor(positive, dev));
    const Tensor target = encode_boxes(host_values(positive_gt, {p, 4}, obj),
                                       index_select(anchors, 0, index_tensor(positive_anchor, dev)), kRpnBoxWeights);
    box = div(smooth_l1_loss(pred, target, kBoxBeta, Reduction::sum), double(n));
  }
  return {object, box};
}

RoiSample FasterRcnnHead::sample_rois(const std::vector<std::vector<float>>& proposals,
                                      const std::vector<GroundTruth>& truth, Generator& gen) const {
  RoiSample out;
  for (size_t b = 0; b < truth.size(); ++b) {
    std::vector<float> cand = proposals[b];
    cand.insert(cand.end(), truth[b].boxes.begin(), truth[b].boxes.end());
    const int64_t P = static_cast<int64_t>(cand.size() / 4);
    if (P == 0) continue;
    const std::vector<int64_t> m = match_to(truth[b], from_vector(cand, {P, 4}), s_.roi.fg_iou, s_.roi.bg_iou, false);
    std::vector<int64_t> labels(P);
    for (int64_t i = 0; i < P; ++i) labels[i] = m[i] >= 0 ? truth[b].labels[m[i]] + 1 : (m[i] == kMatchBelowLow ? 0 : -1);
    const Sampled s = sample(labels, s_.roi.batch_size, s_.roi.positive_fraction, Device::cpu(), gen);
    for (const std::vector<int64_t>* part : {&s.pos, &s.neg})
      for (int64_t i : *part) {
        if (labels[i] > 0) out.positives.push_back(out.count()), out.positive_truth.push_back(m[i]);
        out.rois.push_back(float(b));
        out.rois.insert(out.rois.end(), cand.begin() + 4 * i, cand.begin() + 4 * i + 4);
        out.classes.push_back(labels[i]);
      }
  }
  return out;
}

DetLoss FasterRcnnHead::loss(const std::vector<Tensor>& outputs, const Tensor& boxes, const Tensor& masks,
                             uint64_t draw_key) const {
  const Tensor &features = outputs[0], &obj = outputs[1], &del = outputs[2];
  const int64_t B = features.size(0), C = g_.classes;
  const Device dev = features.device();
  const DType dt = features.dtype();
  const std::vector<GroundTruth> truth = read_ground_truth(boxes, B, C);
  const Tensor anchors = anchor_boxes(features);
  Generator gen(draw_key);  // the two samplers' draws, in this order
  auto [rpn_object, rpn_box] = rpn_loss(obj, del, anchors, truth, gen);

  // The RoI stage learns on proposals and on the ground truths themselves (torchvision adds them so
  // that every object has positives from the first step on).
  const RoiSample sample = sample_rois(propose(obj, del, anchors), truth, gen);
  const int64_t K = sample.count(), P = static_cast<int64_t>(sample.positives.size());
  Tensor cls = zeros({}, dt, dev), box = zeros({}, dt, dev);
  if (K > 0) {
    auto [logits, deltas] = run_box_head(features, host_values(sample.rois, {K, 5}, features));
    cls = cross_entropy(logits, index_tensor(sample.classes, dev));
    if (P > 0) {
      std::vector<int64_t> cols;  // each positive's 4 delta columns, those of its class
      std::vector<float> gt, refs;
      for (int64_t j = 0; j < P; ++j) {
        const int64_t k = sample.positives[j], b = static_cast<int64_t>(sample.rois[5 * k]);
        for (int64_t c = 0; c < 4; ++c) cols.push_back(k * 4 * C + 4 * (sample.classes[k] - 1) + c);
        const float* g = &truth[b].boxes[4 * sample.positive_truth[j]];
        gt.insert(gt.end(), g, g + 4);
        refs.insert(refs.end(), sample.rois.begin() + 5 * k + 1, sample.rois.begin() + 5 * k + 5);
      }
      const Tensor pred = reshape(index_select(reshape(deltas, {K * 4 * C}), 0, index_tensor(cols, dev)), {P, 4});
      const Tensor target = encode_boxes(host_values(gt, {P, 4}, features),
                                         host_values(refs, {P, 4}, features), kRoiHeadBoxWeights);
      box = div(smooth_l1_loss(pred, target, kBoxBeta, Reduction::sum), double(K));
    }
  }
  DetLoss l;
  l.terms = {{"rpn_object", mul(rpn_object, s_.object_weight)}, {"rpn_box", mul(rpn_box, s_.box_weight)},
             {"class", mul(cls, s_.class_weight)}, {"box", mul(box, s_.box_weight)}};
  add_terms(features, sample, truth, masks, l);
  l.total = l.terms[0].second;
  for (size_t i = 1; i < l.terms.size(); ++i) l.total = add(l.total, l.terms[i].second);
  return l;
}

std::vector<std::vector<Detection>> FasterRcnnHead::decode(const std::vector<Tensor>& outputs) const {
  NoGradGuard no_grad;
  const Tensor features = outputs[0].detach();
  const int64_t B = features.size(0), C = g_.classes;
  const std::vector<std::vector<float>> proposals = propose(outputs[1], outputs[2], anchor_boxes(features));
  std::vector<float> rois;
  std::vector<int64_t> first(B + 1, 0);  // image b's RoIs are rows first[b] .. first[b + 1] - 1
  for (int64_t b = 0; b < B; ++b) {
    for (size_t i = 0; i < proposals[b].size(); i += 4) {
      rois.push_back(float(b));
      rois.insert(rois.end(), proposals[b].begin() + i, proposals[b].begin() + i + 4);
    }
    first[b + 1] = static_cast<int64_t>(rois.size() / 5);
  }
  std::vector<std::vector<Detection>> found(B);
  const int64_t K = first[B];
  if (K == 0) return found;
  const Tensor roi_t = host_values(rois, {K, 5}, features);
  auto [logits, deltas] = run_box_head(features, roi_t);
  const std::vector<float> probs = to_vector<float>(to(to(softmax(logits, 1), Device::cpu()), DType::f32));
  const Tensor decoded = clip_boxes_to_image(
      reshape(decode_boxes(deltas, slice(roi_t, 1, 1, 5), kRoiHeadBoxWeights), {K * C, 4}), g_.H, g_.W);
  const std::vector<float> bv = to_vector<float>(to(to(decoded, Device::cpu()), DType::f32));
  for (int64_t b = 0; b < B; ++b) {
    std::vector<Detection> cand;
    for (int64_t k = first[b]; k < first[b + 1]; ++k)
      for (int64_t c = 0; c < C; ++c) {
        const float score = probs[k * (C + 1) + c + 1];
        const float* r = &bv[(k * C + c) * 4];
        if (score > s_.score_threshold && r[2] - r[0] >= kMinDetectionSize && r[3] - r[1] >= kMinDetectionSize)
          cand.push_back({r[0], r[1], r[2], r[3], score, c, Tensor()});
      }
    found[b] = keep_best_detections(std::move(cand), s_);
  }
  add_masks(features, found);
  return found;
}

std::unique_ptr<DetHead> make_faster_rcnn_head(const DetSettings& s, const DetHeadGeometry& g, const Network& model) {
  return std::make_unique<FasterRcnnHead>(s, g, model.attached("box_head"));
}

}  // namespace oc
