// train.lr_scale: per-parameter factors on the learning rate. SGD and Adam step each parameter with
// lr x its factor; prefixes match whole name components; bad factors and unmatched prefixes are errors.
#include <catch2/catch.hpp>

#include "tests/helpers.h"
#include "tests/numeric.h"
#include "train/optimizers.h"

using namespace oc;

namespace {

// Three parameters with seeded values and gradients.
std::vector<NamedParam> three_params(uint64_t seed) {
  std::vector<NamedParam> ps;
  for (const char* name : {"stn.head.weight", "stn.header.weight", "conv1.weight"}) {
    Tensor p = test::rand({4, 3}, seed++, -1, 1);
    p.set_requires_grad();
    p.set_grad(test::rand({4, 3}, seed++, -1, 1));
    ps.push_back({name, p});
  }
  return ps;
}

std::vector<NamedParam> copies(const std::vector<NamedParam>& ps) {
  std::vector<NamedParam> out;
  for (const NamedParam& p : ps) {
    Tensor c = contiguous(clone(p.param.detach()));
    c.set_requires_grad();
    c.set_grad(clone(p.param.grad()));
    out.push_back({p.name, c});
  }
  return out;
}

}  // namespace

TEST_CASE("lr_scale: each parameter steps with lr times its factor (sgd, adam)") {
  for (const std::string kind : {"sgd", "adam"}) {
    INFO(kind);
    TrainSettings s;
    s.optimizer = kind;
    s.sgd.lr = 0.1;
    s.adam.lr = 0.1;
    std::vector<NamedParam> plain = three_params(7), scaled = copies(plain);
    std::vector<Tensor> before;
    for (const NamedParam& p : plain) before.push_back(clone(p.param.detach()));
    make_optimizer(s, plain)->step();
    s.lr_scale = {{"stn.head", 2.5}, {"conv1", 0}};
    make_optimizer(s, scaled)->step();
    // Both updates are linear in lr (Adam's first step included): scaled delta = factor x plain delta.
    const double factors[3] = {2.5, 1, 0};
    for (size_t i = 0; i < 3; ++i) {
      INFO(plain[i].name);
      Tensor want = add(before[i], mul(sub(plain[i].param.detach(), before[i]), factors[i]));
      REQUIRE_CLOSE(scaled[i].param.detach(), want, 1e-6, 1e-5);
    }
    REQUIRE(item<float>(sum(abs(sub(plain[0].param.detach(), before[0])))) > 0);
  }
}

TEST_CASE("lr_scale: the longest whole-component prefix wins, unmatched prefixes and bad factors are errors") {
  std::vector<NamedParam> ps = three_params(3);
  REQUIRE(lr_scales_for(ps, {{"stn", 3}, {"stn.head", 2}}, "c.json") == std::vector<double>{2, 3, 1});
  REQUIRE(lr_scales_for(ps, {{"stn.head", 2}, {"stn", 3}}, "c.json") == std::vector<double>{2, 3, 1});
  REQUIRE(lr_scales_for(ps, {{"conv1.weight", 0.5}}, "c.json") == std::vector<double>{1, 1, 0.5});
  test::require_error([&] { lr_scales_for(ps, {{"stn.hea", 2}}, "c.json"); },
                      {"c.json: train.lr_scale.stn.hea: names no trained parameter"});
  test::require_error([&] { make_optimizer(TrainSettings{}, ps)->set_lr_scales({1, -1, 1}); },
                      {"stn.header.weight", "finite and >= 0"});
  test::require_error([&] { make_optimizer(TrainSettings{}, ps)->set_lr_scales({1}); }, {"1 learning-rate scales for 3"});
  json c = json::parse(R"({"model": {"input": [4], "layers": [{"name": "fc", "type": "linear", "out_features": 2}]},
                          "train": {"lr_scale": {"fc": -2}}})");
  test::require_error([&] { experiment_from_json(c, "c.json"); }, {"c.json: train.lr_scale.fc", "finite and >= 0"});
  c["train"]["lr_scale"] = {{"fc", 0.5}, {"fc.bias", 4}};
  Experiment e = experiment_from_json(c, "c.json");
  REQUIRE(e.train.lr_scale.size() == 2);
}
