// SpatialTransformer: identity start, theta of each transform family, float64 finite-difference
// gradients through the whole layer into the localization net, JSON errors and 3-D volumes.
#include <catch2/catch.hpp>

#include "layers/spatial_transformer.h"
#include "nets/network.h"
#include "tests/helpers.h"

using namespace oc;

namespace {

Network build(const std::string& model_json) {
  return Network(ConfigObject(json::parse(model_json), "configs/x.json", "model"), 1);
}

SpatialTransformer& first_st(Network& net) {
  SpatialTransformer* found = nullptr;
  for (const auto& l : net.layers())
    if (!found) found = dynamic_cast<SpatialTransformer*>(l.module.get());
  REQUIRE(found);
  return *found;
}

// An STN over [1, 8, 8] images with a given transform and extra keys.
std::string stn_model(const std::string& transform, const std::string& extra = "") {
  return R"({"input": [1, 8, 8], "layers": [{"name": "stn", "type": "spatial_transformer", "transform": ")" +
         transform + "\"" + extra + R"(, "localization": {"layers": [
           {"type": "conv2d", "out_channels": 2, "kernel": 3, "stride": 2}, {"type": "relu"},
           {"type": "flatten"}, {"type": "linear", "out_features": 4}, {"type": "tanh"}]}}]})";
}

// A localization net whose weight is whatever tensor the test puts in: features = tanh(x w).
struct ProbeLocalization : Module {
  Tensor w;
  Tensor forward(const Tensor& x) override { return tanh(matmul(flatten(x, 1), w)); }
  std::string type() const override { return "probe"; }
};

// Sets the head's weight to small random values so that the localization net influences theta.
void randomize_head(SpatialTransformer& st, uint64_t seed) {
  NoGradGuard no_grad;
  for (auto& [name, t] : st.named_parameters())
    if (name == "head.weight") copy_(t, test::rand(t.shape(), seed, -0.3, 0.3));
}

}  // namespace

TEST_CASE("stn: the identity start reproduces the input", "[stn]") {
  for (const std::string& transform : transform_kind_names()) {
    INFO(transform);
    Network net = build(stn_model(transform));
    Tensor x = test::rand({3, 1, 8, 8}, 11);
    REQUIRE_CLOSE(net.forward(x), x, 1e-6, 1e-6);
    SpatialTransformer& st = first_st(net);
    REQUIRE_CLOSE(st.transform(x).theta, expand(unsqueeze(eye(2, 3), 0), {3, 2, 3}), 0, 0);
  }
  // Parameters are named by module path, the head after the localization net.
  Network net = build(stn_model("affine"));
  std::vector<std::string> names;
  for (auto& [name, t] : net.named_parameters()) names.push_back(name);
  REQUIRE(names == std::vector<std::string>{"stn.localization.conv2d0.weight", "stn.localization.conv2d0.bias",
                                            "stn.localization.linear3.weight", "stn.localization.linear3.bias",
                                            "stn.head.weight", "stn.head.bias"});
}

