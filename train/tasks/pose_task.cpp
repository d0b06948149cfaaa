// The pose task (task.h): losses and decoding of the pose heads, and the metrics of the seed's
// comparison. Coordinates inside are "kernel" pixels (pixel centres at integers, see
// train/data/pose_dataset.h); a heatmap cell (i, j) of stride s is centred at (j s + (s-1)/2, i s + (s-1)/2).
//   direct    output [2K]: (x, y) per joint in normalized coordinates (-1 and 1 are the image's
//             outer edges, grid_sample's align_corners=false convention); L2 loss on visible joints.
//   heatmap   output [K, H/s, W/s]: per-joint cross-entropy over the cells (the target is the cell
//             nearest the joint), decoded by argmax (Approach II of the seed).
//   integral  the same head, decoded by soft-argmax (Sun et al.); L1 loss on coordinates.
//   heatmap with heatmap_loss "mse": mean squared error to Gaussian maps (render_heatmaps).
//   paf       OpenPose: per stage S [K, H/s, W/s] and L [2 x limbs, H/s, W/s]; the loss sums the
//             mean squared errors to rendered Gaussians and fields over every stage; people are
//             assembled from the last stage (find_peaks, paf_limb_scores, greedy matching).
#include <algorithm>
#include <chrono>
#include <cmath>

#include "kernels/ops.h"
#include "kernels/pose/pose.h"
#include "kernels/pose/pose_math.h"
#include "kernels/soft_argmax/soft_argmax.h"
#include "losses/losses.h"
#include "nets/pose/pose_assembly.h"
#include "train/data/pose_dataset.h"
#include "train/io/coco_results.h"
#include "train/metrics/oks_eval.h"
#include "train/metrics/pck.h"
#include "train/tasks/pose_task.h"
#include "train/tasks/task.h"

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
    xy[2 * i] = static_cast<float>(pose_cell_centre(idx[i] % g.Wh, g.s));
    xy[2 * i + 1] = static_cast<float>(pose_cell_centre(idx[i] / g.Wh, g.s));
  }
}

