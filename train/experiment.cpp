// Reading experiment configs (see experiment.h and docs/config.md).
#include "train/experiment.h"

#include <cmath>

#include "train/data/datasets.h"
#include "train/data/distorted_mnist.h"
#include "train/optimizers.h"
#include "train/tasks/task.h"

namespace oc {
namespace {

void read_data(ConfigObject d, DataSettings& s) {
  s.dataset = d.get_string("dataset", s.dataset);
  const DatasetKind& kind = dataset_registry().at(s.dataset, d.where("dataset")).factory;
  s.dir = d.get_string("dir", "");
  kind.read(d, s);
  s.train_limit = d.get_int("train_limit", 0);
  s.test_limit = d.get_int("test_limit", 0);
  s.skip_corrupt = d.get_bool("skip_corrupt", false);
  // Read both keys always, so that they appear in `resolved` and typos of them get suggestions.
  s.distortion = d.get_string("distortion", s.distortion);
  try {
    distortion_from_string(s.distortion);
  } catch (const Error& e) {
    OC_FAIL(d.where("distortion"), ": ", e.what());
  }
  OC_CHECK(kind.distortions || distortion_from_string(s.distortion) == Distortion::none, d.where("distortion"), ": \"",
           s.distortion, "\" needs dataset ", distortion_datasets(), ", got \"", s.dataset, "\"");
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
  try {  // a bad value fails here, naming the config file, not at the first batch
    l.augment.check();
  } catch (const Error& err) {
    OC_FAIL(a.where(), ": ", err.what());
  }
  if (kind.check_augment) kind.check_augment(a, l.augment);
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
  const double lr = optimizer_registry().at(s.optimizer, o.where("type")).factory.read(o, s);
  OC_CHECK(lr > 0, o.where("lr"), ": must be positive, got ", lr);
  o.finish();
  ConfigObject sc = t.child("schedule");
  s.schedule.kind = sc.get_string("kind", "constant");
  schedule_registry().at(s.schedule.kind, sc.where("kind"));
  s.schedule.base_lr = lr;
  // Every kind's keys are read whatever the kind (the registry lists the ones each kind uses).
  s.schedule.warmup_steps = sc.get_int("warmup_steps", 0);
  s.schedule.step_size = sc.get_int("step_size", 1);
  s.schedule.gamma = sc.get_double("gamma", 0.1);
  s.schedule.min_lr = sc.get_double("min_lr", 0);
  s.schedule.total_steps = 1;  // set by the trainer from epochs x batches
  sc.finish();
  ConfigObject loss = t.child("loss");
  s.loss = loss.get_string("type", s.loss);
  loss_registry().at(s.loss, loss.where("type")).factory.read(loss, s);
  loss.finish();
  s.clip_grad_norm = t.get_double("clip_grad_norm", 0);
  s.log_every = t.get_int("log_every", 50);
  s.init_from = t.get_string("init_from", "");
  s.checkpoint_every = t.get_int("checkpoint_every", 0);
  OC_CHECK(s.checkpoint_every >= 0, t.where("checkpoint_every"), ": must be >= 0 (0: at the end of each epoch only), got ",
           s.checkpoint_every);
  ConfigObject scales = t.child("lr_scale");
  for (const auto& [prefix, value] : scales.raw().items()) {
    const double f = scales.get_double(prefix, 1);
    OC_CHECK(std::isfinite(f) && f >= 0, scales.where(prefix), ": must be finite and >= 0, got ", f);
    s.lr_scale.emplace_back(prefix, f);
  }
  scales.finish();
  ConfigObject dist = t.child("distributed");
  s.distributed.sync_batchnorm = dist.get_bool("sync_batchnorm", false);
  s.distributed.timeout_s = dist.get_double("timeout_s", 300);
  OC_CHECK(s.distributed.timeout_s > 0, dist.where("timeout_s"), ": must be positive (seconds), got ",
           s.distributed.timeout_s);
  s.distributed.bucket_mb = dist.get_double("bucket_mb", 1);
  OC_CHECK(s.distributed.bucket_mb > 0, dist.where("bucket_mb"), ": must be positive (MiB), got ", s.distributed.bucket_mb);
  dist.finish();
  t.finish();
}

void read_task(ConfigObject t, TaskSettings& s, const DataSettings& data) {
  s.type = t.get_string("type", s.type);
  task_registry().at(s.type, t.where("type")).factory.read(t, s, data);
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
  // Attached networks draw their parameters from a stream of their own, so adding one leaves the
  // model's initialization as it was.
  Generator attached_gen(e.train.seed);
  attached_gen.offset = uint64_t(1) << 48;
  for (const AttachedNetwork& a : e.task.attached)
    e.model->attach(a.name, std::make_shared<Network>(*a.config, a.input_shape(*e.model), attached_gen));
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
