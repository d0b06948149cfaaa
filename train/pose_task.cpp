// The pose task (task.h): losses and decoding of the pose heads, and the metrics of the seed's
// comparison. Coordinates inside are "kernel" pixels (pixel centres at integers, see
// train/pose_dataset.h); a heatmap cell (i, j) of stride s is centred at (j s + (s-1)/2, i s + (s-1)/2).
//   direct    output [2K]: (x, y) per joint in normalized coordinates (-1 and 1 are the image's
//             outer edges, grid_sample's align_corners=false convention); L2 loss on visible joints.
//   heatmap   output [K, H/s, W/s]: per-joint cross-entropy over the cells (the target is the cell
//             nearest the joint), decoded by argmax (Approach II of the seed).
//   integral  the same head, decoded by soft-argmax (Sun et al.); L1 loss on coordinates.
#include <algorithm>
#include <chrono>
#include <cmath>

#include "core/log.h"
#include "kernels/ops.h"
#include "kernels/soft_argmax/soft_argmax.h"
#include "losses/losses.h"
#include "train/pck.h"
#include "train/oks_eval.h"
#include "train/pose_dataset.h"
#include "train/pose_task.h"
#include "train/task.h"

namespace oc {
namespace {

using Geometry = PoseHeadGeometry;

// Input-pixel coordinates [B,K,2] of heatmap-cell coordinates.
Tensor cells_to_pixels(const Tensor& c, double s) { return add(mul(c, s), (s - 1) / 2); }

// Keypoints [B,K,2] in input pixels (pixel centres at integers) and a score per sample.
void decode_single_person(const PoseSettings& p, const Geometry& g, const Tensor& out, std::vector<float>& xy,
                          std::vector<float>& score) {
  const int64_t B = out.size(0);
  score.assign(static_cast<size_t>(B), 1.0f);
  if (p.head == "direct") {
    Tensor scale = from_vector(std::vector<float>{g.W / 2.0f, g.H / 2.0f}, {1, 1, 2});
    xy = to_vector<float>(sub(mul(add(to(reshape(out, {B, g.K, 2}), Device::cpu()), 1.0), scale), 0.5));
    return;
  }
  Tensor flat = reshape(out, {B, g.K, g.Hh * g.Wh});
  // Score: the mean over joints of each map's largest softmax probability (confidence for AP ranking).
  std::vector<float> peak = to_vector<float>(to(max(softmax(flat, 2), {2}), Device::cpu()));
  for (int64_t n = 0; n < B; ++n) {
    double acc = 0;
    for (int64_t k = 0; k < g.K; ++k) acc += peak[n * g.K + k];
    score[n] = static_cast<float>(acc / g.K);
  }
  if (p.head == "integral") {
    SoftArgmaxOptions o;
    o.beta = p.beta;
    xy = to_vector<float>(to(cells_to_pixels(soft_argmax(out, o), g.s), Device::cpu()));
    return;
  }
  std::vector<int64_t> idx = to_vector<int64_t>(to(argmax(flat, 2), Device::cpu()));
  xy.assign(static_cast<size_t>(B * g.K * 2), 0);
  for (int64_t i = 0; i < B * g.K; ++i) {
    xy[2 * i] = static_cast<float>((idx[i] % g.Wh) * g.s + (g.s - 1) / 2);
    xy[2 * i + 1] = static_cast<float>((idx[i] / g.Wh) * g.s + (g.s - 1) / 2);
  }
}

// The visible joints of person slot 0 of each sample: mask [B,K,1] and (x, y) [B,K,2], on the CPU.
void single_person_targets(const Tensor& targets, Tensor& mask, Tensor& xy) {
  Tensor t = select(targets, 1, 0);  // [B,K,3]
  xy = contiguous(slice(t, 2, 0, 2));
  mask = contiguous(gt(slice(t, 2, 2, 3), zeros({1}, t.dtype())));
  mask = to(mask, DType::f32);
}

class PoseTask : public Task {
 public:
  PoseTask(const Experiment& e, bool with_train, const std::string& eval_split)
      : loader_(e.data.loader), p_(e.task.pose) {
    if (with_train) train_ = load_pose_dataset(e.data.train_dir, p_.max_people, e.data.train_limit);
    eval_ = load_pose_dataset(eval_split == "train" ? e.data.train_dir : e.data.test_dir, p_.max_people,
                              eval_split == "train" ? e.data.train_limit : e.data.test_limit);
    const PoseDataset& probe = with_train ? train_ : eval_;
    const Network& model = *e.model;
    Shape in_shape(probe.data.images.shape().begin() + 1, probe.data.images.shape().end());
    OC_CHECK(in_shape == model.input_shape(), e.path, ": model.input is ", shape_str(model.input_shape()),
             " but the pose images are ", shape_str(in_shape));
    g_ = pose_head_geometry(p_, model, static_cast<int64_t>(probe.skeleton.joint_names.size()), e.path);
    sigmas_ = g_.K == 17 ? coco_person_sigmas() : std::vector<float>(static_cast<size_t>(g_.K), 0.05f);
  }

