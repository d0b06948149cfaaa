// The detection task (see det_task.h). The head (nets/det/) gives the loss and the boxes; this file
// loads the data, reports each loss term (the training epoch's mean and the evaluation split's), and
// scores the boxes with our cocoeval (train/metrics/coco_det_eval.h): AP (0.50:0.95) selects the
// best checkpoint, AP50, AP75 and the small / medium / large APs are reported beside it.
#include "train/tasks/det_task.h"

#include <chrono>
#include <cmath>

#include "train/data/datasets.h"
#include "train/eval_pass.h"
#include "train/io/coco_det_results.h"
#include "train/metrics/coco_det_eval.h"

namespace oc {
namespace {

class DetTask : public Task {
 public:
  DetTask(const Experiment& e, bool with_train, const std::string& eval_split) : loader_(e.data.loader) {
    const auto& load = dataset_registry().at(e.data.dataset, e.path + ": data.dataset").factory.load_detections;
    OC_CHECK(load, e.path, ": data.dataset \"", e.data.dataset, "\" holds no boxes (detection needs \"det_coco\")");
    if (with_train) train_ = load(e.data, "train", e.task.det.max_objects, e.task.det.head == "mask_rcnn");
    eval_ = load(e.data, eval_split, e.task.det.max_objects, e.task.det.head == "mask_rcnn");
    const DetDataset& probe = with_train ? train_ : eval_;
    OC_CHECK(!with_train || train_.category_ids == eval_.category_ids, e.path, ": the train and ", eval_split,
             " splits have different categories");
    const Network& model = *e.model;
    Shape in_shape(probe.data.images.shape().begin() + 1, probe.data.images.shape().end());
    OC_CHECK(in_shape == model.input_shape(), e.path, ": model.input is ", shape_str(model.input_shape()),
             " but the detection images are ", shape_str(in_shape));
    head_ = make_det_head(e.task.det, model, probe.data.num_classes, e.path);
  }

  const ImageDataset& train_data() const override { return train_.data; }

  Tensor loss(Network& model, const Batch& b, Device device) override {
    DetLoss l = head_->loss(forward_outputs(model, to(b.images, device)), b.targets, b.masks, batch_draw_key(b));
    for (const auto& [name, term] : l.terms) train_terms_[name] += item<double>(term);
    ++train_steps_;
    return l.total;
  }

  EvalResult evaluate(Network& model, Device device) override;

  void write_results(const std::string& path) const override { write_coco_det_results(path, last_results_); }

  json epoch_state() const override { return {{"terms", train_terms_}, {"steps", train_steps_}}; }
  void restore_epoch_state(const json& state) override {
    train_terms_ = state.value("terms", std::map<std::string, double>{});
    train_steps_ = state.value("steps", int64_t{0});
  }

