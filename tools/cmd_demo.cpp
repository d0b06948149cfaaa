// `ocellus demo`: the spatial transformer end to end: train configs/fashion_rts_stn.json (distorted
// Fashion-MNIST), evaluate, and draw test inputs beside the network's rectified versions.
// `ocellus demo spirals`: a 2-64-64-3 MLP learns three interleaved spirals with full-batch SGD on the
// tensor core and autograd alone, then reports accuracy on held-out points.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/timing.h"
#include "kernels/ops.h"
#include "tools/commands.h"
#include "tools/stn_pictures.h"
#include "train/checkpoint.h"
#include "train/io/image_io.h"
#include "train/tasks/task.h"
#include "train/trainer.h"

namespace oc::cli {
namespace {

// Three spirals of `per_class` points each: inputs [3n, 2], labels [3n] (int64).
void make_spirals(int64_t per_class, Generator& g, Tensor& x, Tensor& y) {
  std::vector<float> noise = to_vector<float>(normal({3 * per_class}, 0, 0.2, &g));
  std::vector<float> xs;
  std::vector<int64_t> ys;
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < per_class; ++i) {
      float r = static_cast<float>(i) / per_class;
      float t = 4.0f * c + 4.0f * r + noise[c * per_class + i];
      xs.push_back(r * std::sin(t));
      xs.push_back(r * std::cos(t));
      ys.push_back(c);
    }
  x = from_vector(xs, {3 * per_class, 2});
  y = from_vector(ys, {3 * per_class});
}

Tensor he_init(int64_t fan_in, int64_t fan_out, Generator& g, Device dev) {
  return normal({fan_in, fan_out}, 0, std::sqrt(2.0 / fan_in), &g, DType::f32, dev).set_requires_grad();
}

}  // namespace

