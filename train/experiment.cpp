// Reading experiment configs (see experiment.h and docs/config.md).
#include "train/experiment.h"

#include <algorithm>
#include <cmath>

#include "train/data/distorted_mnist.h"

namespace oc {
namespace {

void read_data(ConfigObject d, DataSettings& s) {
  s.dataset = d.get_string("dataset", s.dataset);
  OC_CHECK(s.dataset == "fashion_mnist" || s.dataset == "image_folder" || s.dataset == "pose_coco", d.where("dataset"),
           ": expected \"fashion_mnist\", \"image_folder\" or \"pose_coco\", got \"", s.dataset, "\"");
  s.dir = d.get_string("dir", "");
  if (s.dataset == "image_folder" || s.dataset == "pose_coco") {
    s.train_dir = d.require_string("train_dir");
    s.test_dir = d.require_string("test_dir");
  }
  if (s.dataset == "pose_coco" && d.has("crop")) {
    ConfigObject c = d.child("crop");
    PoseAugmentOptions& o = s.pose_crop;
    o = PoseAugmentOptions{};
    o.size = c.require_int("size");
    o.margin = c.get_double("margin", o.margin);
    o.rotation_degrees = c.get_double("rotation_degrees", o.rotation_degrees);
    o.scale_min = c.get_double("scale_min", o.scale_min);
    o.scale_max = c.get_double("scale_max", o.scale_max);
    o.horizontal_flip = c.get_bool("horizontal_flip", o.horizontal_flip);
    s.pose_crop_augment = c.get_bool("augment", true);
    try {
      o.check();
    } catch (const Error& err) {
      OC_FAIL(c.where("size"), ": ", err.what());
    }
    c.finish();
  }
  s.train_limit = d.get_int("train_limit", 0);
  s.test_limit = d.get_int("test_limit", 0);
  // Read both keys always, so that they appear in `resolved` and typos of them get suggestions.
  s.distortion = d.get_string("distortion", s.distortion);
  try {
    distortion_from_string(s.distortion);
  } catch (const Error& e) {
    OC_FAIL(d.where("distortion"), ": ", e.what());
  }
  OC_CHECK(s.distortion == "none" || s.dataset == "fashion_mnist", d.where("distortion"), ": \"", s.distortion,
           "\" needs dataset \"fashion_mnist\", got \"", s.dataset, "\"");
  const int64_t dseed = d.get_int("distortion_seed", static_cast<int64_t>(s.distortion_seed));
  OC_CHECK(dseed >= 0, d.where("distortion_seed"), ": must be >= 0, got ", dseed);
  s.distortion_seed = static_cast<uint64_t>(dseed);
  LoaderOptions& l = s.loader;
  l.batch_size = d.get_int("batch_size", 64);
  OC_CHECK(l.batch_size > 0, d.where("batch_size"), ": must be positive, got ", l.batch_size);
  l.workers = static_cast<int>(d.get_int("workers", 2));
  OC_CHECK(l.workers >= 1, d.where("workers"), ": must be at least 1");
  l.prefetch = static_cast<int>(d.get_int("prefetch", 4));
  l.drop_last = d.get_bool("drop_last", false);
  l.mean = d.get_double("mean", 0);
  l.std = d.get_double("std", 1);
  OC_CHECK(l.std > 0, d.where("std"), ": must be positive");
  ConfigObject a = d.child("augment");
  l.augment.random_crop_padding = a.get_int("random_crop_padding", 0);
  l.augment.horizontal_flip = a.get_bool("horizontal_flip", false);
  l.augment.affine_degrees = a.get_double("affine_degrees", 0);
  l.augment.affine_translate = a.get_double("affine_translate", 0);
  l.augment.affine_scale_min = a.get_double("affine_scale_min", 1);
  l.augment.affine_scale_max = a.get_double("affine_scale_max", 1);
  a.finish();
  d.finish();
}

void read_train(ConfigObject t, TrainSettings& s) {
  s.epochs = t.get_int("epochs", 1);
  OC_CHECK(s.epochs > 0, t.where("epochs"), ": must be positive");
  s.seed = static_cast<uint64_t>(t.get_int("seed", 0));
  s.device = t.get_string("device", "cpu");
  Device::parse(s.device);
  ConfigObject o = t.child("optimizer");
  s.optimizer = o.get_string("type", "sgd");
  double lr = 0;
  if (s.optimizer == "sgd") {
    s.sgd.lr = lr = o.get_double("lr", 0.01);
    s.sgd.momentum = o.get_double("momentum", 0);
    s.sgd.nesterov = o.get_bool("nesterov", false);
    s.sgd.weight_decay = o.get_double("weight_decay", 0);
  } else if (s.optimizer == "adam" || s.optimizer == "adamw") {
    s.adam.lr = lr = o.get_double("lr", 1e-3);
    s.adam.beta1 = o.get_double("beta1", 0.9);
    s.adam.beta2 = o.get_double("beta2", 0.999);
    s.adam.eps = o.get_double("eps", 1e-8);
    s.adam.weight_decay = o.get_double("weight_decay", s.optimizer == "adamw" ? 0.01 : 0);
    s.adam.decoupled = s.optimizer == "adamw";
  } else {
    std::string guess = closest_word(s.optimizer, {"sgd", "adam", "adamw"});
    OC_FAIL(o.where("type"), ": unknown optimizer \"", s.optimizer, "\"",
            guess.empty() ? "" : " (did you mean \"" + guess + "\"?)", "; known: sgd, adam, adamw");
  }
  OC_CHECK(lr > 0, o.where("lr"), ": must be positive, got ", lr);
  o.finish();
  ConfigObject sc = t.child("schedule");
  s.schedule.kind = sc.get_string("kind", "constant");
  s.schedule.base_lr = lr;
  s.schedule.warmup_steps = sc.get_int("warmup_steps", 0);
  s.schedule.step_size = sc.get_int("step_size", 1);
  s.schedule.gamma = sc.get_double("gamma", 0.1);
  s.schedule.min_lr = sc.get_double("min_lr", 0);
  s.schedule.total_steps = 1;  // set by the trainer from epochs x batches
  sc.finish();
  ConfigObject loss = t.child("loss");
  std::string type = loss.get_string("type", "cross_entropy");
  OC_CHECK(type == "cross_entropy", loss.where("type"), ": only \"cross_entropy\" is supported for classification, got \"",
           type, "\"");
  s.label_smoothing = loss.get_double("label_smoothing", 0);
  OC_CHECK(s.label_smoothing >= 0 && s.label_smoothing < 1, loss.where("label_smoothing"), ": must be in [0, 1)");
  loss.finish();
  s.clip_grad_norm = t.get_double("clip_grad_norm", 0);
  s.log_every = t.get_int("log_every", 50);
  t.finish();
}

void read_task(ConfigObject t, TaskSettings& s, const DataSettings& data) {
  s.type = t.get_string("type", s.type);
  OC_CHECK(s.type == "classification" || s.type == "pose", t.where("type"),
           ": expected \"classification\" or \"pose\", got \"", s.type, "\"");
  if (s.type == "classification") {
    OC_CHECK(data.dataset != "pose_coco", t.where("type"), ": data.dataset \"pose_coco\" needs task type \"pose\"");
    t.finish();
    return;
  }
  OC_CHECK(data.dataset == "pose_coco", t.where("type"), ": \"pose\" needs data.dataset \"pose_coco\", got \"",
           data.dataset, "\"");
  PoseSettings& p = s.pose;
  p.head = t.get_string("head", p.head);
  const std::vector<std::string> heads = {"direct", "heatmap", "integral", "paf"};
  if (std::find(heads.begin(), heads.end(), p.head) == heads.end()) {
    std::string guess = closest_word(p.head, heads);
    OC_FAIL(t.where("head"), ": unknown pose head \"", p.head, "\"", guess.empty() ? "" : " (did you mean \"" + guess + "\"?)",
            "; known: direct, heatmap, integral, paf");
  }
  p.stride = t.get_double("stride", p.stride);
  OC_CHECK(p.stride >= 1, t.where("stride"), ": must be >= 1, got ", p.stride);
  p.sigma = t.get_double("sigma", p.sigma);
  OC_CHECK(p.sigma > 0, t.where("sigma"), ": must be positive, got ", p.sigma);
  p.heatmap_loss = t.get_string("heatmap_loss", p.heatmap_loss);
  OC_CHECK(p.heatmap_loss == "mse" || p.heatmap_loss == "cross_entropy", t.where("heatmap_loss"),
           ": expected \"mse\" or \"cross_entropy\", got \"", p.heatmap_loss, "\"");
  p.beta = t.get_double("beta", p.beta);
  OC_CHECK(p.beta > 0 && std::isfinite(p.beta), t.where("beta"), ": must be positive, got ", p.beta);
  p.max_people = t.get_int("max_people", p.head == "paf" ? 4 : 1);
  OC_CHECK(p.max_people >= 1, t.where("max_people"), ": must be >= 1, got ", p.max_people);
  OC_CHECK(p.head == "paf" || p.max_people == 1, t.where("max_people"), ": head \"", p.head,
           "\" predicts one person per image; multi-person needs head \"paf\"");
  p.limb_width = t.get_double("limb_width", p.limb_width);
  OC_CHECK(p.limb_width > 0, t.where("limb_width"), ": must be positive, got ", p.limb_width);
  p.peak_threshold = t.get_double("peak_threshold", p.peak_threshold);
  p.target_weight = t.get_double("target_weight", p.target_weight);
  OC_CHECK(p.target_weight >= 1 && std::isfinite(p.target_weight), t.where("target_weight"), ": must be >= 1, got ",
           p.target_weight);
  t.finish();
}

}  // namespace

Experiment experiment_from_json(const json& config, const std::string& source) {
  Experiment e;
  e.path = source;
  e.config = config;
  ConfigObject top(config, source, "");
  read_data(top.child("data"), e.data);
  read_train(top.child("train"), e.train);
  read_task(top.child("task"), e.task, e.data);
  OC_CHECK(top.has("model"), top.where("model"), ": missing the model section");
  e.model = std::make_shared<Network>(top.child("model"), e.train.seed);
  top.finish();
  e.resolved = top.resolved();
  e.data.loader.seed = e.train.seed;
  return e;
}

Experiment load_experiment(const std::string& path, const std::vector<std::string>& overrides) {
  json config = read_json_file(path);
  for (const auto& o : overrides) apply_override(config, o, path);
  return experiment_from_json(config, path);
}

}  // namespace oc
