// Optimizers, schedules and gradient clipping: hand-computed updates, the optimizers' trajectories
// against torch.optim (tests/data/golden_optimizers.json, tools/goldens/optimizers.py), bit-identical
// resumption through state() / load_state(), skipping of params without grad, no autograd records,
// and error messages. The fused updates against their formulas, PyTorch and CUDA come from the case
// table, optim_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>
#include <fstream>
#include <nlohmann/json.hpp>

#include "kernels/optim/optim.h"
#include "tests/golden.h"
#include "tests/helpers.h"
#include "tests/kernels/optim/bit_equal.h"
#include "train/optim.h"
#include "train/schedule.h"

using namespace oc;
using json = nlohmann::json;
using test::bit_equal;

namespace {

using test::require_error;

Tensor leaf(const std::vector<double>& v, DType dt = DType::f64) {
  Tensor t = to(from_vector(v, {static_cast<int64_t>(v.size())}), dt);
  return t.set_requires_grad();
}

// Sets the grad of p to the given values.
void set_grad(Tensor p, const std::vector<double>& g) {
  p.set_grad(to(from_vector(g, p.shape()), p.dtype()));
}

std::vector<double> values(const Tensor& t) { return to_vector<double>(t); }

}  // namespace

TEST_CASE("optim: sgd steps match hand-computed updates") {
  SECTION("plain: p -= lr g") {
    Tensor p = leaf({1, -2});
    auto opt = make_sgd({{"p", p}}, {0.1, 0, 0, false});
    set_grad(p, {0.5, 1});
    opt->step();
    REQUIRE(values(p) == std::vector<double>{1 - 0.1 * 0.5, -2 - 0.1 * 1});
    REQUIRE(opt->state().empty());
  }
  SECTION("momentum: buf = g on the first step, then 0.9 buf + g") {
    Tensor p = leaf({1});
    auto opt = make_sgd({{"p", p}}, {0.1, 0.9, 0, false});
    set_grad(p, {0.5});
    opt->step();  // buf 0.5, p 0.95
    REQUIRE(values(p)[0] == Approx(0.95).epsilon(1e-15));
    opt->step();  // buf 0.45 + 0.5 = 0.95, p 0.95 - 0.095
    REQUIRE(values(p)[0] == Approx(0.855).epsilon(1e-15));
    REQUIRE(values(opt->state()[0].param)[0] == Approx(0.95).epsilon(1e-15));
  }
  SECTION("nesterov and weight decay: d = g + wd p; buf = m buf + d; p -= lr (d + m buf)") {
    Tensor p = leaf({2});
    auto opt = make_sgd({{"p", p}}, {0.1, 0.9, 0.5, true});
    set_grad(p, {0.5});
    opt->step();  // d = 0.5 + 1 = 1.5; buf 1.5; step 1.5 + 1.35 = 2.85; p = 2 - 0.285
    REQUIRE(values(p)[0] == Approx(1.715).epsilon(1e-15));
    opt->step();  // d = 0.5 + 0.8575 = 1.3575; buf 1.35 + 1.3575 = 2.7075; step 1.3575 + 2.43675
    REQUIRE(values(p)[0] == Approx(1.715 - 0.1 * (1.3575 + 0.9 * 2.7075)).epsilon(1e-14));
  }
}