// OpenPose decoding of one batch: peaks of S, candidate limbs scored on L, greedy assembly.
std::vector<std::vector<Person>> decode_paf_people(const PoseSettings& p, const Geometry& g, const Tensor& s,
                                                   const Tensor& l) {
  const int64_t B = s.size(0);
  std::vector<Peak> peaks = find_peaks(s, p.peak_threshold, g.s);
  Tensor fields = contiguous(to(l.detach(), Device::cpu()));
  PoseAssemblyOptions ao;
  ao.stride = g.s;
  ao.image_height = static_cast<double>(g.H);
  std::vector<std::vector<Person>> people(static_cast<size_t>(B));
  for (int64_t n = 0; n < B; ++n) {
    std::vector<AssembledPose> poses =
        assemble_poses(joint_candidates(peaks, n, g.K), select(fields, 0, n), g.limbs, ao);
    for (const AssembledPose& pose : poses) {
      Person person;
      person.image_id = n;
      person.score = static_cast<float>(pose.score);
      for (const AssembledJoint& j : pose.joints) {
        if (j.score < 0) person.keypoints.push_back({0, 0, 0});
        else person.keypoints.push_back({static_cast<float>(j.x + 0.5), static_cast<float>(j.y + 0.5), 2});
      }
      people[n].push_back(person);
    }
  }
  return people;
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
    const DataSettings& d = e.data;
    auto load = [&](const std::string& split) {
      const std::string& dir = split == "train" ? d.train_dir : d.test_dir;
      const int64_t limit = split == "train" ? d.train_limit : d.test_limit;
      if (d.pose_crop.size > 0)  // augmentation on the training split only
        return load_pose_crops(dir, d.pose_crop, d.pose_crop_augment && split == "train", e.train.seed, limit);
      return load_pose_dataset(dir, p_.max_people, limit);
    };
    if (with_train) train_ = load("train");
    eval_ = load(eval_split);
    const PoseDataset& probe = with_train ? train_ : eval_;
    const Network& model = *e.model;
    Shape in_shape(probe.data.images.shape().begin() + 1, probe.data.images.shape().end());
    OC_CHECK(in_shape == model.input_shape(), e.path, ": model.input is ", shape_str(model.input_shape()),
             " but the pose images are ", shape_str(in_shape));
    g_ = pose_head_geometry(p_, model, probe.skeleton, e.path);
    sigmas_ = g_.K == 17 ? coco_person_sigmas() : std::vector<float>(static_cast<size_t>(g_.K), 0.05f);
  }

  const ImageDataset& train_data() const override { return train_.data; }

  Tensor loss(Network& model, const Batch& b, Device device) override {
    return loss_of(forward_outputs(model, to(b.images, device)), b.targets, device);
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
  Tensor loss_of(const std::vector<Tensor>& outs, const Tensor& targets, Device device) const {
    if (p_.head == "paf") return paf_loss(outs, targets, device);
    const Tensor& out = outs[0];
    if (p_.head == "heatmap" && p_.heatmap_loss == "mse") {
      Tensor want = render_heatmaps(to(slice(targets, 1, 0, 1), device), g_.Hh, g_.Wh, g_.s, p_.sigma);
      return map_error(out, want);
    }
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
      const int64_t j = std::clamp<int64_t>(std::lround(pose_to_cell<double>(xyv[2 * i], g_.s)), 0, g_.Wh - 1);
      const int64_t r = std::clamp<int64_t>(std::lround(pose_to_cell<double>(xyv[2 * i + 1], g_.s)), 0, g_.Hh - 1);
      cls[i] = r * g_.Wh + j;
    }
    CrossEntropyOptions ce;
    ce.reduction = Reduction::sum;
    Tensor logits = reshape(out, {B * g_.K, g_.Hh * g_.Wh});
    return div(cross_entropy(logits, to(from_vector(cls, {B * g_.K}), device), ce), visible);
  }

  // Sum over stages of the mean squared errors of S and L (per map, as in heatmap "mse").
  Tensor paf_loss(const std::vector<Tensor>& outs, const Tensor& targets, Device device) const {
    Tensor t = to(targets, device);
    Tensor want_s = render_heatmaps(t, g_.Hh, g_.Wh, g_.s, p_.sigma);
    Tensor want_l = render_pafs(t, g_.limbs, g_.Hh, g_.Wh, g_.s, p_.limb_width);
    Tensor total;
    for (size_t i = 0; i + 1 < outs.size(); i += 2) {
      Tensor stage = add(map_error(outs[i], want_s), map_error(outs[i + 1], want_l));
      total = total.defined() ? add(total, stage) : stage;
    }
    return total;
  }

  // Mean squared error of maps [B, C, h, w] against rendered targets, times C (per map, so the scale
  // does not shrink with the channel count). With task.target_weight w > 1 the cells where the target
  // is non-zero count w times: the targets are sparse, and unweighted the background dominates.
  Tensor map_error(const Tensor& out, const Tensor& want) const {
    Tensor d = sub(out, want);
    Tensor sq = mul(d, d);
    if (p_.target_weight != 1) {
      Tensor on = to(gt(abs(want), full({1}, 1e-3, want.dtype(), want.device())), want.dtype());
      sq = mul(sq, add(mul(on, p_.target_weight - 1), 1.0));
    }
    return mul(mean(sq), static_cast<double>(out.size(1)));
  }

  LoaderOptions loader_;
  PoseSettings p_;
  Geometry g_;
  PoseDataset train_, eval_;
  std::vector<float> sigmas_;
  std::vector<Person> last_detections_;  // image_id = index into eval_
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
    std::vector<Tensor> outs = forward_outputs(model, to(b.images, device));
    const int64_t B = outs[0].size(0);
    loss += item<double>(loss_of(outs, b.targets, device)) * B;
    std::vector<std::vector<Person>> found = decode_people(p_, g_, outs);
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
      if (p_.head != "paf" && !eval_.people[i].empty()) {  // single person: paired one to one
        preds.push_back(found[n][0]);
        gts.push_back(eval_.people[i][0]);
      }
    }
    base += B;
  }
  model.train(was_training);
  EvalResult r;
  r.count = base;
  r.loss = base ? loss / base : 0;
  OksEvalParams params;
  params.sigmas = sigmas_;
  OksEvalResult oks = evaluate_oks(dets, all_gts, params);
  last_detections_ = dets;
  const OksAreaResult& all = oks.area("all");
  r.metrics = {{"oks_ap", all.ap}, {"oks_ap50", all.ap50}, {"oks_ap75", all.ap75}, {"oks_ar", all.ar}};
  if (p_.head == "paf") {  // multi-person: COCO keypoint AP is the score
    r.score_name = "oks_ap";
    r.accuracy = all.ap;
  } else {
    PckResult pk = pck(preds, gts, {0.05, 0.1});
    r.score_name = "pck@0.1";
    r.accuracy = pk.pck[1];
    r.metrics["pck@0.05"] = pk.pck[0];
    r.metrics["pck@0.1"] = pk.pck[1];
    r.metrics["mean_pixel_error"] = pk.mean_error;
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace

PoseHeadGeometry pose_head_geometry(const PoseSettings& p, const Network& model, const Skeleton& skeleton,
                                    const std::string& source) {
  PoseHeadGeometry g;
  const int64_t joints = static_cast<int64_t>(skeleton.joint_names.size());
  g.limbs = skeleton.limbs;
  const Shape& in = model.input_shape();
  OC_CHECK(in.size() == 3, source, ": a pose model takes [C, H, W] images, model.input is ", shape_str(in));
  g.K = joints;
  g.H = in[1], g.W = in[2], g.s = p.stride;
  g.Hh = static_cast<int64_t>(std::lround(g.H / g.s)), g.Wh = static_cast<int64_t>(std::lround(g.W / g.s));
  Shape out = model.output_shape(model.output_names()[0]);
  if (p.head == "paf") {
    const std::vector<std::string>& names = model.output_names();
    OC_CHECK(names.size() % 2 == 0, source, ": head \"paf\" needs the model's outputs in pairs per stage (S, L, S, L, ...), got ",
             names.size(), " outputs");
    const Shape want_s{g.K, g.Hh, g.Wh}, want_l{2 * static_cast<int64_t>(g.limbs.size()), g.Hh, g.Wh};
    for (size_t i = 0; i < names.size(); ++i) {
      const Shape got = model.output_shape(names[i]), want = i % 2 == 0 ? want_s : want_l;
      OC_CHECK(got == want, source, ": head \"paf\" output \"", names[i], "\" (stage ", i / 2 + 1, ", ",
               i % 2 == 0 ? "confidence maps S" : "affinity fields L", ") should be ", shape_str(want), ", got ",
               shape_str(got));
    }
  } else if (p.head == "direct") {
    OC_CHECK(out == Shape{2 * g.K}, source, ": head \"direct\" needs the first output [", 2 * g.K, "] (x, y of ", g.K,
             " joints), got ", shape_str(out));
  } else {
    OC_CHECK(out == (Shape{g.K, g.Hh, g.Wh}), source, ": head \"", p.head, "\" with stride ", p.stride,
             " needs the first output [", g.K, ", ", g.Hh, ", ", g.Wh, "] (one map per joint), got ", shape_str(out));
  }
  return g;
}

std::vector<Tensor> forward_outputs(Network& model, const Tensor& x) {
  std::map<std::string, Tensor> all = model.forward_all(x);
  std::vector<Tensor> outs;
  for (const std::string& name : model.output_names()) outs.push_back(all.at(name));
  return outs;
}

std::vector<std::vector<Person>> decode_people(const PoseSettings& p, const PoseHeadGeometry& g,
                                               const std::vector<Tensor>& outputs) {
  if (p.head == "paf") return decode_paf_people(p, g, outputs[outputs.size() - 2], outputs.back());
  const Tensor& out = outputs[0];
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
