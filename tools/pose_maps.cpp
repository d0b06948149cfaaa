// `ocellus eval --maps` (see pose_maps.h): loads the split's first images, runs the model and the head's
// targets, turns both into display maps and composes the rows.
#include "tools/pose_maps.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "kernels/ops.h"
#include "kernels/pose/pose.h"
#include "nets/pose/pose_head.h"
#include "tools/pose_maps_pictures.h"
#include "train/data/datasets.h"
#include "train/io/image_io.h"

namespace oc::cli {
namespace {

// Sample n of a batch of maps as contiguous float32 [C,h,w] on the CPU.
Tensor sample(const Tensor& maps, int64_t n) { return contiguous(to(to(select(maps, 0, n), Device::cpu()), DType::f32)); }

// --maps-count: the whole text as an integer >= 1.
int64_t parse_count(const std::string& text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  OC_CHECK(!text.empty() && ec == std::errc() && ptr == end && v >= 1, "--maps-count: expected an integer >= 1, got \"",
           text, "\"");
  return v;
}

std::string format(const char* fmt, double a, double b = 0, double c = 0, double d = 0) {
  char s[160];
  std::snprintf(s, sizeof s, fmt, a, b, c, d);
  return s;
}

// Logit maps [C,h,w] as softmax over each map's cells (of scale x map), scaled so that their largest
// value is 1; *peak gets that largest probability before scaling.
Tensor softmax_scaled_to_one(const Tensor& logits, double scale, double* peak) {
  const int64_t C = logits.size(0), h = logits.size(1), w = logits.size(2);
  Tensor p = contiguous(reshape(softmax(reshape(mul(logits, scale), {C, h * w}), 1), {C, h, w}));
  *peak = largest_value(p);
  if (*peak > 0) p = contiguous(div(p, *peak));
  return p;
}

std::vector<std::string> title_lines(const Experiment& e, const PoseMapsLayout& layout, const std::string& split) {
  const std::vector<std::string>& outs = e.model->output_names();
  std::string first = std::filesystem::path(e.path).filename().string() + ": head " + layout.head + ", " + split +
                      " split, ";
  first += layout.fields ? "last stage " + outs[outs.size() - 2] + " and " + outs.back() : "output " + outs[0];
  std::vector<std::string> lines = {first};
  if (layout.logits)
    lines.push_back("the maps are logits: shown as softmax over each map's cells, max over joints, scaled so that "
                    "each image's max is 1");
  else
    lines.push_back("S: max over joints, 0 black, 1/3 red, 2/3 yellow, 1 white");
  if (layout.fields)
    lines.push_back("L: sum over limbs, brightness = length, hue = direction: right red, down yellow-green, left cyan, "
                    "up violet");
  return lines;
}

}  // namespace

void write_pose_maps_picture(Experiment& e, Device device, const std::string& split, const std::string& count_text,
                             const std::string& path) {
  const int64_t count = parse_count(count_text);
  OC_CHECK(e.task.type == "pose", "--maps: ", e.path, ": task.type \"", e.task.type,
           "\" has no pose maps; --maps takes pose models with task.head heatmap, integral or paf");
  const PoseSettings& settings = e.task.pose;
  const PoseMapsLayout layout = pose_maps_layout(settings);
  const auto& load = dataset_registry().at(e.data.dataset, e.path + ": data.dataset").factory.load_keypoints;
  OC_CHECK(load, "--maps: ", e.path, ": data.dataset \"", e.data.dataset, "\" holds no keypoints");
  const PoseDataset data = load(e.data, split, e.train.seed, settings.max_people);
  Network& model = *e.model;
  const std::unique_ptr<PoseHead> head = make_pose_head(settings, model, data.skeleton, e.path);
  const PoseHeadGeometry& g = head->geometry();

  const int64_t n = std::min(count, data.data.size());
  OC_CHECK(n > 0, "--maps: the ", split, " split of ", e.path, " has no images");
  const Tensor images = slice(data.data.images, 0, 0, n), keypoints = slice(data.data.targets, 0, 0, n);
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  const LoaderOptions& lo = e.data.loader;  // the loader's normalization: (v / 255 - mean) / std
  const Tensor x = div(sub(div(to(images, DType::f32), 255.0), lo.mean), lo.std);
  const std::vector<Tensor> outs = forward_outputs(model, to(x, device));
  model.train(was_training);
  std::vector<Shape> shapes;
  for (const Tensor& o : outs) shapes.push_back(o.shape());
  check_maps_outputs(layout, shapes);

  Tensor target_joints, target_fields;
  if (layout.head_targets) {
    const PoseTargets t = head->targets(keypoints, device);
    target_joints = t.tensors[0];
    if (layout.fields) target_fields = t.tensors[1];
  } else {  // coordinate or cell targets: the Gaussians of width task.sigma around person slot 0's joints
    target_joints = render_heatmaps(to(slice(keypoints, 1, 0, 1), device), g.Hh, g.Wh, g.s, settings.sigma);
  }
  const Tensor& pred_joints = layout.fields ? outs[outs.size() - 2] : outs[0];

  const int scale = std::max(g.H, g.W) <= 128 ? 2 : 1;
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < n; ++i) {
    PoseMapsRow row;
    row.image = contiguous(select(images, 0, i));
    row.pred_joints = sample(pred_joints, i);
    row.target_joints = sample(target_joints, i);
    const double target_max = largest_value(row.target_joints);
    if (layout.logits) {
      double peak = 0;
      row.pred_joints = softmax_scaled_to_one(row.pred_joints, layout.logit_scale, &peak);
      row.text = format("softmax peak %.3f, shown as 1 (target max %.2f)", peak, target_max);
    } else {
      row.text = format("S max %.2f (target %.2f)", largest_value(row.pred_joints), target_max);
    }
    if (layout.fields) {
      row.pred_fields = sample(outs.back(), i);
      row.target_fields = sample(target_fields, i);
      // "L on limbs": the mean length of the predicted limb vectors on the target's limb cells.
      row.text += format("   L on limbs %.2f (target %.2f)", mean_field_length_on_limbs(row.pred_fields, row.target_fields),
                         mean_field_length_on_limbs(row.target_fields, row.target_fields));
    }
    rows.push_back(pose_maps_row(row, scale));
  }
  write_png(path, pose_maps_picture(title_lines(e, layout, split), rows));
}

}  // namespace oc::cli