TEST_CASE("optim: adam and adamw steps match hand-computed updates") {
  SECTION("adam, first step: the update is lr sign(g) up to eps") {
    Tensor p = leaf({1, 1});
    auto opt = make_adam({{"p", p}}, {0.01, 0.9, 0.999, 1e-8, 0, false});
    set_grad(p, {0.5, -2});
    opt->step();
    // m = 0.1 g, v = 0.001 g^2; step_size = lr / 0.1; denom = |g| + eps.
    REQUIRE(values(p)[0] == Approx(1 - 0.01 * 0.5 / (0.5 + 1e-8)).epsilon(1e-15));
    REQUIRE(values(p)[1] == Approx(1 + 0.01 * 2 / (2 + 1e-8)).epsilon(1e-15));
    auto st = opt->state();
    REQUIRE(st.size() == 2);
    REQUIRE(st[0].name == "p.exp_avg");
    REQUIRE(st[1].name == "p.exp_avg_sq");
    REQUIRE(values(st[0].param)[1] == Approx(-0.2).epsilon(1e-15));
    REQUIRE(values(st[1].param)[1] == Approx(0.004).epsilon(1e-14));
  }
  SECTION("adam, second step with coupled weight decay") {
    const double lr = 0.1, b1 = 0.8, b2 = 0.9, eps = 1e-3, wd = 0.2;
    Tensor p = leaf({1.5});
    auto opt = make_adam({{"p", p}}, {lr, b1, b2, eps, wd, false});
    double pv = 1.5, m = 0, v = 0;
    for (int t = 1; t <= 2; ++t) {
      const double g0 = t == 1 ? 0.3 : -0.7;
      set_grad(p, {g0});
      opt->step();
      const double g = g0 + wd * pv;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      pv -= lr / (1 - std::pow(b1, t)) * m / (std::sqrt(v) / std::sqrt(1 - std::pow(b2, t)) + eps);
      REQUIRE(values(p)[0] == Approx(pv).epsilon(1e-14));
    }
  }
  SECTION("adamw: decoupled decay p *= 1 - lr wd, then the Adam step") {
    const double lr = 0.1, wd = 0.5;
    Tensor p = leaf({2});
    auto opt = make_adam({{"p", p}}, {lr, 0.9, 0.999, 1e-8, wd, true});
    REQUIRE(std::string(opt->kind()) == "adamw");
    set_grad(p, {0.25});
    opt->step();
    REQUIRE(values(p)[0] == Approx(2 * (1 - lr * wd) - lr * 0.25 / (0.25 + 1e-8)).epsilon(1e-15));
  }
}

TEST_CASE("optim: trajectories match torch.optim (SGD, Adam, AdamW)") {
  std::ifstream f(std::string(OCELLUS_SOURCE_DIR) + "/tests/data/golden_optimizers.json");
  REQUIRE(f.good());
  json data = json::parse(f);
  REQUIRE(data["cases"].size() >= 16);
  for (const json& c : data["cases"]) {
    const std::string name = c["name"];
    INFO("golden case " << name);
    const DType dt = c["dtype"] == "float32" ? DType::f32 : DType::f64;
    std::vector<NamedParam> params;
    for (const json& p : c["params"])
      params.push_back({p["name"], to(test::decode_golden(p["init"]), dt).set_requires_grad()});
    const json& o = c["options"];
    std::unique_ptr<Optimizer> opt;
    if (c["optimizer"] == "sgd") {
      opt = make_sgd(params, {o["lr"], o.value("momentum", 0.0), o.value("weight_decay", 0.0),
                              o.value("nesterov", false)});
    } else {
      AdamOptions a;
      a.lr = o["lr"];
      a.beta1 = o.value("beta1", 0.9);
      a.beta2 = o.value("beta2", 0.999);
      a.eps = o.value("eps", 1e-8);
      a.weight_decay = o.value("weight_decay", c["optimizer"] == "adamw" ? 0.01 : 0.0);
      a.decoupled = c["optimizer"] == "adamw";
      opt = make_adam(params, a);
    }
    const size_t steps = c["lrs"].size();
    for (size_t k = 0; k < steps; ++k) {
      INFO("step " << k + 1);
      opt->set_lr(c["lrs"][k]);
      for (size_t i = 0; i < params.size(); ++i) {
        const json& g = c["params"][i]["grads"][k];
        Tensor p = params[i].param;
        if (g.is_null())
          p.zero_grad();
        else
          p.set_grad(to(test::decode_golden(g), dt));
      }
      opt->step();
      for (size_t i = 0; i < params.size(); ++i) {
        INFO("parameter " << params[i].name);
        Tensor want = to(test::decode_golden(c["params"][i]["after"][k]), dt);
        // float64: the same operations in the same order; only libm's pow may differ by an ulp.
        // float32: PyTorch's vectorized CPU kernels may fuse a*b+c (AVX2 FMA) where we round twice,
        // a few ulp per step of values of order 1 (1 ulp = 6e-8).
        if (dt == DType::f64)
          REQUIRE_CLOSE(params[i].param, want, 1e-15, 1e-14);
        else
          REQUIRE_CLOSE(params[i].param, want, 1e-6, 1e-6);
      }
    }
    REQUIRE(opt->steps() == static_cast<int64_t>(steps));
  }
}

