// `ocellus train | eval | infer`: every task's configs from JSON.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/log.h"
#include "tools/commands.h"
#include "tools/det_pictures.h"
#include "tools/pose_maps.h"
#include "tools/pose_pictures.h"
#include "tools/stn_pictures.h"
#include "train/data/det_dataset.h"
#include "train/io/coco_rle.h"
#include "train/io/image_io.h"
#include "nets/det/det_head.h"
#include "nets/pose/pose_head.h"
#include "train/trainer.h"

namespace oc::cli {
namespace {

std::string default_out_dir(const std::string& config) {
  return "runs/" + std::filesystem::path(config).stem().string();
}

}  // namespace

int cmd_train(const Args& all) {
  Args args;
  std::vector<std::string> sets = overrides_of(all, args);
  ArgParser p(args, {"--out", "--device"}, {"--resume", "--print-config"});
  OC_CHECK(p.rest.size() == 1, "usage: ocellus train CONFIG [--set key.path=value ...] [--out DIR] [--resume] "
                               "[--device cpu|cuda] [--print-config]");
  const std::string config = p.rest[0];
  Experiment e = load_experiment(config, sets);
  if (p.has("--print-config")) {
    std::printf("%s\n", e.resolved.dump(2).c_str());
    return 0;
  }
  RunOptions opt;
  opt.out_dir = p.get("--out", default_out_dir(config));
  opt.resume = p.has("--resume");
  opt.device = p.get("--device", "");
  // Started by mpirun as one of several processes: a data-parallel run (docs/distributed.md), in
  // which rank 0 alone prints and writes.
  opt.comm = start_communicator();
  const bool main_process = opt.comm->rank() == 0;
  if (main_process) {
    std::printf("%s: %s\n%s", config.c_str(), shape_str(e.model->input_shape()).c_str(), e.model->summary().c_str());
    if (opt.comm->size() > 1)
      std::printf("data-parallel: %d processes (%s), global batch %lld x %d = %lld\n", opt.comm->size(),
                  opt.comm->backend(), static_cast<long long>(e.data.loader.batch_size), opt.comm->size(),
                  static_cast<long long>(e.data.loader.batch_size * opt.comm->size()));
    std::fflush(stdout);
  }
  bool interrupted = false;
  EvalResult r;
  try {
    r = train_experiment(e, opt, &interrupted);
  } catch (const std::exception& ex) {
    // The other processes may be waiting in a collective for this one: end them all now, with the reason.
    if (opt.comm->size() > 1)
      opt.comm->abort(str_cat("ocellus train: error: rank ", opt.comm->rank(), " of ", opt.comm->size(), ": ", ex.what()));
    throw;
  }
  if (interrupted) return 130;
  if (main_process)
    std::printf("test %s %.4f, test loss %.4f (%lld images); checkpoints in %s\n", r.score_name.c_str(), r.score,
                r.loss, static_cast<long long>(r.count), opt.out_dir.c_str());
  return 0;
}

int cmd_eval(const Args& all) {
  Args args;
  std::vector<std::string> sets = overrides_of(all, args);
  ArgParser p(args, {"--checkpoint", "--device", "--split", "--results", "--maps", "--maps-count"}, {"--json"});
  OC_CHECK(p.rest.size() == 1 && p.has("--checkpoint"),
           "usage: ocellus eval CONFIG --checkpoint FILE [--split test|train] [--device cpu|cuda] [--json] "
           "[--results COCO_RESULTS.json] [--maps OUT.png [--maps-count N]]");
  OC_CHECK(p.has("--maps") || !p.has("--maps-count"), "--maps-count: needs --maps OUT.png");
  Experiment e = load_experiment(p.rest[0], sets);
  load_model_checkpoint(p.get("--checkpoint", ""), *e.model);
  Device dev = Device::parse(p.get("--device", e.train.device));
  e.model->to(dev);
  std::string split = p.get("--split", "test");
  OC_CHECK(split == "test" || split == "train", "--split: expected test or train, got ", split);
  std::unique_ptr<Task> task = make_task(e, false, split);
  // --maps (before the evaluation, so that a model without maps fails at once): the pose maps of the
  // split's first images beside their targets (docs/pose_maps.md).
  if (p.has("--maps")) write_pose_maps_picture(e, dev, split, p.get("--maps-count", "4"), p.get("--maps", ""));
  EvalResult r = task->evaluate(*e.model, dev);
  if (p.has("--results")) task->write_results(p.get("--results", ""));
  if (p.has("--json")) {
    json j = {{"split", split}, {r.score_name, r.score}, {"loss", r.loss}, {"count", r.count}, {"seconds", r.seconds}};
    for (auto& [name, value] : r.metrics.items()) j[name] = value;
    if (p.has("--maps")) j["maps"] = p.get("--maps", "");
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s split: %s %.4f, loss %.4f over %lld images (%.1f s)\n", split.c_str(), r.score_name.c_str(),
                r.score, r.loss, static_cast<long long>(r.count), r.seconds);
    for (auto& [name, value] : r.metrics.items())
      if (name != r.score_name) std::printf("  %s %s\n", name.c_str(), value.dump().c_str());
    if (p.has("--maps")) std::printf("maps: %s\n", p.get("--maps", "").c_str());
  }
  return 0;
}

