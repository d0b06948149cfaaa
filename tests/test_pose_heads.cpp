// The integral head's combined loss (L1 on coordinates + KL of the normalised map from a Gaussian):
// its value on hand-computable maps, its gradient by finite differences, and the pose task keys that
// set it and the part-affinity assembly thresholds.
#include <catch2/catch.hpp>

#include <cmath>
#include <fstream>

#include "kernels/ops.h"
#include "kernels/pose/pose.h"
#include "nets/pose/pose_heads.h"
#include "tests/helpers.h"
#include "tests/numeric.h"
#include "train/tasks/task.h"

using namespace oc;

namespace {

// 3 joints on a 6 x 8 map of stride 4 (input 24 x 32).
PoseHeadGeometry small_geometry() {
  PoseHeadGeometry g;
  g.K = 3, g.H = 24, g.W = 32, g.Hh = 6, g.Wh = 8, g.s = 4;
  return g;
}

// keypoints [B,1,3,3] float64 inside the image, joint (b=1, k=2) missing.
Tensor random_keypoints(int64_t B, uint64_t seed) {
  std::vector<double> v = to_vector<double>(test::rand({B, 1, 3, 3}, seed, 0, 1, DType::f64));
  for (int64_t i = 0; i < B * 3; ++i) {
    v[3 * i] = 2 + 27 * v[3 * i];
    v[3 * i + 1] = 2 + 19 * v[3 * i + 1];
    v[3 * i + 2] = 2;
  }
  v[3 * (1 * 3 + 2) + 2] = 0;
  return from_vector(v, {B, 1, 3, 3});
}

PoseSettings integral_settings(double coordinate_weight, double map_weight) {
  PoseSettings p;
  p.head = "integral";
  p.stride = 4;
  p.sigma = 3;
  p.beta = 1.5;
  p.coordinate_weight = coordinate_weight;
  p.map_weight = map_weight;
  return p;
}

// tests/data/tiny_pose.json (an integral model on 64 x 64 images).
json tiny_pose_config() {
  std::ifstream f(std::string(OCELLUS_SOURCE_DIR) + "/tests/data/tiny_pose.json");
  return json::parse(f);
}

}  // namespace

TEST_CASE("integral head: the map loss is log(cells) - H(target) per visible joint on flat maps") {
  const PoseHeadGeometry g = small_geometry();
  PoseHeadPtr head = make_integral_head(integral_settings(0, 1), g);
  Tensor kp = random_keypoints(2, 11);
  PoseTargets t = head->targets(kp, Device::cpu());
  REQUIRE(t.tensors.size() == 3);
  // Each visible joint's target sums to 1; the missing one is all 0.
  std::vector<double> dist = to_vector<double>(t.tensors[1]);
  double expected = 0;
  for (int64_t j = 0; j < 6; ++j) {
    double total = 0, entropy = 0;
    for (int64_t c = 0; c < 48; ++c) {
      const double q = dist[j * 48 + c];
      total += q;
      if (q > 0) entropy -= q * std::log(q);
    }
    if (j == 5) {
      REQUIRE(total == 0);
      continue;
    }
    REQUIRE(total == Approx(1).epsilon(1e-12));
    expected += std::log(48.0) - entropy;
  }
  expected /= 5;
  Tensor flat = full({2, 3, 6, 8}, 0.7, DType::f64);  // any constant: softmax is uniform
  REQUIRE(item<double>(head->loss({flat}, t)) == Approx(expected).epsilon(1e-10));
  // Maps equal to log(target) / beta make softmax(beta * map) the target: KL is 0.
  Tensor matched = div(log(clamp(reshape(t.tensors[1], {2, 3, 6, 8}), 1e-300, 1.0)), 1.5);
  REQUIRE(std::abs(item<double>(head->loss({matched}, t))) < 1e-9);
}