TEST_CASE("optim: state() and load_state() resume bit-identically") {
  auto make = [](const std::string& kind, std::vector<NamedParam> ps) -> std::unique_ptr<Optimizer> {
    if (kind == "sgd") return make_sgd(std::move(ps), {0.05, 0.9, 0.01, true});
    return make_adam(std::move(ps), {0.01, 0.9, 0.999, 1e-8, 0.05, kind == "adamw"});
  };
  for (const char* kind : {"sgd", "adam", "adamw"}) {
    INFO(kind);
    auto fresh_params = [] {
      return std::vector<NamedParam>{{"conv.weight", test::rand({4, 3, 3, 3}, 1).set_requires_grad()},
                                     {"conv.bias", test::rand({4}, 2).set_requires_grad()}};
    };
    auto grads_for = [](int step, const std::vector<NamedParam>& ps) {
      for (size_t i = 0; i < ps.size(); ++i) {
        Tensor p = ps[i].param;
        p.set_grad(test::rand(p.shape(), 100 + 10 * step + i));
      }
    };
    std::vector<NamedParam> a = fresh_params();
    auto opt_a = make(kind, a);
    for (int s = 0; s < 3; ++s) {
      grads_for(s, a);
      opt_a->step();
    }
    // A checkpoint: the parameters, the state and the step count.
    std::vector<NamedParam> saved_state = opt_a->state();
    std::vector<NamedParam> b = fresh_params();
    for (size_t i = 0; i < b.size(); ++i) copy_(b[i].param, a[i].param);
    auto opt_b = make(kind, b);
    opt_b->load_state(saved_state, opt_a->steps());
    REQUIRE(opt_b->steps() == 3);
    for (int s = 3; s < 6; ++s) {
      grads_for(s, a);
      grads_for(s, b);
      opt_a->step();
      opt_b->step();
    }
    for (size_t i = 0; i < a.size(); ++i) REQUIRE(bit_equal(a[i].param, b[i].param));
    auto sa = opt_a->state(), sb = opt_b->state();
    REQUIRE(sa.size() == sb.size());
    for (size_t i = 0; i < sa.size(); ++i) {
      REQUIRE(sa[i].name == sb[i].name);
      REQUIRE(bit_equal(sa[i].param, sb[i].param));
    }
    // state() returns copies: stepping on does not change what was saved.
    REQUIRE(!bit_equal(saved_state[0].param, sa[0].param));
  }
}