 private:
  LoaderOptions loader_;
  std::unique_ptr<DetHead> head_;
  DetDataset train_, eval_;
  std::map<std::string, double> train_terms_;  // sums since the last evaluation
  int64_t train_steps_ = 0;
  std::vector<CocoDetResult> last_results_;
};

EvalResult DetTask::evaluate(Network& model, Device device) {
  auto t0 = std::chrono::steady_clock::now();
  EvalPass pass(model, eval_.data, loader_);
  double loss = 0;
  std::map<std::string, double> terms;
  std::vector<CocoDetResult> results;
  Batch b;
  int64_t base = 0;
  while (pass.next(b)) {
    std::vector<Tensor> outs = forward_outputs(model, to(b.images, device));
    const int64_t B = outs[0].size(0);
    DetLoss l = head_->loss(outs, b.targets, b.masks, batch_draw_key(b));
    loss += item<double>(l.total) * B;
    for (const auto& [name, term] : l.terms) terms[name] += item<double>(term) * B;
    const std::vector<std::vector<Detection>> found = head_->decode(outs);
    for (int64_t n = 0; n < B; ++n)
      for (const Detection& d : found[n]) {
        CocoDetResult r;
        r.image_id = eval_.coco.images[base + n].id;
        r.category_id = eval_.category_ids[d.label];
        r.bbox = {d.x1, d.y1, double(d.x2) - d.x1, double(d.y2) - d.y1};
        r.score = d.score;
        if (d.mask.defined()) {
          const Tensor m = contiguous(d.mask);
          r.mask = rle_encode(m.data<uint8_t>(), m.size(0), m.size(1));
        }
        results.push_back(r);
      }
    base += B;
  }
  EvalResult r;
  r.count = base;
  r.loss = base ? loss / base : 0;
  const CocoDetEvalResult ap = evaluate_coco_det(eval_.coco, results);
  const std::array<double, 12>& st = ap.stats;
  r.score_name = "ap";
  r.score = st[0];
  r.metrics = {{"ap", st[0]}, {"ap50", st[1]}, {"ap75", st[2]}, {"ap_small", st[3]}, {"ap_medium", st[4]},
               {"ap_large", st[5]}, {"ar100", st[8]}, {"detections", results.size()}};
  if (head_->learns_masks()) {  // mask AP (COCO segm) beside the box AP, which still selects the best
    CocoDetEvalParams segm;
    segm.iou_type = CocoIouType::segm;
    const std::array<double, 12>& sm = evaluate_coco_det(eval_.coco, results, segm).stats;
    for (auto [name, k] : {std::pair{"mask_ap", 0}, {"mask_ap50", 1}, {"mask_ap75", 2}, {"mask_ap_small", 3},
                           {"mask_ap_medium", 4}, {"mask_ap_large", 5}})
      r.metrics[name] = sm[k];
  }
  for (const auto& [name, sum] : terms) r.metrics["loss_" + name] = base ? sum / base : 0;
  for (const auto& [name, sum] : train_terms_) r.metrics["train_loss_" + name] = sum / std::max<int64_t>(1, train_steps_);
  train_terms_.clear();
  train_steps_ = 0;
  last_results_ = std::move(results);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// t[key] into v (v's value the default), which must lie in [lo, hi] ([lo, hi) when hi_open).
void read_in_range(ConfigObject& t, const char* key, double& v, double lo, double hi, bool hi_open = false) {
  v = t.get_double(key, v);
  OC_CHECK(v >= lo && (hi_open ? v < hi : v <= hi), t.where(key), ": must be in [", lo, ", ", hi, hi_open ? ")" : "]",
           ", got ", v);
}

// t[key] into v (v's value the default), which must be >= 1.
void read_count(ConfigObject& t, const char* key, int64_t& v) {
  v = t.get_int(key, v);
  OC_CHECK(v >= 1, t.where(key), ": must be >= 1, got ", v);
}

}  // namespace

std::vector<std::string> det_task_keys() {
  return {"head", "anchors", "stride", "max_objects", "ignore_threshold", "box_loss", "box_weight", "object_weight",
          "noobject_weight", "class_weight", "score_threshold", "pre_nms_top_k", "nms_threshold", "max_detections",
          "anchor_sizes", "aspect_ratios", "rpn", "roi", "box_head", "mask_head", "mask_weight", "resize"};
}

namespace {

// A list of positive finite numbers, at least one.
void read_positive_list(ConfigObject& t, const char* key, std::vector<double>& v) {
  v = t.get_number_list(key, v);
  OC_CHECK(!v.empty(), t.where(key), ": needs at least one value");
  for (double x : v) OC_CHECK(x > 0 && std::isfinite(x), t.where(key), ": values must be positive, got ", x);
}

// Two thresholds lo <= hi, both in [0, 1].
void read_iou_pair(ConfigObject& t, double& fg, double& bg) {
  read_in_range(t, "fg_iou", fg, 0, 1);
  read_in_range(t, "bg_iou", bg, 0, 1);
  OC_CHECK(bg <= fg, t.where("bg_iou"), ": must not exceed fg_iou (", fg, "), got ", bg);
}

// A network attached to the model, reading RoIAlign's size x size pooling of the features (the
// model's first output).
void attach_roi_network(ConfigObject& t, const char* key, int64_t size, TaskSettings& s) {
  const std::string where = t.where(key);
  s.attached.push_back({key, std::make_shared<ConfigObject>(t.child(key)), [size, where](const Network& m) {
                          const Shape f = m.output_shape(m.output_names()[0]);
                          OC_CHECK(f.size() == 3, where, ": reads RoIs of the model's first output, which must be "
                                   "[C, h, w] features, got ", shape_str(f));
                          return Shape{f[0], size, size};
                        }});
}

// task.rpn, task.roi and task.box_head of the faster_rcnn and mask_rcnn heads, and mask_rcnn's
// task.mask_head.
void read_two_stage(ConfigObject& t, TaskSettings& s) {
  DetSettings& d = s.det;
  read_positive_list(t, "anchor_sizes", d.anchor_sizes);
  read_positive_list(t, "aspect_ratios", d.aspect_ratios);
  ConfigObject rpn = t.child("rpn");
  read_iou_pair(rpn, d.rpn.fg_iou, d.rpn.bg_iou);
  read_count(rpn, "batch_size", d.rpn.batch_size);
  read_in_range(rpn, "positive_fraction", d.rpn.positive_fraction, 0, 1);
  for (auto [key, value] : {std::pair{"pre_nms_top_k_train", &d.rpn.pre_nms_top_k_train},
                            {"pre_nms_top_k_test", &d.rpn.pre_nms_top_k_test},
                            {"post_nms_top_k_train", &d.rpn.post_nms_top_k_train},
                            {"post_nms_top_k_test", &d.rpn.post_nms_top_k_test}})
    read_count(rpn, key, *value);
  read_in_range(rpn, "nms_threshold", d.rpn.nms_threshold, 0, 1);
  d.rpn.min_size = rpn.get_double("min_size", d.rpn.min_size);
  OC_CHECK(d.rpn.min_size >= 0 && std::isfinite(d.rpn.min_size), rpn.where("min_size"), ": must be >= 0, got ",
           d.rpn.min_size);
  rpn.finish();
  ConfigObject roi = t.child("roi");
  read_count(roi, "size", d.roi.size);
  d.roi.sampling_ratio = roi.get_int("sampling_ratio", d.roi.sampling_ratio);
  read_iou_pair(roi, d.roi.fg_iou, d.roi.bg_iou);
  read_count(roi, "batch_size", d.roi.batch_size);
  read_in_range(roi, "positive_fraction", d.roi.positive_fraction, 0, 1);
  if (d.head == "mask_rcnn") read_count(roi, "mask_size", d.roi.mask_size);
  roi.finish();
  OC_CHECK(t.has("box_head"), t.where("box_head"), ": the ", d.head, " head needs its box head network, e.g. "
           "{\"layers\": [{\"type\": \"flatten\"}, {\"type\": \"linear\", \"out_features\": 256}, ...], "
           "\"outputs\": [\"cls\", \"deltas\"]}");
  attach_roi_network(t, "box_head", d.roi.size, s);
  if (d.head != "mask_rcnn") return;
  OC_CHECK(t.has("mask_head"), t.where("mask_head"), ": the mask_rcnn head needs its mask head network, e.g. "
           "{\"layers\": [{\"type\": \"conv2d\", ...}, {\"type\": \"conv_transpose2d\", \"kernel\": 2, "
           "\"stride\": 2, ...}, {\"type\": \"conv2d\", \"out_channels\": CLASSES, \"kernel\": 1}]}");
  attach_roi_network(t, "mask_head", d.roi.mask_size, s);
  d.mask_weight = t.get_double("mask_weight", d.mask_weight);
  OC_CHECK(d.mask_weight >= 0 && std::isfinite(d.mask_weight), t.where("mask_weight"), ": must be >= 0, got ",
           d.mask_weight);
}

}  // namespace

void read_det_task(ConfigObject& t, TaskSettings& s, const DataSettings& data) {
  OC_CHECK(dataset_registry().at(data.dataset, "data.dataset").factory.load_detections, t.where("type"),
           ": \"detection\" needs data.dataset \"det_coco\", got \"", data.dataset, "\"");
  DetSettings& d = s.det;
  d.head = t.get_string("head", d.head);
  det_head_registry().at(d.head, t.where("head"));
  d.anchors = t.get_number_pairs("anchors", d.anchors);
  OC_CHECK(!d.anchors.empty(), t.where("anchors"), ": needs at least one [width, height]");
  for (const auto& a : d.anchors)
    OC_CHECK(a[0] > 0 && a[1] > 0 && std::isfinite(a[0]) && std::isfinite(a[1]), t.where("anchors"),
             ": anchor sizes must be positive, got [", a[0], ", ", a[1], "]");
  d.stride = t.get_double("stride", d.stride);
  OC_CHECK(d.stride >= 1 && std::isfinite(d.stride), t.where("stride"), ": must be >= 1, got ", d.stride);
  read_count(t, "max_objects", d.max_objects);
  read_in_range(t, "ignore_threshold", d.ignore_threshold, 0, 1);
  d.box_loss = t.get_string("box_loss", d.box_loss);
  OC_CHECK(d.box_loss == "l2" || d.box_loss == "giou", t.where("box_loss"), ": expected \"l2\" or \"giou\", got \"",
           d.box_loss, "\"");
  for (auto [key, value] : {std::pair{"box_weight", &d.box_weight}, {"object_weight", &d.object_weight},
                            {"noobject_weight", &d.noobject_weight}, {"class_weight", &d.class_weight}}) {
    *value = t.get_double(key, *value);
    OC_CHECK(*value >= 0 && std::isfinite(*value), t.where(key), ": must be >= 0, got ", *value);
  }
  read_in_range(t, "score_threshold", d.score_threshold, 0, 1, true);
  read_count(t, "pre_nms_top_k", d.pre_nms_top_k);
  read_in_range(t, "nms_threshold", d.nms_threshold, 0, 1);
  read_count(t, "max_detections", d.max_detections);
  d.resize = t.get_string("resize", d.resize);
  OC_CHECK(d.resize == "stretch" || d.resize == "letterbox", t.where("resize"),
           ": expected \"stretch\" or \"letterbox\", got \"", d.resize, "\"");
  if (d.head == "faster_rcnn" || d.head == "mask_rcnn") {
    read_two_stage(t, s);
    if (d.head == "faster_rcnn")
      for (const char* key : {"mask_head", "mask_weight"})
        OC_CHECK(!t.has(key), t.where(key), ": only the mask_rcnn head reads it (task.head is \"", d.head, "\")");
  } else {
    for (const char* key : {"rpn", "roi", "box_head", "mask_head", "mask_weight", "anchor_sizes", "aspect_ratios"})
      OC_CHECK(!t.has(key), t.where(key), ": only the faster_rcnn and mask_rcnn heads read it (task.head is \"",
               d.head, "\")");
  }
}

std::unique_ptr<Task> make_det_task(const Experiment& e, bool with_train, const std::string& eval_split) {
  return std::make_unique<DetTask>(e, with_train, eval_split);
}

}  // namespace oc
