// JSON networks: strict config errors (naming file and path), shape inference against real
// forward passes for every layer type, skip connections, the summary table, overrides.
#include <catch2/catch.hpp>

#include "core/profile.h"
#include "nets/network.h"
#include "tests/helpers.h"

using namespace oc;

namespace {

Network build(const std::string& model_json) {
  return Network(ConfigObject(json::parse(model_json), "configs/x.json", "model"), 1);
}

}  // namespace

TEST_CASE("nets: config errors name the file, the JSON path and suggest the key") {
  std::string base = R"({"input": [1, 8, 8], "layers": [{"type": "conv2d", "out_channels": 4, "kernal": 3}]})";
  REQUIRE_THROWS_WITH(build(base), "configs/x.json: model.layers[0].kernal: unknown key (did you mean \"kernel\"?)");
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "conv2dd", "out_channels": 4}]})"),
                      Catch::StartsWith("configs/x.json: model.layers[0].type: unknown layer type \"conv2dd\" (did you "
                                        "mean \"conv2d\"?)"));
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "conv2d", "out_channels": "four"}]})"),
                      "configs/x.json: model.layers[0].out_channels: expected an integer, got \"four\"");
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "conv2d", "kernel": 3}]})"),
                      "configs/x.json: model.layers[0].out_channels: missing required key");
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 4, 4], "layers": [{"type": "conv2d", "out_channels": 2, "kernel": 7}]})"),
                      Catch::Contains("model.layers[0]: the output height would be -2 (input height 4)"));
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "relu"}, {"type": "add", "inputs": ["relu0", "rleu0"]}]})"),
                      Catch::Contains("model.layers[1].inputs: no earlier layer is named \"rleu0\" (did you mean \"relu0\"?)"));
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "linear", "out_features": 3}]})"),
                      Catch::Contains("linear expects a flat input"));
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layrs": []})"), Catch::Contains("model.layers: a network needs"));
  REQUIRE_THROWS_WITH(build(R"({"input": [1, 8, 8], "layers": [{"type": "relu"}], "outptus": ["relu0"]})"),
                      "configs/x.json: model.outptus: unknown key (did you mean \"outputs\"?)");
  REQUIRE_THROWS_WITH(build(R"({"input": [3, 8, 8], "layers": [{"type": "conv2d", "out_channels": 4, "groups": 2}]})"),
                      Catch::Contains("model.layers[0].groups: 2 groups must divide"));
}

TEST_CASE("nets: inferred shapes match the real forward pass for every layer type") {
  Network net = build(R"({
    "input": [3, 16, 16],
    "layers": [
      {"name": "c1", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": "same"},
      {"type": "batchnorm2d"}, {"type": "relu"},
      {"name": "c2", "type": "conv2d", "out_channels": 8, "kernel": [3, 5], "stride": 2, "padding": [1, 2], "dilation": 1},
      {"name": "dw", "type": "conv2d", "out_channels": 8, "kernel": 3, "padding": 2, "dilation": 2, "groups": 8},
      {"name": "skip", "type": "add", "inputs": ["c2", "dw"]},
      {"type": "leaky_relu", "negative_slope": 0.2},
      {"name": "res", "type": "basic_block", "out_channels": 12, "stride": 2},
      {"name": "bott", "type": "bottleneck", "width": 4, "out_channels": 16},
      {"name": "aspp", "type": "aspp", "out_channels": 8, "rates": [1, 2]},
      {"name": "up", "type": "upsample", "scale": 2, "mode": "bilinear"},
      {"name": "tconv", "type": "conv_transpose2d", "out_channels": 4, "kernel": 2, "stride": 2},
      {"name": "cat", "type": "concat", "inputs": ["tconv", "c1"]},
      {"type": "avgpool2d", "kernel": 3, "stride": 2, "padding": 1},
      {"type": "maxpool2d", "kernel": 2, "ceil_mode": true},
      {"name": "gap", "type": "global_avgpool2d"},
      {"type": "flatten"}, {"type": "dropout", "p": 0.2}, {"type": "tanh"},
      {"name": "fc", "type": "linear", "out_features": 5}, {"type": "sigmoid"}
    ],
    "outputs": ["sigmoid20", "cat", "skip"]})");
  Tensor x = test::rand({2, 3, 16, 16}, 7);
  auto outs = net.forward_all(x);
  for (const auto& name : net.output_names()) {
    INFO(name);
    Shape want = net.output_shape(name);
    want.insert(want.begin(), 2);
    REQUIRE(outs[name].shape() == want);
  }
  REQUIRE(net.output_shape("cat") == Shape{12, 16, 16});
  REQUIRE(net.output_shape("sigmoid20") == Shape{5});
  // Every layer's inferred shape, checked through a network that outputs each one.
  for (const auto& l : net.layers()) REQUIRE(!l.out_shape.empty());
  REQUIRE(net.num_parameters() > 0);
  // Parameters are named by module path.
  bool found = false;
  for (auto& [name, t] : net.named_parameters()) found = found || name == "res.body.0.conv.weight";
  REQUIRE(found);
  std::string table = net.summary();
  REQUIRE(table.find("aspp") != std::string::npos);
  REQUIRE(table.find("[12, 16, 16]") != std::string::npos);
  REQUIRE(table.find("total") != std::string::npos);
}