TEST_CASE("optim: load_state validates names, shapes and steps, naming the entry") {
  Tensor w = test::rand({2, 3}, 3).set_requires_grad(), bias = test::rand({2}, 4).set_requires_grad();
  auto opt = make_adam({{"fc.weight", w}, {"fc.bias", bias}}, {});
  std::vector<NamedParam> st = opt->state();
  REQUIRE(st.size() == 4);
  {
    auto s = st;
    s.pop_back();
    require_error([&] { opt->load_state(s, 1); }, {"adam", "load_state", "\"fc.bias.exp_avg_sq\"", "missing"});
  }
  {
    auto s = st;
    s.push_back({"fc.bias.momentum_buffer", zeros({2})});
    require_error([&] { opt->load_state(s, 1); }, {"adam", "unknown entry", "\"fc.bias.momentum_buffer\""});
  }
  {
    auto s = st;
    s[0].param = zeros({3, 2});
    require_error([&] { opt->load_state(s, 1); }, {"\"fc.weight.exp_avg\"", "[3, 2]", "fc.weight", "[2, 3]"});
  }
  {
    auto s = st;
    s.push_back(st[1]);
    require_error([&] { opt->load_state(s, 1); }, {"\"fc.bias.exp_avg\"", "twice"});
  }
  {
    auto s = st;
    s[2].param = zeros({2, 3}, DType::i64);
    require_error([&] { opt->load_state(s, 1); }, {"\"fc.weight.exp_avg_sq\"", "int64"});
  }
  require_error([&] { opt->load_state(st, -1); }, {"steps", "-1"});
  // Nothing was written by the failed loads; a valid one converts dtype (float64 in, float32 kept).
  REQUIRE(opt->steps() == 0);
  auto s = st;
  s[0].param = full({2, 3}, 0.25, DType::f64);
  opt->load_state(s, 7);
  REQUIRE(opt->steps() == 7);
  REQUIRE(opt->state()[0].param.dtype() == DType::f32);
  REQUIRE(values(opt->state()[0].param) == std::vector<double>(6, 0.25));
  // SGD without momentum has no state and refuses any.
  auto sgd = make_sgd({{"fc.weight", w}}, {});
  sgd->load_state({}, 2);
  require_error([&] { sgd->load_state({{"fc.weight.momentum_buffer", zeros({2, 3})}}, 2); },
                {"sgd", "unknown entry", "without momentum"});
}

TEST_CASE("optim: params without grad are skipped, updates record no graph, zero_grad and lr") {
  for (bool adam : {false, true}) {
    INFO((adam ? "adam" : "sgd"));
    Tensor a = test::rand({3}, 5).set_requires_grad(), b = test::rand({2}, 6).set_requires_grad();
    Tensor b0 = clone(b.detach());
    std::unique_ptr<Optimizer> opt =
        adam ? make_adam({{"a", a}, {"b", b}}, {}) : make_sgd({{"a", a}, {"b", b}}, {0.1, 0.9, 0.1, false});
    a.set_grad(ones({3}));
    opt->step();
    REQUIRE(bit_equal(b, b0));                             // b had no grad: unchanged
    for (const NamedParam& s : opt->state())               // and so is its state
      if (s.name.rfind("b.", 0) == 0) REQUIRE(bit_equal(s.param, zeros({2})));
    REQUIRE(a.is_leaf());
    REQUIRE(a.requires_grad());
    REQUIRE(a.grad_fn() == nullptr);
    REQUIRE(opt->steps() == 1);
    opt->zero_grad();
    REQUIRE(!a.grad().defined());
    opt->step();  // nothing has a grad: a step that changes nothing, but counts
    REQUIRE(opt->steps() == 2);
    opt->set_lr(0.5);
    REQUIRE(opt->lr() == 0.5);
    require_error([&] { opt->set_lr(-1); }, {"learning rate", "-1"});
    require_error([&] { opt->set_lr(NAN); }, {"learning rate", "nan"});
  }
}

TEST_CASE("optim: construction checks the parameters and hyper-parameters") {
  Tensor a = test::rand({3}, 7).set_requires_grad();
  require_error([&] { make_sgd({{"a", a}, {"a", a}}, {}); }, {"sgd", "both named \"a\""});
  require_error([&] { make_sgd({{"", a}}, {}); }, {"sgd", "empty name"});
  require_error([&] { make_sgd({{"i", zeros({2}, DType::i64)}}, {}); }, {"sgd", "\"i\"", "int64"});
  require_error([&] { make_sgd({{"a", a}}, {0.1, 0, 0, true}); }, {"sgd", "nesterov", "momentum"});
  require_error([&] { make_sgd({{"a", a}}, {0.1, -0.5, 0, false}); }, {"sgd", "momentum", "-0.5"});
  require_error([&] { make_sgd({{"a", a}}, {-0.1, 0, 0, false}); }, {"sgd", "learning rate", "-0.1"});
  require_error([&] { make_adam({{"a", a}}, {0.1, 1.0, 0.999, 1e-8, 0, false}); }, {"adam", "beta1", "1"});
  require_error([&] { make_adam({{"a", a}}, {0.1, 0.9, -0.1, 1e-8, 0, true}); }, {"adamw", "beta2", "-0.1"});
  require_error([&] { make_adam({{"a", a}}, {0.1, 0.9, 0.999, 1e-8, -1, false}); }, {"adam", "weight_decay", "-1"});
}