namespace {

int demo_spirals(const Args& args) {
  ArgParser p(args, {"--device", "--steps", "--seed"}, {});
  Device dev = Device::parse(p.get("--device", cuda_available() ? "cuda" : "cpu"));
  const int steps = std::stoi(p.get("--steps", "1500"));
  Generator g(std::stoull(p.get("--seed", "7")));

  Tensor x, y, x_test, y_test;
  make_spirals(300, g, x, y);
  make_spirals(300, g, x_test, y_test);  // fresh noise: held-out points
  x = to(x, dev);
  y = to(y, dev);
  x_test = to(x_test, dev);
  std::vector<Tensor> params = {he_init(2, 64, g, dev), zeros({64}, DType::f32, dev).set_requires_grad(),
                                he_init(64, 64, g, dev), zeros({64}, DType::f32, dev).set_requires_grad(),
                                he_init(64, 3, g, dev),  zeros({3}, DType::f32, dev).set_requires_grad()};
  std::vector<Tensor> velocity;
  for (const Tensor& w : params) velocity.push_back(zeros_like(w));
  auto forward = [&](const Tensor& in) {
    Tensor h = relu(add(matmul(in, params[0]), params[1]));
    h = relu(add(matmul(h, params[2]), params[3]));
    return add(matmul(h, params[4]), params[5]);
  };
  auto accuracy = [&](const Tensor& logits, const Tensor& labels) {
    std::vector<int64_t> pred = to_vector<int64_t>(argmax(logits, 1)), want = to_vector<int64_t>(labels);
    int64_t ok = 0;
    for (size_t i = 0; i < pred.size(); ++i) ok += pred[i] == want[i];
    return static_cast<double>(ok) / pred.size();
  };

  std::printf("demo: MLP 2-64-64-3 on 900 spiral points, %d steps of full-batch SGD (momentum 0.9) on %s\n",
              steps, dev.str().c_str());
  const double lr = 0.2, momentum = 0.9;
  double ms = time_once_ms(dev, [&] {
    for (int step = 1; step <= steps; ++step) {
      Tensor logits = forward(x);
      // Cross-entropy: mean over points of -log_softmax at the true class.
      Tensor loss = neg(mean(gather(log_softmax(logits, 1), 1, unsqueeze(y, 1))));
      for (Tensor& w : params) w.zero_grad();
      loss.backward();
      NoGradGuard no_grad;
      for (size_t i = 0; i < params.size(); ++i) {
        velocity[i] = add(mul(velocity[i], momentum), params[i].grad());
        copy_(params[i], sub(params[i], mul(velocity[i], lr)));
      }
      if (step == 1 || step % (steps / 5) == 0)
        std::printf("  step %5d  loss %.4f  train accuracy %.3f\n", step, item<float>(loss),
                    accuracy(logits, y));
    }
  });
  NoGradGuard no_grad;
  double acc = accuracy(forward(x_test), y_test);
  std::printf("demo: held-out accuracy %.3f (900 new points), training took %.1f s\n", acc, ms / 1000);
  if (acc < 0.9) {
    std::fprintf(stderr, "demo: held-out accuracy %.3f is below 0.9: something is wrong\n", acc);
    return 1;
  }
  return 0;
}

// Trains the STN config (or loads --checkpoint), reports test accuracy, writes OUT/stn.png.
int demo_stn(const Args& all) {
  Args args;
  std::vector<std::string> sets;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == "--set" && i + 1 < all.size()) sets.push_back(all[++i]);
    else args.push_back(all[i]);
  }
  ArgParser p(args, {"--config", "--out", "--device", "--min-accuracy", "--checkpoint"}, {});
  OC_CHECK(p.rest.empty(), "usage: ocellus demo [stn] [--config F] [--out DIR] [--device auto|cpu|cuda] "
                           "[--set key.path=value ...] [--min-accuracy A] [--checkpoint FILE]");
  const std::string config = p.get("--config", "configs/fashion_rts_stn.json");
  RunOptions opt;
  opt.out_dir = p.get("--out", "runs/demo");
  opt.device = p.get("--device", "auto");
  const double min_accuracy = std::stod(p.get("--min-accuracy", "0.5"));
  Experiment e = load_experiment(config, sets);
  SpatialTransformer* st = first_spatial_transformer(*e.model);
  OC_CHECK(st, config, ": the demo needs a model with a spatial_transformer layer");
  const Device dev = Device::parse(opt.device);
  std::printf("demo: spatial transformer on distorted Fashion-MNIST (%s, %s, %lld epochs) on %s\n%s", config.c_str(),
              shape_str(e.model->input_shape()).c_str(), static_cast<long long>(e.train.epochs), dev.str().c_str(),
              e.model->summary().c_str());
  std::fflush(stdout);

  const auto t0 = std::chrono::steady_clock::now();
  EvalResult r;
  if (p.has("--checkpoint")) {  // a trained model: only the evaluation and the picture
    load_model_checkpoint(p.get("--checkpoint", ""), *e.model);
    e.model->to(dev);
    std::filesystem::create_directories(opt.out_dir);
    r = make_task(e, false, "test")->evaluate(*e.model, dev);
  } else {
    bool interrupted = false;
    r = train_experiment(e, opt, &interrupted);
    if (interrupted) return 130;
  }
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("demo: test accuracy %.4f (%lld test images), test loss %.4f; %s took %.0f s\n", r.score,
              static_cast<long long>(r.count), r.loss,
              p.has("--checkpoint") ? "evaluation" : "training and evaluation", train_s);

  // The first test images and what the transformer made of them (eval mode, no gradients).
  ImageDataset test = load_split(e.data, "test");
  const int64_t n = std::min<int64_t>(16, test.size());
  Tensor images = slice(test.images, 0, 0, n);
  const LoaderOptions& lo = e.data.loader;
  NoGradGuard no_grad;
  e.model->eval();
  st->set_capture(true);
  Tensor x = div(sub(div(to(images, DType::f32), 255.0), lo.mean), lo.std);
  std::vector<int64_t> pred = to_vector<int64_t>(argmax(e.model->forward(to(x, dev)), 1));
  st->set_capture(false);
  Tensor rectified = denormalize_to_uint8(st->captured().output, lo.mean, lo.std);
  const std::string png = opt.out_dir + "/stn.png";
  write_png(png, pairs_picture(images, rectified, 2));
  std::vector<int64_t> labels = to_vector<int64_t>(slice(test.labels, 0, 0, n));
  int64_t right = 0;
  for (int64_t i = 0; i < n; ++i) right += pred[i] == labels[i];
  std::printf("demo: wrote %s: %lld distorted test images (left) beside the transformer's output (right), "
              "%lld of them classified correctly\n",
              png.c_str(), static_cast<long long>(n), static_cast<long long>(right));
  std::fflush(stdout);
  if (r.score < min_accuracy) {
    std::fprintf(stderr, "demo: test accuracy %.4f is below %.2f: something is wrong\n", r.score, min_accuracy);
    return 1;
  }
  return 0;
}

}  // namespace

int cmd_demo(const Args& args) {
  if (!args.empty() && args[0] == "spirals") return demo_spirals(Args(args.begin() + 1, args.end()));
  if (!args.empty() && args[0] == "stn") return demo_stn(Args(args.begin() + 1, args.end()));
  return demo_stn(args);
}

}  // namespace oc::cli