TEST_CASE("stn: each transform family builds the expected theta", "[stn]") {
  auto theta = [](TransformKind k, int dims, std::vector<double> p) {
    int64_t n = static_cast<int64_t>(p.size());
    return transform_theta(from_vector(p, {1, n}), k, dims);
  };
  auto want = [](std::vector<double> v, int dims) { return from_vector(v, {1, dims, dims + 1}); };
  using K = TransformKind;
  REQUIRE_CLOSE(theta(K::translation, 2, {0.1, -0.2}), want({1, 0, 0.1, 0, 1, -0.2}, 2), 0, 0);
  REQUIRE_CLOSE(theta(K::translation_scale, 2, {0.5, 0.1, -0.2}), want({0.5, 0, 0.1, 0, 0.5, -0.2}, 2), 0, 0);
  // a = s cos(t), b = s sin(t): a rotation by t scaled by s.
  REQUIRE_CLOSE(theta(K::similarity, 2, {0.6, 0.8, 0.1, -0.2}), want({0.6, -0.8, 0.1, 0.8, 0.6, -0.2}, 2), 0, 0);
  REQUIRE_CLOSE(theta(K::affine, 2, {1, 2, 3, 4, 5, 6}), want({1, 2, 3, 4, 5, 6}, 2), 0, 0);
  // rotation: any length of (c, s) gives the same pure turn; (0, 3) is a quarter turn.
  REQUIRE_CLOSE(theta(K::rotation, 2, {1.2, 1.6}), want({0.6, -0.8, 0, 0.8, 0.6, 0}, 2), 1e-12, 0);
  REQUIRE_CLOSE(theta(K::rotation, 2, {0, 3}), want({0, -1, 0, 1, 0, 0}, 2), 1e-12, 0);
  REQUIRE_CLOSE(theta(K::rotation, 2, {-0.5, 0}), want({-1, 0, 0, 0, -1, 0}, 2), 1e-10, 0);
  REQUIRE(transform_param_count(K::rotation, 3) == 0);
  REQUIRE_CLOSE(theta(K::translation, 3, {0.1, 0.2, 0.3}), want({1, 0, 0, 0.1, 0, 1, 0, 0.2, 0, 0, 1, 0.3}, 3), 0, 0);
  REQUIRE_CLOSE(theta(K::translation_scale, 3, {2, 0.1, 0.2, 0.3}),
                want({2, 0, 0, 0.1, 0, 2, 0, 0.2, 0, 0, 2, 0.3}, 3), 0, 0);
  REQUIRE_CLOSE(theta(K::affine, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}),
                want({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3), 0, 0);
  // The identity parameters give the identity matrix.
  for (K k : {K::translation, K::translation_scale, K::similarity, K::rotation, K::affine})
    REQUIRE_CLOSE(theta(k, 2, transform_identity_params(k, 2)), want({1, 0, 0, 0, 1, 0}, 2), 1e-12, 0);
  for (K k : {K::translation, K::translation_scale, K::affine})
    REQUIRE_CLOSE(theta(k, 3, transform_identity_params(k, 3)), want({1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}, 3), 0, 0);
  REQUIRE(transform_param_count(K::similarity, 3) == 0);
  REQUIRE_THROWS_WITH(theta(K::similarity, 3, {1, 0, 0, 0}), Catch::Contains("no 3-D form"));
  REQUIRE_THROWS_WITH(theta(K::affine, 2, {1, 2, 3}), Catch::Contains("takes [N, 6] parameters"));
  // theta is differentiable in the parameters (batch of 2, float64).
  for (K k : {K::translation, K::translation_scale, K::similarity, K::rotation, K::affine}) {
    INFO(to_string(k));
    Tensor p = test::rand({2, transform_param_count(k, 2)}, 5, -1, 1, DType::f64).set_requires_grad();
    REQUIRE_GRADCHECK([&](const std::vector<Tensor>& in) { return transform_theta(in[0], k, 2); }, {p});
  }
}

TEST_CASE("stn: float64 finite-difference gradients through the layer reach the localization net", "[stn]") {
  for (const std::string& name : transform_kind_names()) {
    INFO(name);
    auto loc = std::make_shared<ProbeLocalization>();
    SpatialTransformerOptions o;
    o.kind = transform_kind_from_string(name);
    o.output_size = {5, 6};
    o.sample.padding = GridPadding::border;
    Generator gen(3);
    SpatialTransformer st(loc, 3, o, gen);
    randomize_head(st, 17);
    Tensor x = test::rand({2, 2, 6, 7}, 21, -1, 1, DType::f64).set_requires_grad();
    Tensor w = test::rand({2 * 6 * 7, 3}, 22, -0.2, 0.2, DType::f64).set_requires_grad();
    REQUIRE_GRADCHECK(
        [&](const std::vector<Tensor>& in) {
          loc->w = in[1];
          return st.forward(in[0]);
        },
        {x, w}, 1e-6, 1e-6, 1e-4);
  }
}

TEST_CASE("stn: gradients reach every parameter of a JSON-built transformer", "[stn]") {
  Network net = build(stn_model("similarity"));
  Tensor x = test::rand({4, 1, 8, 8}, 9);
  // At the identity start only the head learns (its weight's gradient is nonzero) ...
  sum(mul(net.forward(x), test::rand({4, 1, 8, 8}, 10))).backward();
  for (auto& [name, t] : net.named_parameters()) {
    INFO(name);
    REQUIRE(t.grad().defined());
    if (name == "stn.head.weight") REQUIRE(item<float>(sum(abs(t.grad()))) > 0);
  }
  // ... and once the head is nonzero the localization net receives gradient too.
  randomize_head(first_st(net), 4);
  for (auto& [name, t] : net.named_parameters()) t.zero_grad();
  sum(mul(net.forward(x), test::rand({4, 1, 8, 8}, 10))).backward();
  for (auto& [name, t] : net.named_parameters()) {
    INFO(name);
    REQUIRE(item<float>(sum(abs(t.grad()))) > 0);
  }
}