TEST_CASE("optim: fused updates handle non-contiguous parameters and broadcast gradients") {
  for (DType dt : {DType::f32, DType::f64}) {
    INFO(dtype_name(dt));
    // A transposed leaf (strided storage) against the same values stored contiguously.
    Tensor base = test::rand({3, 4}, 8, -1, 1, dt);
    Tensor strided = clone(base).as_strided({4, 3}, {1, 4}, 0);
    Tensor dense = contiguous(strided.detach());
    REQUIRE(!strided.is_contiguous());
    Tensor g = expand(test::rand({1, 3}, 9, -1, 1, dt), {4, 3});  // stride 0 along dim 0
    Tensor buf1 = zeros({4, 3}, dt), buf2 = zeros({4, 3}, dt);
    SgdUpdate su{0.1, 0.9, 0.01, true};
    sgd_update_(strided, g, buf1, su);
    sgd_update_(dense, g, buf2, su);
    REQUIRE(bit_equal(strided, dense));
    REQUIRE(bit_equal(buf1, buf2));
    Tensor m1 = zeros({4, 3}, dt), v1 = zeros({4, 3}, dt), m2 = zeros({4, 3}, dt), v2 = zeros({4, 3}, dt);
    AdamUpdate au{0.01, 0.9, 0.999, 1e-8, 0.1, true, 1};
    adam_update_(strided, g, m1, v1, au);
    adam_update_(dense, g, m2, v2, au);
    REQUIRE(bit_equal(strided, dense));
    REQUIRE(bit_equal(m1, m2));
    REQUIRE(bit_equal(v1, v2));
  }
  // Empty parameters are fine; mismatches are named.
  sgd_update_(zeros({0}), zeros({0}), Tensor(), {0.1, 0, 0, false});
  require_error([] { sgd_update_(zeros({3}), zeros({2}), Tensor(), {0.1, 0, 0, false}); },
                {"sgd_update", "gradient", "[2]", "[3]"});
  require_error([] { sgd_update_(zeros({3}), zeros({3}), zeros({3}, DType::f64), {0.1, 0.9, 0, false}); },
                {"sgd_update", "momentum buffer", "float64"});
  require_error([] { sgd_update_(zeros({3}), zeros({3}), Tensor(), {0.1, 0.9, 0, false}); },
                {"sgd_update", "momentum 0.9 needs a momentum buffer"});
  require_error([] { adam_update_(zeros({3}), zeros({3}), zeros({3}), zeros({2}), {}); },
                {"adam_update", "exp_avg_sq", "[2]"});
}

