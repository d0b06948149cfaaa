// The LIFT task (see lift_task.h).
#include "train/tasks/lift_task.h"

#include <chrono>
#include <cmath>

#include "losses/descriptor_losses.h"
#include "train/data/datasets.h"
#include "train/data/homography_pairs.h"
#include "train/eval_pass.h"
#include "train/metrics/descriptor_metrics.h"
#include "train/metrics/matching.h"
#include "train/io/image_io.h"
#include "train/tasks/lift_features.h"

namespace oc {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Two quadruplets of one photo whose points in view a lie closer than this show the same point.
constexpr double kSamePointPx = 8;

// The three networks, by the parameter names' prefix ("orientation.", "descriptor.", else the detector).
enum class LiftPart { detector, orientation, descriptor };

LiftPart part_of(const std::string& parameter) {
  if (parameter.rfind("orientation.", 0) == 0) return LiftPart::orientation;
  if (parameter.rfind("descriptor.", 0) == 0) return LiftPart::descriptor;
  return LiftPart::detector;
}

// What a stage (task.stage) trains, and how it places and turns the crops; the others are frozen.
struct LiftStage {
  LiftPart trains;
  bool crops_follow_detector;  // the score map's soft-argmax places the crops (else the patch centre)
  bool true_orientation;       // P2 turned back by the homography's true turn (else predicted turns)
};

const Registry<LiftStage>& lift_stage_registry() {
  static const Registry<LiftStage> r = [] {
    Registry<LiftStage> r("lift stage");
    r.add("descriptor", {}, {LiftPart::descriptor, false, true});
    r.add("orientation", {}, {LiftPart::orientation, false, false});
    r.add("detector", {}, {LiftPart::detector, true, false});
    return r;
  }();
  return r;
}

// A batch of quadruplets [B, 4, P, P] as its four views [B, 1, P, P], the true angle of P2
// relative to P1 as unit (cos, sin) rows [B, 2], and which quadruplets show one physical point
// ([B, B], 1 = the same point; the descriptor loss takes no negatives from there).
struct Views {
  Tensor view[4];
  Tensor true_cos_sin;
  std::vector<float> true_angle;
  Tensor same_point;
  uint64_t random_key = 0;  // the batch's own random stream (the orientation stage's turns)
};

Views split_views(const Batch& b, Device device) {
  Views v;
  v.random_key = batch_draw_key(b);
  Tensor x = to(b.images, device);
  for (int k = 0; k < 4; ++k) v.view[k] = contiguous(slice(x, 1, k, k + 1));
  std::vector<float> t = to_vector<float>(contiguous(b.targets)), cs;
  const int64_t cols = b.targets.size(1);
  for (int64_t i = 0; i < b.targets.size(0); ++i) {
    const float a = t[static_cast<size_t>(i * cols)];
    v.true_angle.push_back(a);
    cs.push_back(std::cos(a)), cs.push_back(std::sin(a));
  }
  const int64_t B = b.targets.size(0);
  v.true_cos_sin = to(from_vector<float>(cs, {B, 2}), device);
  std::vector<float> same(static_cast<size_t>(B * B), 0.0f);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t j = 0; j < B; ++j) {
      const float* ri = &t[static_cast<size_t>(i * cols)];
      const float* rj = &t[static_cast<size_t>(j * cols)];
      const bool one = i != j && ri[2] == rj[2] && std::hypot(ri[3] - rj[3], ri[4] - rj[4]) < kSamePointPx;
      same[static_cast<size_t>(i * B + j)] = one ? 1.0f : 0.0f;
    }
  v.same_point = to(from_vector<float>(same, {B, B}), device);
  return v;
}

// What a stage computes for a batch: descriptors of P1, P2 and P3, and (after the descriptor stage)
// their orientations [3B, 2]; the detector stage adds the smooth maxima of the four score maps [4B].
struct StageOutput {
  Tensor same_point;    // the batch's, for the loss
  Tensor true_cos_sin;  // P2's true turn relative to P1 [B, 2]
  Tensor d1, d2, d3;
  Tensor cos_sin;
  Tensor scores;
};

