// The pose task (see pose_task.h). The head (direct, heatmap, integral or paf; nets/pose/) gives the
// loss and the people; this file loads the data and scores the people against the annotations with
// the same metrics for every head, so that the heads can be compared on one data set: single-person
// heads by PCK@0.1 (each image's prediction paired with its one annotated person), multi-person heads
// by COCO keypoint AP (OKS), which every head also reports.
#include "train/tasks/pose_task.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "core/enum_names.h"
#include "train/data/datasets.h"
#include "train/eval_pass.h"
#include "train/io/coco_results.h"
#include "train/metrics/oks_eval.h"
#include "train/metrics/pck.h"

namespace oc {
namespace {

class PoseTask : public Task {
 public:
  PoseTask(const Experiment& e, bool with_train, const std::string& eval_split)
      : loader_(e.data.loader),
        multi_person_(pose_head_registry().at(e.task.pose.head, e.path + ": task.head").factory.multi_person) {
    const auto& load = dataset_registry().at(e.data.dataset, e.path + ": data.dataset").factory.load_keypoints;
    OC_CHECK(load, e.path, ": data.dataset \"", e.data.dataset, "\" holds no keypoints");
    if (with_train) train_ = load(e.data, "train", e.train.seed, e.task.pose.max_people);
    eval_ = load(e.data, eval_split, e.train.seed, e.task.pose.max_people);
    const PoseDataset& probe = with_train ? train_ : eval_;
    const Network& model = *e.model;
    Shape in_shape(probe.data.images.shape().begin() + 1, probe.data.images.shape().end());
    OC_CHECK(in_shape == model.input_shape(), e.path, ": model.input is ", shape_str(model.input_shape()),
             " but the pose images are ", shape_str(in_shape));
    head_ = make_pose_head(e.task.pose, model, probe.skeleton, e.path);
    const int64_t K = head_->geometry().K;
    sigmas_ = K == 17 ? coco_person_sigmas() : std::vector<float>(static_cast<size_t>(K), 0.05f);
  }

  const ImageDataset& train_data() const override { return train_.data; }

  Tensor loss(Network& model, const Batch& b, Device device) override {
    return head_->loss(forward_outputs(model, to(b.images, device)), head_->targets(b.targets, device));
  }

  EvalResult evaluate(Network& model, Device device) override;

  void write_results(const std::string& path) const override {
    std::vector<Person> out = last_detections_;
    for (Person& p : out) {
      const size_t i = static_cast<size_t>(p.image_id);
      const Homography& h = eval_.to_image[i];  // crops: back to the file's image (COCO coordinates)
      for (Keypoint& k : p.keypoints) {
        if (k.v == 0) continue;
        double x, y;
        homography_apply(h, k.x, k.y, &x, &y);
        k.x = static_cast<float>(x), k.y = static_cast<float>(y);
      }
      p.image_id = eval_.image_ids[i];
    }
    write_coco_keypoint_results(path, out);
  }