TEST_CASE("optim: the fused CPU kernels equal a float32 reference loop bit for bit") {
  // The same operations in the same order as optim_math.h, written out in plain float arithmetic.
  const int64_t n = 1000;
  Tensor p1 = test::rand({n}, 10), g = test::rand({n}, 11), buf = zeros({n});
  std::vector<float> p = to_vector<float>(p1), gv = to_vector<float>(g), b(n, 0.f);
  const float lr = 0.05f, mom = 0.9f, wd = 0.01f;
  for (int step = 0; step < 3; ++step) {
    sgd_update_(p1, g, buf, {0.05, 0.9, 0.01, true});
    for (int64_t i = 0; i < n; ++i) {
      float d = gv[i] + wd * p[i];
      b[i] = b[i] * mom + d;
      d = d + mom * b[i];
      p[i] = p[i] + (-lr) * d;
    }
  }
  REQUIRE(bit_equal(p1, from_vector(p, {n})));
  REQUIRE(bit_equal(buf, from_vector(b, {n})));

  Tensor q = test::rand({n}, 12), m = zeros({n}), v = zeros({n});
  std::vector<float> qv = to_vector<float>(q), mv(n, 0.f), vv(n, 0.f);
  const double dlr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, dwd = 0.1;
  for (int t = 1; t <= 3; ++t) {
    adam_update_(q, g, m, v, {dlr, b1, b2, eps, dwd, false, t});
    const float step_size = static_cast<float>(dlr / (1 - std::pow(b1, t)));
    const float bc2 = static_cast<float>(std::sqrt(1 - std::pow(b2, t)));
    for (int64_t i = 0; i < n; ++i) {
      float gi = gv[i] + static_cast<float>(dwd) * qv[i];
      mv[i] = mv[i] * static_cast<float>(b1) + static_cast<float>(1 - b1) * gi;
      vv[i] = vv[i] * static_cast<float>(b2) + static_cast<float>(1 - b2) * gi * gi;
      float denom = std::sqrt(vv[i]) / bc2 + static_cast<float>(eps);
      qv[i] = qv[i] + (-step_size) * mv[i] / denom;
    }
  }
  REQUIRE(bit_equal(q, from_vector(qv, {n})));
  REQUIRE(bit_equal(m, from_vector(mv, {n})));
  REQUIRE(bit_equal(v, from_vector(vv, {n})));
}

TEST_CASE("optim: clip_grad_norm returns the global norm and scales the grads") {
  Tensor a = zeros({2}, DType::f64).set_requires_grad(), b = zeros({2, 1}, DType::f64).set_requires_grad();
  Tensor c = zeros({3}, DType::f64).set_requires_grad();  // no grad: skipped
  std::vector<NamedParam> ps{{"a", a}, {"b", b}, {"c", c}};
  set_grad(a, {3, 0});
  set_grad(b, {0, 4});
  SECTION("above max_norm: scaled by max_norm / (norm + 1e-6)") {
    REQUIRE(clip_grad_norm(ps, 1.0) == 5.0);
    const double coef = 1.0 / (5.0 + 1e-6);
    REQUIRE_CLOSE(a.grad(), from_vector<double>({3 * coef, 0}, {2}), 1e-16, 1e-15);
    REQUIRE_CLOSE(b.grad(), from_vector<double>({0, 4 * coef}, {2, 1}), 1e-16, 1e-15);
    REQUIRE(!c.grad().defined());
    // The clipped norm is just under max_norm.
    REQUIRE(clip_grad_norm(ps, 1.0) == Approx(1.0).epsilon(1e-6));
  }
  SECTION("below max_norm: unchanged") {
    REQUIRE(clip_grad_norm(ps, 10.0) == 5.0);
    REQUIRE(values(a.grad()) == std::vector<double>{3, 0});
    REQUIRE(values(b.grad()) == std::vector<double>{0, 4});
  }
  SECTION("float32 grads, many elements") {
    Tensor w = zeros({100, 10}).set_requires_grad();
    w.set_grad(test::rand({100, 10}, 13));
    std::vector<double> gv = values(w.grad());
    double sq = 0;
    for (double v : gv) sq += v * v;
    std::vector<NamedParam> wp{{"w", w}};
    REQUIRE(clip_grad_norm(wp, 0.5) == Approx(std::sqrt(sq)).epsilon(1e-6));  // float32 squares
    REQUIRE(clip_grad_norm(wp, 100.0) == Approx(0.5).epsilon(1e-6));
  }
  SECTION("no grads at all: norm 0") {
    std::vector<NamedParam> none{{"c", c}};
    REQUIRE(clip_grad_norm(none, 1.0) == 0.0);
  }
  SECTION("errors") {
    require_error([&] { clip_grad_norm(ps, 0); }, {"clip_grad_norm", "max_norm", "0"});
    require_error([&] { clip_grad_norm(ps, INFINITY); }, {"clip_grad_norm", "max_norm", "inf"});
  }
}