TEST_CASE("stn: JSON errors name the path, and defaults are in the resolved config", "[stn]") {
  REQUIRE_THROWS_WITH(build(stn_model("afine")),
                      Catch::StartsWith("configs/x.json: model.layers[0].transform: unknown value \"afine\" (did you "
                                        "mean \"affine\"?)"));
  REQUIRE_THROWS_WITH(build(stn_model("affine", R"(, "ouput_size": [4, 4])")),
                      "configs/x.json: model.layers[0].ouput_size: unknown key (did you mean \"output_size\"?)");
  REQUIRE_THROWS_WITH(build(stn_model("affine", R"(, "padding": "reflect")")),
                      Catch::Contains("model.layers[0].padding: unknown value \"reflect\""));
  REQUIRE_THROWS_WITH(build(stn_model("affine", R"(, "output_size": [4, 4, 4])")),
                      Catch::Contains("model.layers[0].output_size: expected [H, W], got 3 sizes"));
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "spatial_transformer",
                                "localization": {"layers": [{"type": "conv2d", "out_channels": 2, "kernal": 3}]}}]})"),
                      "configs/x.json: model.layers[0].localization.layers[0].kernal: unknown key (did you mean "
                      "\"kernel\"?)");
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "spatial_transformer"}]})"),
                      Catch::StartsWith("configs/x.json: model.layers[0].localization.layers: the localization"));
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "spatial_transformer",
                                "localization": {"layers": [{"type": "flatten"}], "input": [1, 8, 8]}}]})"),
                      Catch::StartsWith("configs/x.json: model.layers[0].localization.input: unknown key"));

  ConfigObject top(json::parse(R"({"model": )" + stn_model("similarity") + "}"), "x.json", "");
  Network net(top.child("model"), 1);
  const json& r = top.resolved()["model"]["layers"][0];
  REQUIRE(r["output_size"] == json::array({8, 8}));
  REQUIRE(r["mode"] == "bilinear");
  REQUIRE(r["padding"] == "zeros");
  REQUIRE(r["align_corners"] == false);
  REQUIRE(r["localization"]["layers"][0]["stride"] == json::array({2, 2}));
  REQUIRE(r["localization"]["outputs"] == json::array({"tanh4"}));
  // The table shows the transformer's parameters and FLOPs, then its localization layers indented.
  std::string table = net.summary();
  REQUIRE(table.find("spatial_transformer") != std::string::npos);
  REQUIRE(table.find("  conv2d0") != std::string::npos);
  REQUIRE(net.layers()[1].params == net.num_parameters());
  REQUIRE(net.layers()[1].flops > 0);
}

TEST_CASE("stn: output size, capture, and 3-D volumes", "[stn]") {
  Network net = build(stn_model("translation_scale", R"(, "output_size": [5, 4], "align_corners": true)"));
  REQUIRE(net.output_shape("stn") == Shape{1, 5, 4});
  SpatialTransformer& st = first_st(net);
  st.set_capture(true);
  Tensor y = net.forward(test::rand({2, 1, 8, 8}, 1));
  REQUIRE(y.shape() == Shape{2, 1, 5, 4});
  REQUIRE(st.captured().output.shape() == Shape{2, 1, 5, 4});
  REQUIRE(st.captured().theta.shape() == Shape{2, 2, 3});
  REQUIRE(!st.captured().output.requires_grad());

  for (const std::string& transform : {"affine", "translation", "translation_scale"}) {
    INFO(transform);
    std::string vol = R"({"input": [2, 4, 6, 5], "layers": [{"name": "stn", "type": "spatial_transformer",
        "transform": ")" + std::string(transform) + R"(", "localization": {"layers": [
        {"type": "flatten"}, {"type": "linear", "out_features": 3}]}}]})";
    Network v = build(vol);
    Tensor x = test::rand({3, 2, 4, 6, 5}, 2);
    REQUIRE_CLOSE(v.forward(x), x, 1e-6, 1e-6);  // identity start
    REQUIRE(first_st(v).transform(x).theta.shape() == Shape{3, 3, 4});
    std::string smaller = vol;
    smaller.replace(smaller.find("\"localization\""), 0, R"("output_size": [2, 3, 3], )");
    Network s = build(smaller);
    REQUIRE(s.output_shape("stn") == Shape{2, 2, 3, 3});
    Tensor out = s.forward(x);
    REQUIRE(out.shape() == Shape{3, 2, 2, 3, 3});
    sum(out).backward();
    for (auto& [name, t] : s.named_parameters()) REQUIRE(t.grad().defined());
  }
  REQUIRE_THROWS_WITH(build(R"({"input": [2, 4, 6, 5], "layers": [{"type": "spatial_transformer", "transform":
                                "similarity", "localization": {"layers": [{"type": "flatten"}]}}]})"),
                      Catch::Contains("model.layers[0].transform: \"similarity\" is 2-D only"));
}

TEST_CASE("stn: the demo's device \"auto\" is the GPU when one is present, else the CPU", "[stn]") {
  REQUIRE(Device::parse("auto") == (cuda_available() ? Device::cuda(0) : Device::cpu()));
  REQUIRE_THROWS_WITH(Device::parse("atuo"), Catch::Contains("expected auto, cpu, cuda or cuda:N"));
}