 private:
  LoaderOptions loader_;
  bool multi_person_;
  std::unique_ptr<PoseHead> head_;
  PoseDataset train_, eval_;
  std::vector<float> sigmas_;
  std::vector<Person> last_detections_;  // image_id = index into eval_
};

EvalResult PoseTask::evaluate(Network& model, Device device) {
  auto t0 = std::chrono::steady_clock::now();
  EvalPass pass(model, eval_.data, loader_);
  double loss = 0;
  std::vector<Person> preds, gts, dets, all_gts;
  Batch b;
  int64_t base = 0;
  while (pass.next(b)) {
    std::vector<Tensor> outs = forward_outputs(model, to(b.images, device));
    const int64_t B = outs[0].size(0);
    loss += item<double>(head_->loss(outs, head_->targets(b.targets, device))) * B;
    std::vector<std::vector<Person>> found = head_->decode(outs);
    for (int64_t n = 0; n < B; ++n) {
      const int64_t i = base + n;
      for (Person& p : found[n]) {
        p.image_id = i;
        dets.push_back(p);
      }
      for (Person gt : eval_.people[i]) {
        gt.image_id = i;
        all_gts.push_back(gt);
      }
      if (!multi_person_ && !eval_.people[i].empty()) {  // single person: paired one to one
        preds.push_back(found[n][0]);
        gts.push_back(eval_.people[i][0]);
      }
    }
    base += B;
  }
  EvalResult r;
  r.count = base;
  r.loss = base ? loss / base : 0;
  OksEvalParams params;
  params.sigmas = sigmas_;
  OksEvalResult oks = evaluate_oks(dets, all_gts, params);
  last_detections_ = dets;
  const OksAreaResult& all = oks.area("all");
  r.metrics = {{"oks_ap", all.ap}, {"oks_ap50", all.ap50}, {"oks_ap75", all.ap75}, {"oks_ar", all.ar}};
  if (multi_person_) {  // COCO keypoint AP is the score (PCK pairs one person per image)
    r.score_name = "oks_ap";
    r.score = all.ap;
  } else {
    PckResult pk = pck(preds, gts, {0.05, 0.1});
    r.score_name = "pck@0.1";
    r.score = pk.pck[1];
    r.metrics["pck@0.05"] = pk.pck[0];
    r.metrics["pck@0.1"] = pk.pck[1];
    r.metrics["mean_pixel_error"] = pk.mean_error;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace

// task.contradicting_limb -> PoseAssemblyOptions::replace_contradicting, task.person_score -> score_per_joint.
constexpr EnumName<bool> kContradictingLimbRules[] = {{false, "drop"}, {true, "replace"}};
constexpr EnumName<bool> kPersonScores[] = {{false, "joints_and_limbs"}, {true, "joints"}};

// "head", "max_people", then every head's and heatmap loss's keys as their registries list them.
std::vector<std::string> pose_task_keys() {
  std::vector<std::string> keys = {"head", "max_people"};
  auto add = [&keys](const std::vector<std::string>& more) {
    for (const std::string& k : more)
      if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  };
  for (const auto& [name, e] : pose_head_registry().entries()) add(e.keys);
  for (const auto& [name, e] : heatmap_loss_registry().entries()) add(e.keys);
  return keys;
}

namespace {

// A key of another head than the chosen one (whose keys are `reads`) is an error naming the head,
// not a value silently ignored.
void check_keys_belong_to_head(const ConfigObject& t, const std::string& head, const std::set<std::string>& reads) {
  const std::vector<std::string> all = pose_task_keys();
  const std::set<std::string> every(all.begin() + 1, all.end());  // "head" belongs to every head
  for (const auto& item : t.raw().items()) {
    const std::string& key = item.key();
    if (!every.count(key) || reads.count(key)) continue;
    std::string own;
    for (const std::string& k : reads) own += (own.empty() ? "" : ", ") + k;
    OC_FAIL(t.where(key), ": head \"", head, "\" does not use it (its keys: ", own.empty() ? "none" : own, ")");
  }
}

}  // namespace

void read_pose_task(ConfigObject& t, TaskSettings& s, const DataSettings& data) {
  OC_CHECK(dataset_registry().at(data.dataset, "data.dataset").factory.load_keypoints, t.where("type"),
           ": \"pose\" needs data.dataset \"pose_coco\", got \"", data.dataset, "\"");
  PoseSettings& p = s.pose;
  p.head = t.get_string("head", p.head);
  const auto& entry = pose_head_registry().at(p.head, t.where("head"));
  const PoseHeadKind& head = entry.factory;
  std::set<std::string> reads(entry.keys.begin(), entry.keys.end());
  reads.insert("max_people");
  if (reads.count("heatmap_loss")) {  // the heatmap head's sigma and target_weight belong to its mse loss
    p.heatmap_loss = t.get_string("heatmap_loss", p.heatmap_loss);
    const auto& loss_keys = heatmap_loss_registry().at(p.heatmap_loss, t.where("heatmap_loss")).keys;
    reads.erase("sigma"), reads.erase("target_weight");
    reads.insert(loss_keys.begin(), loss_keys.end());
  }
  check_keys_belong_to_head(t, p.head, reads);
  auto uses = [&](const char* key) { return reads.count(key) > 0; };

  if (uses("stride")) {
    p.stride = t.get_double("stride", p.stride);
    OC_CHECK(p.stride >= 1, t.where("stride"), ": must be >= 1, got ", p.stride);
  }
  if (uses("sigma")) {
    p.sigma = t.get_double("sigma", p.sigma);
    OC_CHECK(p.sigma > 0, t.where("sigma"), ": must be positive, got ", p.sigma);
  }
  if (uses("beta")) {
    p.beta = t.get_double("beta", p.beta);
    OC_CHECK(p.beta > 0 && std::isfinite(p.beta), t.where("beta"), ": must be positive, got ", p.beta);
  }
  if (uses("coordinate_weight")) {
    p.coordinate_weight = t.get_double("coordinate_weight", p.coordinate_weight);
    OC_CHECK(p.coordinate_weight >= 0 && std::isfinite(p.coordinate_weight), t.where("coordinate_weight"),
             ": must be >= 0, got ", p.coordinate_weight);
  }
  if (uses("map_weight")) {
    p.map_weight = t.get_double("map_weight", p.map_weight);
    OC_CHECK(p.map_weight >= 0 && std::isfinite(p.map_weight), t.where("map_weight"), ": must be >= 0, got ",
             p.map_weight);
  }
  if (uses("coordinate_weight") && uses("map_weight"))
    OC_CHECK(p.coordinate_weight + p.map_weight > 0, t.where("coordinate_weight"),
             ": coordinate_weight and map_weight are both 0, so nothing would be trained");
  if (uses("decode_window")) {
    p.decode_window = t.get_int("decode_window", p.decode_window);
    OC_CHECK(p.decode_window >= 0, t.where("decode_window"), ": must be >= 0 (0: the whole map), got ",
             p.decode_window);
  }
  p.max_people = t.get_int("max_people", head.multi_person ? 4 : 1);
  OC_CHECK(p.max_people >= 1, t.where("max_people"), ": must be >= 1, got ", p.max_people);
  OC_CHECK(head.multi_person || p.max_people == 1, t.where("max_people"), ": head \"", p.head,
           "\" predicts one person per image; multi-person needs head \"paf\"");
  if (uses("limb_width")) {
    p.limb_width = t.get_double("limb_width", p.limb_width);
    OC_CHECK(p.limb_width > 0, t.where("limb_width"), ": must be positive, got ", p.limb_width);
  }
  if (uses("peak_threshold")) p.peak_threshold = t.get_double("peak_threshold", p.peak_threshold);
  PoseAssemblyOptions& a = p.assembly;  // paf's
  if (uses("paf_threshold")) a.paf_threshold = t.get_double("paf_threshold", a.paf_threshold);
  if (uses("limb_samples")) {
    a.samples = static_cast<int>(t.get_int("limb_samples", a.samples));
    OC_CHECK(a.samples >= 2 && a.samples <= 1000, t.where("limb_samples"), ": must be in [2, 1000], got ", a.samples);
  }
  if (uses("min_limb_fraction")) {
    a.min_fraction = t.get_double("min_limb_fraction", a.min_fraction);
    OC_CHECK(a.min_fraction >= 0 && a.min_fraction <= 1, t.where("min_limb_fraction"), ": must be in [0, 1], got ",
             a.min_fraction);
  }
  if (uses("min_joints")) {
    a.min_joints = static_cast<int>(t.get_int("min_joints", a.min_joints));
    OC_CHECK(a.min_joints >= 2, t.where("min_joints"), ": must be >= 2 (a person is at least one limb), got ",
             a.min_joints);
  }
  if (uses("min_person_score")) {
    a.min_score = t.get_double("min_person_score", a.min_score);
    OC_CHECK(std::isfinite(a.min_score), t.where("min_person_score"), ": must be finite, got ", a.min_score);
  }
  if (uses("contradicting_limb"))
    a.replace_contradicting = enum_from_name(kContradictingLimbRules, t.get_string("contradicting_limb", "drop"),
                                             (t.where("contradicting_limb") + ": unknown rule").c_str());
  if (uses("person_score"))
    a.score_per_joint = enum_from_name(kPersonScores, t.get_string("person_score", "joints_and_limbs"),
                                       (t.where("person_score") + ": unknown score").c_str());
  if (uses("target_weight")) {
    p.target_weight = t.get_double("target_weight", p.target_weight);
    OC_CHECK(p.target_weight >= 1 && std::isfinite(p.target_weight), t.where("target_weight"),
             ": must be >= 1, got ", p.target_weight);
  }
}

std::unique_ptr<Task> make_pose_task(const Experiment& e, bool with_train, const std::string& eval_split) {
  return std::make_unique<PoseTask>(e, with_train, eval_split);
}

}  // namespace oc