TEST_CASE("nets: gradients reach every parameter") {
  Network net = build(R"({"input": [1, 6, 6], "layers": [
      {"type": "conv2d", "out_channels": 3, "kernel": 3}, {"type": "batchnorm2d"}, {"type": "relu"},
      {"type": "flatten"}, {"type": "linear", "out_features": 2}]})");
  Tensor loss = sum(mul(net.forward(test::rand({4, 1, 6, 6}, 3)), test::rand({4, 2}, 4)));
  loss.backward();
  for (auto& [name, t] : net.named_parameters()) {
    INFO(name);
    REQUIRE(t.grad().defined());
    REQUIRE(t.grad().shape() == t.shape());
  }
}

TEST_CASE("nets: --set overrides and strict sections") {
  json c = json::parse(R"({"train": {"epochs": 2, "optimizer": {"lr": 0.1}}, "model": {"layers": [{"type": "relu"}]}})");
  apply_override(c, "train.epochs=5", "x.json");
  apply_override(c, "train.optimizer.type=adam", "x.json");
  apply_override(c, "model.layers.0.type=tanh", "x.json");
  apply_override(c, "train.new.key=[1,2]", "x.json");
  REQUIRE(c["train"]["epochs"] == 5);
  REQUIRE(c["train"]["optimizer"]["type"] == "adam");
  REQUIRE(c["model"]["layers"][0]["type"] == "tanh");
  REQUIRE(c["train"]["new"]["key"] == json::array({1, 2}));
  REQUIRE_THROWS_WITH(apply_override(c, "model.layers.3.type=relu", "x.json"), Catch::Contains("index 3 is out of range"));
  REQUIRE_THROWS_WITH(apply_override(c, "novalue", "x.json"), Catch::Contains("expected key.path=value"));
  REQUIRE(closest_word("kernal", {"kernel", "stride"}) == "kernel");
  REQUIRE(closest_word("zzz", {"kernel", "stride"}).empty());
}

TEST_CASE("nets: the resolved config holds every value used, defaults included") {
  ConfigObject top(json::parse(R"({"model": {"input": [1, 8, 8], "layers": [
      {"type": "conv2d", "out_channels": 4}, {"name": "p", "type": "maxpool2d"}]}})"), "x.json", "");
  Network net(top.child("model"), 1);
  const json& r = top.resolved();
  REQUIRE(r["model"]["layers"][0]["name"] == "conv2d0");
  REQUIRE(r["model"]["layers"][0]["kernel"] == json::array({3, 3}));
  REQUIRE(r["model"]["layers"][0]["stride"] == json::array({1, 1}));
  REQUIRE(r["model"]["layers"][0]["bias"] == true);
  REQUIRE(r["model"]["layers"][1]["stride"] == json::array({2, 2}));
  REQUIRE(r["model"]["layers"][1]["ceil_mode"] == false);
  REQUIRE(r["model"]["outputs"] == json::array({"p"}));
}

TEST_CASE("nets: a batchnorm2d read only by a relu runs as one fused op, with the composition's results") {
  // The same layers twice; naming bn an output gives it a second reader, which keeps it unfused.
  const std::string layers = R"("input": [3, 9, 7], "layers": [
      {"name": "conv", "type": "conv2d", "out_channels": 5, "kernel": 3, "padding": 1},
      {"name": "bn", "type": "batchnorm2d"}, {"name": "act", "type": "relu"}])";
  Network fused = build("{" + layers + R"(, "outputs": ["act"]})");
  Network plain = build("{" + layers + R"(, "outputs": ["act", "bn"]})");
  const Tensor x = test::rand({4, 3, 9, 7}, 5), w = test::rand({4, 5, 9, 7}, 6);
  for (bool training : {true, false}) {
    INFO("training " << training);
    fused.train(training);
    plain.train(training);
    profile_start();
    Tensor yf = fused.forward(x);
    sum(mul(yf, w)).backward();
    const std::vector<ProfileEntry> fused_ops = profile_stop();
    profile_start();
    Tensor yp = plain.forward(x);
    sum(mul(yp, w)).backward();
    const std::vector<ProfileEntry> plain_ops = profile_stop();
    auto ran = [](const std::vector<ProfileEntry>& ops, const std::string& name) {
      for (const ProfileEntry& e : ops)
        if (e.name == name) return true;
      return false;
    };
    REQUIRE_FALSE(ran(fused_ops, "relu"));
    REQUIRE(ran(plain_ops, "relu"));
    REQUIRE_CLOSE(yf, yp, 1e-6, 1e-6);
    auto pf = fused.named_parameters(), pp = plain.named_parameters();
    REQUIRE(pf.size() == pp.size());
    for (size_t i = 0; i < pf.size(); ++i) {
      INFO(pf[i].first);
      REQUIRE_CLOSE(pf[i].second.grad(), pp[i].second.grad(), 1e-5, 1e-5);
      pf[i].second.zero_grad();
      pp[i].second.zero_grad();
    }
    auto bf = fused.named_buffers(), bp = plain.named_buffers();
    for (size_t i = 0; i < bf.size(); ++i) REQUIRE_CLOSE(bf[i].second, bp[i].second, 1e-6, 1e-6);
  }
}
