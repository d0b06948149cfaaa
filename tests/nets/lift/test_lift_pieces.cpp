// LIFT's differentiable pieces: the crop geometry (which pixels a crop reads, the rotation's sense
// on an exactly rotated patch), float64 gradients through crop_theta and the crop, unit outputs of
// the orientation and descriptor nets; Network::run_any_size; train.init_from's strict matching.
#include <catch2/catch.hpp>

#include <cmath>

#include "kernels/ops.h"
#include "nets/lift/lift.h"
#include "tests/helpers.h"
#include "train/checkpoint.h"
#include "train/experiment.h"
#include "train/optimizers.h"
#include "train/io/safetensors.h"

using namespace oc;

namespace {

Tensor one_patch(int64_t P, uint64_t seed) { return test::rand({1, 1, P, P}, seed, 0, 1); }

}  // namespace

TEST_CASE("lift: a centred crop at scale 1/2 reads the central pixels", "[lift]") {
  Tensor patch = one_patch(64, 1);
  Tensor theta = crop_theta(zeros({1, 2}), Tensor(), 0.5);
  Tensor crop = crop_patches(patch, theta, 32);
  // Crop pixel j sits on patch pixel j + 16 exactly (align_corners false, scale 1/2).
  REQUIRE_CLOSE(crop, contiguous(slice(slice(patch, 2, 16, 48), 3, 16, 48)), 1e-6, 1e-6);
  // A centre moved by 2/64 in normalized units is one pixel to the right.
  Tensor moved = crop_patches(patch, crop_theta(from_vector<float>({2.0f / 64, 0}, {1, 2}), Tensor(), 0.5), 32);
  REQUIRE_CLOSE(moved, contiguous(slice(slice(patch, 2, 16, 48), 3, 17, 49)), 1e-6, 1e-6);
}

TEST_CASE("lift: the crop's rotation undoes content turned counter-clockwise as displayed", "[lift]") {
  const int64_t P = 64;
  Tensor a = one_patch(P, 2);
  // b shows a turned 90 degrees counter-clockwise on screen (y down): b[y][x] = a[x][P - 1 - y].
  std::vector<float> av = to_vector<float>(a), bv(av.size());
  for (int64_t y = 0; y < P; ++y)
    for (int64_t x = 0; x < P; ++x) bv[static_cast<size_t>(y * P + x)] = av[static_cast<size_t>(x * P + (P - 1 - y))];
  Tensor b = from_vector<float>(bv, {1, 1, P, P});
  Tensor straight = crop_patches(a, crop_theta(zeros({1, 2}), Tensor(), 0.5), 32);
  Tensor turned_back = crop_patches(b, crop_theta(zeros({1, 2}), from_vector<float>({0, 1}, {1, 2}), 0.5), 32);
  REQUIRE_CLOSE(turned_back, straight, 1e-5, 1e-5);
  // The opposite sense does not.
  Tensor wrong = crop_patches(b, crop_theta(zeros({1, 2}), from_vector<float>({0, -1}, {1, 2}), 0.5), 32);
  CHECK_FALSE(test::all_close(wrong, straight, 1e-3, 1e-3).ok);
}

TEST_CASE("lift: float64 gradients of the crop in its centre and orientation", "[lift]") {
  Tensor images = test::rand({2, 1, 12, 12}, 3, 0, 1, DType::f64).set_requires_grad();
  Tensor centre = test::rand({2, 2}, 4, -0.3, 0.3, DType::f64).set_requires_grad();
  Tensor cs = test::rand({2, 2}, 5, 0.2, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK(
      [](const std::vector<Tensor>& x) { return crop_patches(x[0], crop_theta(x[1], x[2], 0.4), 5); },
      {images, centre, cs});
}

TEST_CASE("lift: rotations compose as angles add, and the turn error by hand", "[lift]") {
  auto rot = [](std::vector<double> degrees) {
    std::vector<double> v;
    for (double d : degrees) v.push_back(std::cos(d * M_PI / 180)), v.push_back(std::sin(d * M_PI / 180));
    return from_vector<double>(v, {static_cast<int64_t>(degrees.size()), 2});
  };
  REQUIRE_CLOSE(compose_rotations(rot({30, -100}), rot({50, 170})), rot({80, 70}), 1e-12, 1e-12);
  REQUIRE_CLOSE(inverse_rotation(rot({30, -100})), rot({-30, 100}), 1e-12, 1e-12);
  // Orientations 10 and 50 degrees: the turn is 40. Truths 40 (right), 100 (60 off), -140 (180 off).
  Tensor o1 = rot({10, 10, 10}), o2 = rot({50, 50, 50});
  CHECK(item<double>(turn_error_loss(o1, o2, rot({40, 100, -140}))) == Approx((0 + 0.5 + 2) / 3.0));
  Tensor a = test::rand({4, 2}, 9, -1, 1, DType::f64).set_requires_grad();
  Tensor b = test::rand({4, 2}, 10, -1, 1, DType::f64).set_requires_grad();
  Tensor t = test::rand({4, 2}, 11, -1, 1, DType::f64).set_requires_grad();
  REQUIRE_GRADCHECK([](const std::vector<Tensor>& x) { return turn_error_loss(x[0], x[1], x[2]); }, {a, b, t});
}

namespace {

json lift_nets_config() {
  return json::parse(R"({
    "input": [1, 16, 16],
    "layers": [{"type": "conv2d", "out_channels": 4, "kernel": 3, "padding": 1}, {"type": "relu"},
               {"type": "conv2d", "out_channels": 1, "kernel": 3, "padding": 1}]})");
}

json head_config(int64_t out) {
  json j = json::parse(R"({"layers": [{"type": "conv2d", "out_channels": 4, "kernel": 3, "stride": 2},
                                      {"type": "flatten"}, {"type": "linear", "out_features": 3}]})");
  j["layers"][2]["out_features"] = out;
  return j;
}

}  // namespace