  const ImageDataset& train_data() const override { return train_.data; }

  Tensor loss(Network& model, const Batch& b, Device device) override {
    return loss_of(model.forward(to(b.images, device)), b.targets, device);
  }

  EvalResult evaluate(Network& model, Device device) override;

 private:
  Tensor loss_of(const Tensor& out, const Tensor& targets, Device device) const {
    Tensor mask, xy;
    single_person_targets(targets, mask, xy);
    const int64_t B = out.size(0);
    const double visible = std::max(1.0, item<double>(sum(mask)));
    Tensor m = to(mask, device);
    if (p_.head == "direct") {
      Tensor scale = from_vector(std::vector<float>{2.0f / g_.W, 2.0f / g_.H}, {1, 1, 2});
      Tensor want = to(sub(mul(add(xy, 0.5), scale), 1.0), device);
      Tensor d = sub(reshape(out, {B, g_.K, 2}), want);
      return div(sum(mul(mul(d, d), m)), visible);
    }
    if (p_.head == "integral") {
      SoftArgmaxOptions o;
      o.beta = p_.beta;
      Tensor pred = cells_to_pixels(soft_argmax(out, o), g_.s);
      // L1 in units of the input width, so the loss scale does not depend on the image size.
      Tensor d = abs(sub(pred, to(xy, device)));
      return div(sum(mul(d, m)), visible * g_.W);
    }
    // heatmap, cross-entropy over the cells of each visible joint's map
    std::vector<float> xyv = to_vector<float>(xy), mv = to_vector<float>(mask);
    std::vector<int64_t> cls(static_cast<size_t>(B * g_.K), -100);
    for (int64_t i = 0; i < B * g_.K; ++i) {
      if (mv[i] <= 0) continue;
      const int64_t j = std::clamp<int64_t>(std::lround((xyv[2 * i] - (g_.s - 1) / 2) / g_.s), 0, g_.Wh - 1);
      const int64_t r = std::clamp<int64_t>(std::lround((xyv[2 * i + 1] - (g_.s - 1) / 2) / g_.s), 0, g_.Hh - 1);
      cls[i] = r * g_.Wh + j;
    }
    CrossEntropyOptions ce;
    ce.reduction = Reduction::sum;
    Tensor logits = reshape(out, {B * g_.K, g_.Hh * g_.Wh});
    return div(cross_entropy(logits, to(from_vector(cls, {B * g_.K}), device), ce), visible);
  }