namespace {

// Class c's name, or its number when the data set names fewer classes.
std::string class_name(const std::vector<std::string>& names, int64_t c) {
  return c >= 0 && c < static_cast<int64_t>(names.size()) ? names[c] : std::to_string(c);
}

// The image as the model's normalized input [1,C,H,W] (resized to the model's input when needed).
Tensor model_input(const Experiment& e, const Tensor& image_u8) {
  const Shape& in = e.model->input_shape();
  Tensor x = unsqueeze(to(image_u8, DType::f32), 0);
  if (x.size(2) != in[1] || x.size(3) != in[2]) x = upsample_bilinear2d(x, in[1], in[2], false);
  return div(sub(div(x, 255.0), e.data.loader.mean), e.data.loader.std);
}

// Pose models: the people found, as JSON or text, and with --out the image with their skeletons.
int infer_pose(Experiment& e, const ArgParser& p) {
  load_model_checkpoint(p.get("--checkpoint", ""), *e.model);
  Device dev = Device::parse(p.get("--device", e.train.device));
  e.model->to(dev);
  e.model->eval();
  const Shape out_shape = e.model->output_shape(e.model->output_names()[0]);
  const int64_t joints =
      out_shape[0] / pose_head_registry().at(e.task.pose.head, e.path + ": task.head").factory.values_per_joint;
  // The COCO person skeleton for 17 joints; other joint counts are drawn as joints only.
  Skeleton skeleton;
  if (joints == 17) skeleton = coco_person_skeleton();
  else for (int64_t k = 0; k < joints; ++k) skeleton.joint_names.push_back("joint_" + std::to_string(k));
  const std::unique_ptr<PoseHead> head = make_pose_head(e.task.pose, *e.model, skeleton, e.path);
  const PoseHeadGeometry& g = head->geometry();
  const std::string image_path = p.get("--image", "");
  Tensor img = contiguous(read_image(image_path, 3));  // uint8 [3,H,W]
  NoGradGuard no_grad;
  std::vector<Person> people = head->decode(forward_outputs(*e.model, to(model_input(e, img), dev)))[0];
  // Model input coordinates -> the image's (COCO convention: scale about the outer corner).
  const double sx = static_cast<double>(img.size(2)) / g.W, sy = static_cast<double>(img.size(1)) / g.H;
  for (Person& person : people)
    for (Keypoint& k : person.keypoints) k.x = static_cast<float>(k.x * sx), k.y = static_cast<float>(k.y * sy);
  const std::string out_path = p.get("--out", "");
  if (!out_path.empty()) {
    draw_people(img, people, skeleton);
    write_png(out_path, img);
  }
  if (p.has("--json")) {
    json list = json::array();
    for (const Person& person : people) {
      json kps = json::array();
      for (size_t k = 0; k < person.keypoints.size(); ++k) {
        const Keypoint& kp = person.keypoints[k];
        json entry = {{"x", kp.x}, {"y", kp.y}, {"v", kp.v}};
        if (k < skeleton.joint_names.size()) entry["name"] = skeleton.joint_names[k];
        kps.push_back(entry);
      }
      list.push_back({{"score", person.score}, {"keypoints", kps}});
    }
    json j{{"image", image_path}, {"people", list}};
    if (!out_path.empty()) j["drawn"] = out_path;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: %zu %s\n", image_path.c_str(), people.size(), people.size() == 1 ? "person" : "people");
    for (size_t i = 0; i < people.size(); ++i) {
      std::printf("  person %zu (score %.3f):", i, people[i].score);
      for (size_t k = 0; k < people[i].keypoints.size(); ++k)
        std::printf(" %s(%.1f,%.1f)", k < skeleton.joint_names.size() ? skeleton.joint_names[k].c_str() : "",
                    people[i].keypoints[k].x, people[i].keypoints[k].y);
      std::printf("\n");
    }
    if (!out_path.empty()) std::printf("drawn: %s\n", out_path.c_str());
  }
  return 0;
}

// Where an image lies in a detector's input: input = image * scale + pad on each axis, covering
// w x h input pixels.
struct Placement {
  double sx = 1, sy = 1, px = 0, py = 0;
  int64_t w = 0, h = 0;
};

// The image as the detector's normalized input [1,C,H,W]: stretched to the input size, or with
// task.resize "letterbox" scaled by one factor to fit, centred, the border at the data mean (0 once
// normalized).
Tensor detector_input(const Experiment& e, const Tensor& img, Placement& at) {
  const Shape& in = e.model->input_shape();
  const int64_t H = in[1], W = in[2], h = img.size(1), w = img.size(2);
  if (e.task.det.resize != "letterbox") {
    at = {double(W) / w, double(H) / h, 0, 0, W, H};
    return model_input(e, img);
  }
  const double s = std::min(double(W) / w, double(H) / h);
  const int64_t nw = std::clamp<int64_t>(std::lround(w * s), 1, W), nh = std::clamp<int64_t>(std::lround(h * s), 1, H);
  const int64_t px = (W - nw) / 2, py = (H - nh) / 2;
  at = {double(nw) / w, double(nh) / h, double(px), double(py), nw, nh};
  Tensor x = upsample_bilinear2d(unsqueeze(to(img, DType::f32), 0), nh, nw, false);
  x = div(sub(div(x, 255.0), e.data.loader.mean), e.data.loader.std);
  return pad(x, {px, W - nw - px, py, H - nh - py}, 0);
}

// Detection models: the boxes found (class, score, corners in the image's pixels), as JSON or text,
// and with --out the image with them drawn (masks as overlays). Any size and aspect: the image is
// stretched or letterboxed to the model's input (task.resize) and the boxes and masks mapped back.
int infer_detection(Experiment& e, const ArgParser& p) {
  load_model_checkpoint(p.get("--checkpoint", ""), *e.model);
  Device dev = Device::parse(p.get("--device", e.train.device));
  e.model->to(dev);
  e.model->eval();
  // The class names: the categories of the test split's annotations (its images are not loaded).
  const std::vector<std::string> names = read_detection_class_names(e.data.test_dir);
  const std::unique_ptr<DetHead> head = make_det_head(e.task.det, *e.model, static_cast<int64_t>(names.size()), e.path);
  const std::string image_path = p.get("--image", "");
  Tensor img = contiguous(read_image(image_path, 3));  // uint8 [3,H,W]
  NoGradGuard no_grad;
  Placement at;
  const Tensor x = detector_input(e, img, at);
  std::vector<Detection> found = head->decode(forward_outputs(*e.model, to(x, dev)))[0];
  std::vector<DrawnDetection> drawn;
  for (Detection& d : found) {
    // Input pixels -> the image's; a box on the letterbox border is clipped to the image.
    auto back = [](float v, double pad, double scale, int64_t size) {
      return float(std::clamp((v - pad) / scale, 0.0, double(size)));
    };
    d.x1 = back(d.x1, at.px, at.sx, img.size(2)), d.x2 = back(d.x2, at.px, at.sx, img.size(2));
    d.y1 = back(d.y1, at.py, at.sy, img.size(1)), d.y2 = back(d.y2, at.py, at.sy, img.size(1));
    // A mask at the input's size: the image's part of it, resized to the image (nearest pixel centre).
    if (d.mask.defined()) {
      const Tensor part = slice(slice(to(d.mask, DType::f32), 0, int64_t(at.py), int64_t(at.py) + at.h), 1,
                                int64_t(at.px), int64_t(at.px) + at.w);
      d.mask = to(select(select(upsample_nearest2d(unsqueeze(unsqueeze(part, 0), 0), img.size(1), img.size(2)), 0, 0),
                         0, 0),
                  DType::u8);
    }
    drawn.push_back({d.x1, d.y1, d.x2, d.y2, d.label, d.score, d.mask});
  }
  const std::string out_path = p.get("--out", "");
  if (!out_path.empty()) {
    draw_detections(img, drawn, names);
    write_png(out_path, img);
  }
  auto name_of = [&](int64_t c) { return class_name(names, c); };
  if (p.has("--json")) {
    json list = json::array();
    for (const Detection& d : found) {
      json entry = {{"class", d.label}, {"name", name_of(d.label)}, {"score", d.score}, {"box", {d.x1, d.y1, d.x2, d.y2}}};
      if (d.mask.defined()) {  // COCO's compressed RLE at the image's size
        const Tensor m = contiguous(d.mask);
        entry["mask"] = {{"size", {m.size(0), m.size(1)}},
                         {"counts", rle_to_string(rle_encode(m.data<uint8_t>(), m.size(0), m.size(1)))}};
      }
      list.push_back(entry);
    }
    json j{{"image", image_path}, {"width", img.size(2)}, {"height", img.size(1)}, {"detections", list}};
    if (!out_path.empty()) j["drawn"] = out_path;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: %zu %s\n", image_path.c_str(), found.size(), found.size() == 1 ? "detection" : "detections");
    for (const Detection& d : found)
      std::printf("  %-14s %.3f  (%.1f, %.1f) - (%.1f, %.1f)\n", name_of(d.label).c_str(), d.score, d.x1, d.y1, d.x2,
                  d.y2);
    if (!out_path.empty()) std::printf("drawn: %s\n", out_path.c_str());
  }
  return 0;
}

// Classification models: the top 5 classes, and with --out the first spatial transformer's output.
int infer_classification(Experiment& e, const ArgParser& p) {
  // --out: the first spatial transformer's output, as the classifier behind it sees the image.
  const std::string out_path = p.get("--out", "");
  SpatialTransformer* st = out_path.empty() ? nullptr : first_spatial_transformer(*e.model);
  OC_CHECK(out_path.empty() || st, "--out: the model of ", e.path,
           " has no spatial_transformer layer, so there is no rectified image to write");
  if (st) st->set_capture(true);
  load_model_checkpoint(p.get("--checkpoint", ""), *e.model);
  Device dev = Device::parse(p.get("--device", e.train.device));
  e.model->to(dev);
  e.model->eval();
  const Shape& in = e.model->input_shape();
  const std::string image_path = p.get("--image", "");
  Tensor img = read_image(image_path, static_cast<int>(in[0]));  // uint8 [C,H,W]
  NoGradGuard no_grad;
  Tensor x = model_input(e, img);
  Tensor probs = softmax(e.model->forward(to(x, dev)), 1);
  std::vector<float> pv = to_vector<float>(probs);
  std::vector<int> order(pv.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return pv[a] > pv[b]; });
  std::vector<std::string> names;
  const auto& class_names = dataset_registry().at(e.data.dataset, e.path + ": data.dataset").factory.class_names;
  if (class_names) names = class_names();
  auto name_of = [&](int c) { return class_name(names, c); };
  const size_t k = std::min<size_t>(5, order.size());
  if (st) write_png(out_path, select(denormalize_to_uint8(st->captured().output, e.data.loader.mean,
                                                          e.data.loader.std), 0, 0));
  if (p.has("--json")) {
    json top = json::array();
    for (size_t i = 0; i < k; ++i)
      top.push_back({{"class", order[i]}, {"name", name_of(order[i])}, {"probability", pv[order[i]]}});
    json j{{"image", image_path}, {"top5", top}};
    if (st) j["rectified"] = out_path;
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s:\n", image_path.c_str());
    for (size_t i = 0; i < k; ++i)
      std::printf("  %-14s %6.2f%%\n", name_of(order[i]).c_str(), 100.0 * pv[order[i]]);
    if (st) std::printf("rectified image: %s\n", out_path.c_str());
  }
  return 0;
}

// `ocellus infer` for each task type.
using InferFn = int (*)(Experiment& e, const ArgParser& p);
const Registry<InferFn>& infer_registry() {
  static const Registry<InferFn> r = [] {
    Registry<InferFn> r("task type");
    r.add("classification", {}, infer_classification);
    r.add("pose", {}, infer_pose);
    r.add("detection", {}, infer_detection);
    return r;
  }();
  return r;
}

}  // namespace

int cmd_infer(const Args& all) {
  Args args;
  std::vector<std::string> sets = overrides_of(all, args);
  ArgParser p(args, {"--checkpoint", "--image", "--device", "--out"}, {"--json"});
  OC_CHECK(p.rest.size() == 1 && p.has("--checkpoint") && p.has("--image"),
           "usage: ocellus infer CONFIG --checkpoint FILE --image IMG [--out PNG] [--device cpu|cuda] "
           "[--json]");
  Experiment e = load_experiment(p.rest[0], sets);
  return infer_registry().at(e.task.type, e.path + ": task.type").factory(e, p);
}

}  // namespace oc::cli