class LiftTask : public Task {
 public:
  LiftTask(const Experiment& e, bool with_train, const std::string& eval_split)
      : s_(e.task.lift),
        stage_(lift_stage_registry().at(e.task.lift.stage, e.path + ": task.stage").factory),
        loader_(e.data.loader), pairs_dir_(eval_split == "train" ? e.data.train_dir : e.data.test_dir) {
    if (with_train) train_ = load_split(e.data, "train");
    eval_ = load_split(e.data, eval_split);
    const ImageDataset& probe = with_train ? train_ : eval_;
    OC_CHECK(probe.images.dim() == 4 && probe.images.size(1) == 4 && probe.targets.defined() &&
                 probe.targets.dim() == 2 && probe.targets.size(1) == kLiftTargetColumns,
             e.path, ": data.dataset \"", e.data.dataset, "\" must give patch quadruplets [N, 4, P, P] with ",
             kLiftTargetColumns, " targets each (angle, scale, photo, p.x, p.y)");
    patch_ = probe.images.size(2);
    const Network& model = *e.model;
    OC_CHECK(model.input_shape() == (Shape{1, patch_, patch_}), e.path, ": model.input is ",
             shape_str(model.input_shape()), " but the detector reads one patch of the quadruplets, [1, ", patch_,
             ", ", patch_, "]");
    const Shape out = model.output_shape(model.output_names()[0]);
    OC_CHECK(out == model.input_shape(), e.path, ": the detector's score map is ", shape_str(out),
             "; it must have the input's size, [1, ", patch_, ", ", patch_, "] (pad the convolutions)");
    OC_CHECK(s_.detector_window <= patch_, e.path, ": task.detector_window (", s_.detector_window,
             ") is larger than the patches (", patch_, ")");
  }

  const ImageDataset& train_data() const override { return train_; }

  bool trains(const std::string& name) const override { return part_of(name) == stage_.trains; }

  Tensor loss(Network& model, const Batch& b, Device device) override {
    LiftNets n = lift_nets(model);
    // Frozen networks keep their running statistics (batch norm) as the earlier stage left them.
    if (stage_.trains != LiftPart::descriptor) n.descriptor->eval();
    if (stage_.trains != LiftPart::orientation) n.orientation->eval();
    return stage_loss(run_stage(n, split_views(b, device), true));
  }

  EvalResult evaluate(Network& model, Device device) override;

 private:
  // training: the orientation stage turns the crops by random angles first (augment_degrees).
  StageOutput run_stage(const LiftNets& n, const Views& v, bool training) const;
  Tensor stage_loss(const StageOutput& o) const;

  // Matching on the first task.eval_pairs image pairs of the evaluation split: their averages.
  // Called inside evaluate's EvalPass, which holds the model in eval mode.
  json evaluate_pairs(Network& model, Device device) const;

  LiftSettings s_;
  LiftStage stage_;
  LoaderOptions loader_;
  std::string pairs_dir_;
  ImageDataset train_, eval_;
  int64_t patch_ = 0;
};