  LoaderOptions loader_;
  PoseSettings p_;
  Geometry g_;
  PoseDataset train_, eval_;
  std::vector<float> sigmas_;
};

EvalResult PoseTask::evaluate(Network& model, Device device) {
  auto t0 = std::chrono::steady_clock::now();
  LoaderOptions lo = loader_;
  lo.shuffle = false;
  lo.drop_last = false;
  lo.augment = AugmentOptions{};
  DataLoader dl(eval_.data, lo);
  dl.start_epoch(0);
  const bool was_training = model.is_training();
  model.eval();
  NoGradGuard no_grad;
  double loss = 0;
  std::vector<Person> preds, gts, dets, all_gts;
  Batch b;
  int64_t base = 0;
  while (dl.next(b)) {
    Tensor out = model.forward(to(b.images, device));
    const int64_t B = out.size(0);
    loss += item<double>(loss_of(out, b.targets, device)) * B;
    std::vector<std::vector<Person>> found = decode_people(p_, g_, out);
    for (int64_t n = 0; n < B; ++n) {
      const int64_t i = base + n;
      for (Person& p : found[n]) {
        p.image_id = i;
        dets.push_back(p);
      }
      const Person& p = found[n][0];
      for (Person gt : eval_.people[i]) {
        gt.image_id = i;
        all_gts.push_back(gt);
      }
      if (!eval_.people[i].empty()) {
        preds.push_back(p);
        gts.push_back(eval_.people[i][0]);
      }
    }
    base += B;
  }
  model.train(was_training);
  EvalResult r;
  r.count = base;
  r.loss = base ? loss / base : 0;
  PckResult pk = pck(preds, gts, {0.05, 0.1});
  OksEvalParams params;
  params.sigmas = sigmas_;
  OksEvalResult oks = evaluate_oks(dets, all_gts, params);
  const OksAreaResult& all = oks.area("all");
  r.score_name = "pck@0.1";
  r.accuracy = pk.pck[1];
  r.metrics = {{"pck@0.05", pk.pck[0]}, {"pck@0.1", pk.pck[1]}, {"mean_pixel_error", pk.mean_error},
               {"oks_ap", all.ap},      {"oks_ap50", all.ap50}, {"oks_ap75", all.ap75}};
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace

PoseHeadGeometry pose_head_geometry(const PoseSettings& p, const Network& model, int64_t joints,
                                    const std::string& source) {
  PoseHeadGeometry g;
  const Shape& in = model.input_shape();
  OC_CHECK(in.size() == 3, source, ": a pose model takes [C, H, W] images, model.input is ", shape_str(in));
  g.K = joints;
  g.H = in[1], g.W = in[2], g.s = p.stride;
  g.Hh = static_cast<int64_t>(std::lround(g.H / g.s)), g.Wh = static_cast<int64_t>(std::lround(g.W / g.s));
  Shape out = model.output_shape(model.output_names()[0]);
  if (p.head == "direct") {
    OC_CHECK(out == Shape{2 * g.K}, source, ": head \"direct\" needs the first output [", 2 * g.K, "] (x, y of ", g.K,
             " joints), got ", shape_str(out));
  } else {
    OC_CHECK(out == (Shape{g.K, g.Hh, g.Wh}), source, ": head \"", p.head, "\" with stride ", p.stride,
             " needs the first output [", g.K, ", ", g.Hh, ", ", g.Wh, "] (one map per joint), got ", shape_str(out));
  }
  OC_CHECK(p.head != "paf", source, ": task.head \"paf\" is not available yet (needs the pose target kernels)");
  OC_CHECK(!(p.head == "heatmap" && p.heatmap_loss == "mse"), source,
           ": task.heatmap_loss \"mse\" is not available yet; use \"cross_entropy\"");
  return g;
}

std::vector<std::vector<Person>> decode_people(const PoseSettings& p, const PoseHeadGeometry& g, const Tensor& out) {
  std::vector<float> xy, score;
  decode_single_person(p, g, out, xy, score);
  std::vector<std::vector<Person>> people(static_cast<size_t>(out.size(0)));
  for (int64_t n = 0; n < out.size(0); ++n) {
    Person person;
    person.image_id = n;
    person.score = score[n];
    for (int64_t k = 0; k < g.K; ++k)  // back to COCO coordinates (pixel centres at +0.5)
      person.keypoints.push_back({xy[2 * (n * g.K + k)] + 0.5f, xy[2 * (n * g.K + k) + 1] + 0.5f, 2});
    people[n].push_back(person);
  }
  return people;
}

std::unique_ptr<Task> make_pose_task(const Experiment& e, bool with_train, const std::string& eval_split) {
  return std::make_unique<PoseTask>(e, with_train, eval_split);
}

}  // namespace oc