TEST_CASE("optim schedule: warm-up, constant, step and cosine values") {
  ScheduleOptions s;
  s.base_lr = 0.1;
  SECTION("constant, with and without warm-up") {
    REQUIRE(lr_at(s, 0) == 0.1);
    REQUIRE(lr_at(s, 1000) == 0.1);
    s.warmup_steps = 4;  // 0, 0.025, 0.05, 0.075, then 0.1
    REQUIRE(lr_at(s, 0) == 0.0);
    REQUIRE(lr_at(s, 1) == Approx(0.025).epsilon(1e-15));
    REQUIRE(lr_at(s, 3) == Approx(0.075).epsilon(1e-15));
    REQUIRE(lr_at(s, 4) == 0.1);
    REQUIRE(lr_at(s, 99) == 0.1);
  }
  SECTION("step: gamma every step_size steps after the warm-up") {
    s.kind = "step";
    s.step_size = 3;
    s.gamma = 0.5;
    REQUIRE(lr_at(s, 0) == 0.1);
    REQUIRE(lr_at(s, 2) == 0.1);
    REQUIRE(lr_at(s, 3) == 0.05);
    REQUIRE(lr_at(s, 6) == 0.025);
    REQUIRE(lr_at(s, 8) == 0.025);
    s.warmup_steps = 2;
    REQUIRE(lr_at(s, 1) == 0.05);
    REQUIRE(lr_at(s, 4) == 0.1);   // 2 steps after the warm-up
    REQUIRE(lr_at(s, 5) == 0.05);  // 3 steps after
  }
  SECTION("cosine: from base_lr at the end of warm-up to min_lr at total_steps") {
    s.kind = "cosine";
    s.total_steps = 10;
    s.min_lr = 0.01;
    REQUIRE(lr_at(s, 0) == 0.1);
    REQUIRE(lr_at(s, 5) == Approx(0.055).epsilon(1e-14));  // half way: the mean
    REQUIRE(lr_at(s, 10) == Approx(0.01).epsilon(1e-14));
    REQUIRE(lr_at(s, 50) == Approx(0.01).epsilon(1e-14));
    s.warmup_steps = 2;  // cosine over steps 2..10
    REQUIRE(lr_at(s, 1) == 0.05);
    REQUIRE(lr_at(s, 2) == 0.1);
    REQUIRE(lr_at(s, 6) == Approx(0.055).epsilon(1e-14));
    REQUIRE(lr_at(s, 4) == Approx(0.01 + 0.09 * 0.5 * (1 + std::cos(std::numbers::pi / 4))).epsilon(1e-14));
    s.warmup_steps = 20;  // longer than the run: warm-up, then min_lr
    REQUIRE(lr_at(s, 10) == Approx(0.05).epsilon(1e-15));
    REQUIRE(lr_at(s, 20) == 0.01);
    REQUIRE(lr_at(s, 25) == 0.01);
  }
  SECTION("errors name the field") {
    s.kind = "cosinus";
    require_error([&] { lr_at(s, 0); }, {"schedule", "\"cosinus\"", "constant", "step", "cosine"});
    s.kind = "step";
    s.step_size = 0;
    require_error([&] { lr_at(s, 0); }, {"schedule", "step_size", "0"});
    s.step_size = 1;
    s.gamma = -1;
    require_error([&] { lr_at(s, 0); }, {"schedule", "gamma", "-1"});
    s.kind = "cosine";
    s.total_steps = 0;
    require_error([&] { lr_at(s, 0); }, {"schedule", "total_steps", "0"});
    s.total_steps = 5;
    s.warmup_steps = -1;
    require_error([&] { lr_at(s, 0); }, {"schedule", "warmup_steps", "-1"});
    s.warmup_steps = 0;
    s.min_lr = 0.5;
    require_error([&] { lr_at(s, 0); }, {"schedule", "min_lr", "0.5"});
    s.min_lr = 0;
    s.base_lr = -0.1;
    require_error([&] { lr_at(s, 0); }, {"schedule", "base_lr", "-0.1"});
    s.base_lr = 0.1;
    require_error([&] { lr_at(s, -2); }, {"schedule", "step", "-2"});
  }
}