TEST_CASE("integral head: the combined loss adds the weighted L1 and map terms") {
  const PoseHeadGeometry g = small_geometry();
  Tensor kp = random_keypoints(2, 12);
  Tensor maps = test::rand({2, 3, 6, 8}, 13, -2, 2, DType::f64);
  PoseHeadPtr l1 = make_integral_head(integral_settings(1, 0), g);
  PoseHeadPtr kl = make_integral_head(integral_settings(0, 1), g);
  PoseHeadPtr both = make_integral_head(integral_settings(0.5, 3), g);
  const double a = item<double>(l1->loss({maps}, l1->targets(kp, Device::cpu())));
  const double b = item<double>(kl->loss({maps}, kl->targets(kp, Device::cpu())));
  REQUIRE(a > 0);
  REQUIRE(b > 0);
  REQUIRE(item<double>(both->loss({maps}, both->targets(kp, Device::cpu()))) == Approx(0.5 * a + 3 * b).epsilon(1e-12));
}

TEST_CASE("integral head: the combined loss's gradient matches finite differences") {
  const PoseHeadGeometry g = small_geometry();
  PoseHeadPtr head = make_integral_head(integral_settings(0.7, 1.3), g);
  PoseTargets t = head->targets(random_keypoints(2, 14), Device::cpu());
  Tensor maps = test::rand({2, 3, 6, 8}, 15, -2, 2, DType::f64);
  maps.set_requires_grad();
  test::CloseResult r = test::gradcheck([&](const std::vector<Tensor>& in) { return head->loss({in[0]}, t); }, {maps});
  INFO(r.message);
  REQUIRE(r.ok);
}

TEST_CASE("integral head: decode_window takes the expectation around each map's maximum only") {
  PoseHeadGeometry g = small_geometry();
  PoseSettings p = integral_settings(1, 0);
  p.beta = 1;
  // One map [1,3,6,8]: joint 0 has two equal cells (2,3) and (2,4) and a slightly lower far cell
  // (5,7); joints 1 and 2 one cell each. Elsewhere -30 (exp(-35) of the peak: nothing).
  std::vector<double> v(3 * 48, -30.0);
  v[2 * 8 + 3] = v[2 * 8 + 4] = 5;
  v[5 * 8 + 7] = 4.9;
  v[48 + 0] = 1;           // joint 1 at cell (0,0): its window is cut by the map's corner
  v[96 + 5 * 8 + 7] = 2;   // joint 2 at cell (5,7)
  Tensor maps = to(from_vector(v, {1, 3, 6, 8}), DType::f32);
  p.decode_window = 1;
  std::vector<std::vector<Person>> got = make_integral_head(p, g)->decode({maps});
  const std::vector<Keypoint>& k = got[0][0].keypoints;  // COCO coordinates: pixel centres + 0.5
  CHECK(k[0].x == Approx(3.5 * 4 + 1.5 + 0.5).margin(1e-4));
  CHECK(k[0].y == Approx(2 * 4 + 1.5 + 0.5).margin(1e-4));
  CHECK(k[1].x == Approx(0 + 1.5 + 0.5).margin(1e-4));
  CHECK(k[2].x == Approx(7 * 4 + 1.5 + 0.5).margin(1e-4));
  CHECK(k[2].y == Approx(5 * 4 + 1.5 + 0.5).margin(1e-4));
  // The whole map (decode_window 0): the far cell pulls joint 0 towards it.
  p.decode_window = 0;
  got = make_integral_head(p, g)->decode({maps});
  const std::vector<Keypoint>& all = got[0][0].keypoints;
  const double w = std::exp(-0.1), x = (3 + 4 + 7 * w) / (2 + w), y = (2 + 2 + 5 * w) / (2 + w);
  CHECK(all[0].x == Approx(x * 4 + 1.5 + 0.5).margin(1e-3));
  CHECK(all[0].y == Approx(y * 4 + 1.5 + 0.5).margin(1e-3));
}