StageOutput LiftTask::run_stage(const LiftNets& n, const Views& v, bool training) const {
  const int64_t B = v.view[0].size(0);
  const double scale = s_.crop_extent / static_cast<double>(patch_);
  Tensor three = cat({v.view[0], v.view[1], v.view[2]}, 0);
  Tensor centre = zeros({3 * B, 2}, three.dtype(), three.device());
  StageOutput o;
  o.same_point = v.same_point;
  o.true_cos_sin = v.true_cos_sin;
  if (stage_.crops_follow_detector) {
    // The keypoint: soft-argmax over the central window of each score map, in the patch's
    // normalized coordinates.
    Tensor maps = n.detector->forward(cat({three, v.view[3]}, 0));
    const int64_t lo = (patch_ - s_.detector_window) / 2, hi = lo + s_.detector_window;
    Tensor window = slice(slice(maps, 2, lo, hi), 3, lo, hi);
    SoftArgmaxResult r = soft_argmax_with_value(window, {s_.beta, SoftArgmaxCoords::normalized});
    // Window-normalized -> patch-normalized: the window is centred, detector_window / P of the patch
    // (an odd offset of half a pixel when P - window is odd, as lo rounds down).
    const double shift = (static_cast<double>(lo) + 0.5 * s_.detector_window) * 2.0 / patch_ - 1.0;
    Tensor coords = reshape(r.coords, {4 * B, 2});
    centre = add(mul(slice(coords, 0, 0, 3 * B), static_cast<double>(s_.detector_window) / patch_), shift);
    o.scores = reshape(r.value, {4 * B});
  }
  Tensor cos_sin;
  if (stage_.true_orientation) {
    // The true orientations: P1 and P3 as cut, P2 turned back by the homography's local rotation.
    Tensor ident = cat({ones({B, 1}, three.dtype(), three.device()), zeros({B, 1}, three.dtype(), three.device())}, 1);
    cos_sin = cat({ident, v.true_cos_sin, ident}, 0);
  } else {
    // The orientation is predicted from a crop turned by a (random while training the orientation
    // stage: the net must find each patch's own orientation, not the upright one) and is relative to
    // that turn.
    Tensor turn;
    if (training && stage_.trains == LiftPart::orientation && s_.augment_degrees > 0) {
      Generator gen(v.random_key);  // keyed by the epoch and the batch: a resumed run turns alike
      Tensor a = mul(uniform({3 * B, 1}, -s_.augment_degrees, s_.augment_degrees, &gen), kPi / 180);
      std::vector<float> av = to_vector<float>(a), cs;
      for (float x : av) cs.push_back(std::cos(x)), cs.push_back(std::sin(x));
      turn = to(from_vector<float>(cs, {3 * B, 2}), three.device());
    }
    o.cos_sin = predict_orientation(*n.orientation, crop_patches(three, crop_theta(centre, turn, scale), s_.crop));
    if (turn.defined()) o.cos_sin = compose_rotations(turn, o.cos_sin);
    cos_sin = o.cos_sin;
  }
  Tensor d = describe(*n.descriptor, crop_patches(three, crop_theta(centre, cos_sin, scale), s_.crop));
  o.d1 = slice(d, 0, 0, B), o.d2 = slice(d, 0, B, 2 * B), o.d3 = slice(d, 0, 2 * B, 3 * B);
  return o;
}

Tensor LiftTask::stage_loss(const StageOutput& o) const {
  if (stage_.trains == LiftPart::orientation) {
    Tensor l = mean(row_distances(o.d1, o.d2));
    if (s_.orientation_angle_weight > 0) {
      const int64_t B = o.d1.size(0);
      Tensor e = turn_error_loss(slice(o.cos_sin, 0, 0, B), slice(o.cos_sin, 0, B, 2 * B), o.true_cos_sin);
      l = add(l, mul(e, s_.orientation_angle_weight));
    }
    return l;
  }
  Tensor l = s_.descriptor_loss == "pair_hinge" ? pair_hinge_loss(o.d1, o.d2, o.d3, s_.margin)
                                                : hardest_triplet_loss(o.d1, o.d2, s_.margin, o.same_point);
  if (stage_.crops_follow_detector && s_.classification_weight > 0) {
    const int64_t B = o.d1.size(0);
    l = add(l, mul(keypoint_classification_loss(slice(o.scores, 0, 0, 3 * B), slice(o.scores, 0, 3 * B, 4 * B)),
                   s_.classification_weight));
  }
  return l;
}

// The angle of P2's predicted orientation relative to P1's, against the truth, in degrees in [0, 180].
void add_angle_errors(const StageOutput& o, const Views& v, std::vector<double>& errors) {
  if (!o.cos_sin.defined()) return;
  std::vector<float> cs = to_vector<float>(contiguous(to(o.cos_sin, Device::cpu())));
  const size_t B = v.true_angle.size();
  for (size_t i = 0; i < B; ++i) {
    const double a1 = std::atan2(cs[2 * i + 1], cs[2 * i]), a2 = std::atan2(cs[2 * (B + i) + 1], cs[2 * (B + i)]);
    const double e = std::remainder(a2 - a1 - v.true_angle[i], 2 * kPi);
    errors.push_back(std::fabs(e) * 180 / kPi);
  }
}