TEST_CASE("lift: orientation and descriptor outputs are unit rows", "[lift]") {
  Network model(ConfigObject(lift_nets_config(), "t.json", "model"), 1);
  Generator gen(2);
  json o = head_config(2), d = head_config(8);
  model.attach("orientation", std::make_shared<Network>(ConfigObject(o, "t.json", "o"), Shape{1, 8, 8}, gen));
  model.attach("descriptor", std::make_shared<Network>(ConfigObject(d, "t.json", "d"), Shape{1, 8, 8}, gen));
  LiftNets n = lift_nets(model);
  Tensor crops = test::rand({5, 1, 8, 8}, 6);
  Tensor cs = predict_orientation(*n.orientation, crops), desc = describe(*n.descriptor, crops);
  REQUIRE(cs.shape() == (Shape{5, 2}));
  REQUIRE(desc.shape() == (Shape{5, 8}));
  REQUIRE_CLOSE(sum(mul(cs, cs), {1}), ones({5}), 1e-5, 1e-5);
  REQUIRE_CLOSE(sum(mul(desc, desc), {1}), ones({5}), 1e-5, 1e-5);
  Network bare(ConfigObject(lift_nets_config(), "t.json", "model"), 1);
  CHECK_THROWS_WITH(lift_nets(bare), Catch::Contains("\"orientation\""));
}

TEST_CASE("network: a fully convolutional network runs at other sizes, others say which layer", "[lift]") {
  Network det(ConfigObject(lift_nets_config(), "t.json", "model"), 1);
  Tensor big = test::rand({2, 1, 24, 40}, 7);
  std::vector<Tensor> out = det.run_any_size(big);
  REQUIRE(out[0].shape() == (Shape{2, 1, 24, 40}));
  // The configured size gives what forward gives.
  Tensor small = test::rand({1, 1, 16, 16}, 8);
  REQUIRE_CLOSE(det.run_any_size(small)[0], det.forward(small), 0, 0);
  CHECK_THROWS_WITH(det.run_any_size(test::rand({1, 2, 16, 16}, 9)), Catch::Contains("channels"));
  json j = lift_nets_config();
  j["layers"].push_back({{"type", "flatten"}});
  Network flat(ConfigObject(j, "t.json", "model"), 1);
  CHECK_THROWS_WITH(flat.run_any_size(big), Catch::Contains("flatten"));
}

TEST_CASE("train: init_from loads another run's model tensors, names matched strictly", "[lift]") {
  const json config = json::parse(R"({
    "model": {"input": [1, 8, 8], "layers": [{"name": "c", "type": "conv2d", "out_channels": 3, "kernel": 3},
                                             {"type": "flatten"}, {"name": "fc", "type": "linear", "out_features": 4}]},
    "train": {"seed": 1, "optimizer": {"type": "sgd", "lr": 0.1}}})");
  test::TempDir tmp("init_from");
  const std::string dir = tmp.str();
  Experiment a = experiment_from_json(config, "a.json");
  std::vector<NamedParam> params;
  for (auto& [name, t] : a.model->named_parameters()) params.push_back({name, t});
  auto opt = make_optimizer(a.train, params);
  save_checkpoint(dir + "/a.safetensors", *a.model, *opt, a, TrainPosition{});

  json other_seed = config;
  other_seed["train"]["seed"] = 2;
  Experiment b = experiment_from_json(other_seed, "b.json");
  REQUIRE_FALSE(test::all_close(b.model->named_parameters()[0].second, a.model->named_parameters()[0].second, 0, 0).ok);
  init_model_from(dir + "/a.safetensors", *b.model);
  for (size_t i = 0; i < params.size(); ++i)
    REQUIRE_CLOSE(b.model->named_parameters()[i].second, a.model->named_parameters()[i].second, 0, 0);

  json wider = config;  // another shape
  wider["model"]["layers"][2]["out_features"] = 5;
  Experiment c = experiment_from_json(wider, "c.json");
  CHECK_THROWS_WITH(init_model_from(dir + "/a.safetensors", *c.model), Catch::Contains("fc.weight"));
  json fewer = config;  // the file holds a tensor the model lacks
  fewer["model"]["layers"][0]["bias"] = false;
  Experiment d = experiment_from_json(fewer, "d.json");
  CHECK_THROWS_WITH(init_model_from(dir + "/a.safetensors", *d.model),
                    Catch::Contains("c.bias") && Catch::Contains("does not have"));
  CHECK_THROWS_WITH(init_model_from(dir + "/missing.safetensors", *b.model),
                    Catch::Contains("train.init_from") && Catch::Contains("missing.safetensors does not exist"));
}