TEST_CASE("pose task: integral loss weights and paf assembly thresholds are read, and checked") {
  json c = tiny_pose_config();
  c["task"]["head"] = "integral";
  c["task"]["map_weight"] = 0.5;
  c["task"]["coordinate_weight"] = 2;
  Experiment e = experiment_from_json(c, "p.json");
  REQUIRE(e.task.pose.map_weight == 0.5);
  REQUIRE(e.task.pose.coordinate_weight == 2);
  c["task"]["decode_window"] = -1;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.decode_window", ">= 0"});
  c["task"]["decode_window"] = 2;
  c["task"]["map_weight"] = -1;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"p.json", "task.map_weight", ">= 0"});
  c["task"]["map_weight"] = 0;
  c["task"]["coordinate_weight"] = 0;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.coordinate_weight", "both 0"});

  c = tiny_pose_config();
  c["task"]["head"] = "paf";
  c["task"]["max_people"] = 2;
  c["task"]["paf_threshold"] = 0.1;
  c["task"]["min_limb_fraction"] = 0.6;
  c["task"]["limb_samples"] = 12;
  c["task"]["min_joints"] = 3;
  c["task"]["min_person_score"] = 0.4;
  e = experiment_from_json(c, "p.json");
  const PoseAssemblyOptions& a = e.task.pose.assembly;
  REQUIRE(a.paf_threshold == 0.1);
  REQUIRE(a.min_fraction == 0.6);
  REQUIRE(a.samples == 12);
  REQUIRE(a.min_joints == 3);
  REQUIRE(a.min_score == 0.4);
  REQUIRE_FALSE(a.replace_contradicting);
  REQUIRE_FALSE(a.score_per_joint);
  c["task"]["contradicting_limb"] = "replace";
  c["task"]["person_score"] = "joints";
  e = experiment_from_json(c, "p.json");
  REQUIRE(e.task.pose.assembly.replace_contradicting);
  REQUIRE(e.task.pose.assembly.score_per_joint);
  c["task"]["contradicting_limb"] = "overwrite";
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.contradicting_limb", "\"overwrite\""});
  c["task"]["contradicting_limb"] = "drop";
  c["task"]["person_score"] = "mean";
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.person_score", "\"mean\""});
  c["task"]["person_score"] = "joints";
  c["task"]["min_limb_fraction"] = 1.5;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.min_limb_fraction", "[0, 1]"});
  c["task"]["min_limb_fraction"] = 0.6;
  c["task"]["limb_samples"] = 1;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.limb_samples"});
  c["task"]["limb_samples"] = 12;
  c["task"]["min_joints"] = 1;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.min_joints", ">= 2"});
}

TEST_CASE("pose task: each head reads its own keys, and another head's key is an error naming the head") {
  json c = tiny_pose_config();
  c["task"]["head"] = "integral";
  Experiment e = experiment_from_json(c, "p.json");
  const json& task = e.resolved["task"];
  CHECK(task.contains("decode_window"));
  CHECK(task.contains("map_weight"));
  CHECK_FALSE(task.contains("paf_threshold"));  // --print-config shows what the head uses
  CHECK_FALSE(task.contains("limb_width"));
  CHECK_FALSE(task.contains("heatmap_loss"));

  c["task"]["paf_threshold"] = 0.2;
  test::require_error([&] { experiment_from_json(c, "p.json"); },
                      {"p.json", "task.paf_threshold", "head \"integral\" does not use it", "decode_window"});
  c = tiny_pose_config();
  c["task"]["head"] = "heatmap";
  c["task"]["heatmap_loss"] = "cross_entropy";
  c["task"]["decode_window"] = 2;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.decode_window", "head \"heatmap\""});
  c["task"].erase("decode_window");
  c["task"]["sigma"] = 3;  // the Gaussian targets belong to the mse loss
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.sigma", "head \"heatmap\""});
  c["task"]["heatmap_loss"] = "mse";
  e = experiment_from_json(c, "p.json");
  CHECK(e.task.pose.sigma == 3);
  c = tiny_pose_config();
  c["task"]["head"] = "direct";
  c["task"]["stride"] = 4;
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.stride", "head \"direct\""});
  c["task"]["strid"] = 4;  // not a pose key at all: the did-you-mean error
  c["task"].erase("stride");
  test::require_error([&] { experiment_from_json(c, "p.json"); }, {"task.strid"});
}