EvalResult LiftTask::evaluate(Network& model, Device device) {
  auto t0 = std::chrono::steady_clock::now();
  LiftNets n = lift_nets(model);
  EvalPass pass(model, eval_, loader_);
  double loss = 0;
  int64_t count = 0;
  std::vector<double> pos, neg, angle_errors;
  Batch b;
  while (pass.next(b)) {
    if (b.images.size(0) < 2) continue;  // the hardest-negative loss needs a pair of pairs
    Views v = split_views(b, device);
    StageOutput o = run_stage(n, v, false);
    loss += item<double>(stage_loss(o)) * static_cast<double>(b.images.size(0));
    count += b.images.size(0);
    for (float d : to_vector<float>(to(row_distances(o.d1, o.d2), Device::cpu()))) pos.push_back(d);
    for (float d : to_vector<float>(to(row_distances(o.d1, o.d3), Device::cpu()))) neg.push_back(d);
    add_angle_errors(o, v, angle_errors);
  }
  OC_CHECK(count > 0, "lift: the evaluation split has fewer than 2 quadruplets");
  EvalResult r;
  r.count = count;
  r.loss = loss / static_cast<double>(count);
  const double fpr = fpr_at_recall(pos, neg);
  // FPR95 saturates within an epoch on these quadruplets (their negatives are other keypoints), so
  // the stage's own test loss selects the best checkpoint unless image pairs are matched.
  r.score = -r.loss;
  r.score_name = "-loss";
  r.metrics = {{"fpr95", fpr}, {"-loss", -r.loss}};
  if (!angle_errors.empty()) {
    double sum = 0;
    for (double e : angle_errors) sum += e;
    r.metrics["orientation_error_deg"] = sum / static_cast<double>(angle_errors.size());
  }
  if (s_.eval_pairs > 0) {
    json m = evaluate_pairs(model, device);
    r.metrics.update(m);
    r.score = m["mma@3"].get<double>();
    r.score_name = "mma@3";
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

json LiftTask::evaluate_pairs(Network& model, Device device) const {
  std::vector<HomographyPair> pairs = read_homography_pairs(pairs_dir_);
  if (static_cast<int64_t>(pairs.size()) > s_.eval_pairs) pairs.resize(static_cast<size_t>(s_.eval_pairs));
  OC_CHECK(!pairs.empty(), pairs_dir_, "/pairs.json: no image pairs to evaluate (task.eval_pairs)");
  LiftExtractOptions opt;
  opt.mean = loader_.mean, opt.std = loader_.std, opt.device = device;
  const std::vector<double> thresholds = {1, 3, 5, 10};
  std::vector<double> mma(thresholds.size(), 0);
  double matches = 0, correct = 0, repeat = 0, keypoints = 0, corner = 0;
  int64_t corner_ok = 0, good_h = 0;
  for (const HomographyPair& p : pairs) {
    ImageFeatures a = lift_features(model, s_, read_image(p.a, 1), opt);
    ImageFeatures b = lift_features(model, s_, read_image(p.b, 1), opt);
    MatchScores sc = score_matches(a, b, mutual_nearest_neighbours(a, b), p.h, thresholds);
    for (size_t k = 0; k < thresholds.size(); ++k) mma[k] += sc.mma[k];
    matches += static_cast<double>(sc.matches), correct += static_cast<double>(sc.correct);
    repeat += sc.repeatability;
    keypoints += 0.5 * static_cast<double>(a.points.size() + b.points.size());
    if (std::isfinite(sc.corner_error)) corner += sc.corner_error, ++corner_ok;
    good_h += sc.corner_error <= 3;
  }
  const double n = static_cast<double>(pairs.size());
  json m = {{"pairs", pairs.size()}, {"keypoints", keypoints / n}, {"matches", matches / n},
            {"correct_matches", correct / n}, {"repeatability", repeat / n},
            {"homography_accuracy@3", static_cast<double>(good_h) / n},
            {"corner_error", corner_ok ? corner / static_cast<double>(corner_ok) : -1.0}};
  for (size_t k = 0; k < thresholds.size(); ++k)
    m["mma@" + std::to_string(static_cast<int>(thresholds[k]))] = mma[k] / n;
  return m;
}

// t[key] into v, which must be >= lo.
void read_at_least(ConfigObject& t, const char* key, int64_t& v, int64_t lo) {
  v = t.get_int(key, v);
  OC_CHECK(v >= lo, t.where(key), ": must be >= ", lo, ", got ", v);
}

void read_positive(ConfigObject& t, const char* key, double& v, bool zero_ok = false) {
  v = t.get_double(key, v);
  OC_CHECK(std::isfinite(v) && (v > 0 || (zero_ok && v == 0)), t.where(key), ": must be ",
           zero_ok ? ">= 0" : "positive", ", got ", v);
}

// An attached network reading [C, crop, crop] crops (C the model input's channels).
void attach_crop_network(ConfigObject& t, const char* key, int64_t crop, TaskSettings& s) {
  OC_CHECK(t.has(key), t.where(key), ": the lift task needs its ", key, " network, e.g. {\"layers\": [{\"type\": "
           "\"conv2d\", ...}, ..., {\"type\": \"linear\", \"out_features\": ", std::string(key) == "orientation" ? "2" : "128",
           "}]}");
  s.attached.push_back({key, std::make_shared<ConfigObject>(t.child(key)),
                        [crop](const Network& m) { return Shape{m.input_shape()[0], crop, crop}; }});
}

}  // namespace

std::vector<std::string> lift_task_keys() {
  return {"stage", "crop", "crop_extent", "orientation", "descriptor", "descriptor_loss", "margin", "beta",
          "augment_degrees", "orientation_angle_weight",
          "detector_window", "classification_weight", "nms_radius", "max_keypoints", "min_score", "refine_radius",
          "eval_pairs"};
}

void read_lift_task(ConfigObject& t, TaskSettings& s, const DataSettings& data) {
  OC_CHECK(data.dataset == "homography_patches", t.where("type"),
           ": \"lift\" needs data.dataset \"homography_patches\", got \"", data.dataset, "\"");
  LiftSettings& l = s.lift;
  l.stage = t.get_string("stage", l.stage);
  lift_stage_registry().at(l.stage, t.where("stage"));
  read_at_least(t, "crop", l.crop, 4);
  read_positive(t, "crop_extent", l.crop_extent);
  l.descriptor_loss = t.get_string("descriptor_loss", l.descriptor_loss);
  OC_CHECK(l.descriptor_loss == "hardest_triplet" || l.descriptor_loss == "pair_hinge", t.where("descriptor_loss"),
           ": expected \"hardest_triplet\" or \"pair_hinge\", got \"", l.descriptor_loss, "\"");
  read_positive(t, "margin", l.margin);
  read_positive(t, "beta", l.beta);
  read_positive(t, "orientation_angle_weight", l.orientation_angle_weight, true);
  l.augment_degrees = t.get_double("augment_degrees", l.augment_degrees);
  OC_CHECK(l.augment_degrees >= 0 && l.augment_degrees <= 180, t.where("augment_degrees"), ": must be in [0, 180], got ",
           l.augment_degrees);
  read_at_least(t, "detector_window", l.detector_window, 2);
  read_positive(t, "classification_weight", l.classification_weight, true);
  read_at_least(t, "nms_radius", l.nms_radius, 1);
  read_at_least(t, "max_keypoints", l.max_keypoints, 1);
  l.min_score = t.get_double("min_score", l.min_score);
  read_at_least(t, "refine_radius", l.refine_radius, 0);
  read_at_least(t, "eval_pairs", l.eval_pairs, 0);
  attach_crop_network(t, "orientation", l.crop, s);
  attach_crop_network(t, "descriptor", l.crop, s);
}

std::unique_ptr<Task> make_lift_task(const Experiment& e, bool with_train, const std::string& eval_split) {
  return std::make_unique<LiftTask>(e, with_train, eval_split);
}

}  // namespace oc
