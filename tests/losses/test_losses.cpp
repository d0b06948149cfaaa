// Losses by hand: cross_entropy is nll_loss of log_softmax, hand-computed edge conventions, edge
// shapes and the error messages. The forward against reference loops for every option, the float64
// gradients, PyTorch's numbers and CUDA parity come from the case table, losses_cases.cpp.
#include <catch2/catch.hpp>

#include <cmath>

#include "losses/losses.h"
#include "tests/helpers.h"
#include "tests/losses/loss_targets.h"

using namespace oc;

namespace {


using test::random_targets;

const Reduction kReductions[] = {Reduction::none, Reduction::mean, Reduction::sum};

using test::require_error;

}  // namespace

TEST_CASE("losses: cross_entropy is nll_loss of log_softmax") {
  for (const Shape& shape : {Shape{6, 5}, Shape{2, 5, 3, 2}}) {
    Shape tshape = shape;
    tshape.erase(tshape.begin() + 1);
    Tensor target = random_targets(tshape, shape[1], 23, true, -100);
    Tensor logits = test::rand(shape, 24, -2, 2, DType::f64);
    for (bool weighted : {false, true})
      for (Reduction r : kReductions) {
        INFO(shape_str(shape) << " weighted " << weighted << " reduction " << reduction_name(r));
        CrossEntropyOptions o;
        if (weighted) o.weight = test::rand({shape[1]}, 22, 0.2, 2.0, DType::f64);
        o.reduction = r;
        REQUIRE_CLOSE(cross_entropy(logits, target, o), nll_loss(log_softmax(logits, 1), target, o), 1e-13, 1e-13);
      }
  }
}

TEST_CASE("losses: hand-computed values and edge conventions") {
  SECTION("uniform logits give log C; the gradient is softmax - onehot over N") {
    Tensor x = zeros({2, 4}, DType::f64).set_requires_grad();
    Tensor t = from_vector<int64_t>({1, 3}, {2});
    Tensor loss = cross_entropy(x, t);
    REQUIRE(item<double>(loss) == Approx(std::log(4.0)).epsilon(1e-15));
    loss.backward();
    REQUIRE_CLOSE(x.grad(), from_vector<double>({0.125, -0.375, 0.125, 0.125, 0.125, 0.125, 0.125, -0.375}, {2, 4}),
                  1e-15, 0);
  }
  SECTION("mean divides by the summed weights of the kept targets") {
    // Two kept targets with weights 2 and 0.5, one ignored: mean = (2 l0 + 0.5 l1) / 2.5.
    Tensor x = from_vector<double>({1, 2, 3, 0, 0, 0, 5, 1, 1}, {3, 3});
    Tensor t = from_vector<int64_t>({2, 0, -1}, {3});
    CrossEntropyOptions o;
    o.weight = from_vector<double>({0.5, 1, 2}, {3});
    o.ignore_index = -1;
    const double l0 = -(3 - std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0))), l1 = std::log(3.0);
    REQUIRE(item<double>(cross_entropy(x, t, o)) == Approx((2 * l0 + 0.5 * l1) / 2.5).epsilon(1e-14));
    o.reduction = Reduction::none;
    REQUIRE_CLOSE(cross_entropy(x, t, o), from_vector<double>({2 * l0, 0.5 * l1, 0}, {3}), 1e-14, 1e-14);
  }
  SECTION("every target ignored: mean is NaN (0/0, as PyTorch), sum is 0, gradient 0") {
    Tensor x = test::rand({3, 2}, 61, -1, 1, DType::f64).set_requires_grad();
    Tensor t = full({3}, -100, DType::i64);
    REQUIRE(std::isnan(item<double>(cross_entropy(x, t))));
    CrossEntropyOptions o;
    o.reduction = Reduction::sum;
    Tensor loss = cross_entropy(x, t, o);
    REQUIRE(item<double>(loss) == 0);
    loss.backward();
    REQUIRE_CLOSE(x.grad(), zeros({3, 2}, DType::f64), 0, 0);
  }
  SECTION("ignored rows may hold -inf log-probabilities (nll_loss)") {
    Tensor lp = from_vector<double>({-INFINITY, 0, std::log(0.25), std::log(0.75)}, {2, 2}).set_requires_grad();
    Tensor t = from_vector<int64_t>({-100, 1}, {2});
    Tensor loss = nll_loss(lp, t);
    REQUIRE(item<double>(loss) == Approx(-std::log(0.75)).epsilon(1e-15));
    loss.backward();
    REQUIRE_CLOSE(lp.grad(), from_vector<double>({0, 0, 0, -1}, {2, 2}), 0, 0);
  }
  SECTION("empty batch: mean NaN, sum 0, none empty") {
    Tensor x = zeros({0, 3}), t = zeros({0}, DType::i64);
    REQUIRE(std::isnan(item<double>(cross_entropy(x, t))));
    CrossEntropyOptions o;
    o.reduction = Reduction::sum;
    REQUIRE(item<double>(cross_entropy(x, t, o)) == 0);
    o.reduction = Reduction::none;
    REQUIRE(cross_entropy(x, t, o).shape() == Shape{0});
    REQUIRE(std::isnan(item<double>(mse_loss(zeros({0, 2}), zeros({0, 2})))));
  }
  SECTION("non-contiguous logits") {
    Tensor base = test::rand({4, 6}, 62, -2, 2, DType::f64);
    Tensor x = transpose(base, 0, 1);  // [6, 4], strided
    Tensor t = random_targets({6}, 4, 63, true, -100);
    CrossEntropyOptions o;
    o.label_smoothing = 0.1;
    REQUIRE_CLOSE(cross_entropy(x, t, o), cross_entropy(contiguous(x), t, o), 0, 0);
  }
  SECTION("1x1 spatial and a single class") {
    Tensor x = test::rand({2, 3, 1, 1}, 64, -1, 1, DType::f64);
    Tensor t = from_vector<int64_t>({2, 0}, {2, 1, 1});
    REQUIRE_CLOSE(cross_entropy(x, t), cross_entropy(reshape(x, {2, 3}), reshape(t, {2})), 1e-15, 0);
    Tensor one = test::rand({3, 1}, 65, -1, 1, DType::f64);
    REQUIRE(item<double>(cross_entropy(one, zeros({3}, DType::i64))) == 0);
  }
  SECTION("bce_with_logits stays finite for large logits") {
    Tensor x = from_vector<double>({100, -100, 100, -100, 0}, {5}).set_requires_grad();
    Tensor t = from_vector<double>({1, 1, 0, 0, 1}, {5});
    Tensor loss = bce_with_logits(x, t, Reduction::none);
    REQUIRE_CLOSE(loss, from_vector<double>({0, 100, 100, 0, std::log(2.0)}, {5}), 1e-15, 1e-15);
    sum(loss).backward();  // sigmoid(x) - t
    REQUIRE_CLOSE(x.grad(), from_vector<double>({0, -1, 1, 0, -0.5}, {5}), 1e-15, 1e-15);
    Tensor xf = from_vector<float>({1e4f, -1e4f}, {2});
    REQUIRE_CLOSE(bce_with_logits(xf, from_vector<float>({0, 1}, {2}), Reduction::none),
                  from_vector<float>({1e4f, 1e4f}, {2}), 0, 1e-7);
  }
  SECTION("smooth_l1 at the seam and l1 at zero follow PyTorch's gradients") {
    Tensor x = from_vector<double>({1.0, -1.0, 0.5, 0.0}, {4}).set_requires_grad();
    Tensor y = zeros({4}, DType::f64);
    Tensor loss = smooth_l1_loss(x, y, 1.0, Reduction::sum);
    REQUIRE(item<double>(loss) == Approx(0.5 + 0.5 + 0.125).epsilon(1e-15));
    loss.backward();
    REQUIRE_CLOSE(x.grad(), from_vector<double>({1, -1, 0.5, 0}, {4}), 0, 0);
    Tensor x2 = zeros({2}, DType::f64).set_requires_grad();
    l1_loss(x2, zeros({2}, DType::f64), Reduction::sum).backward();
    REQUIRE_CLOSE(x2.grad(), zeros({2}, DType::f64), 0, 0);
  }
  SECTION("parse_reduction") {
    REQUIRE(parse_reduction("none") == Reduction::none);
    REQUIRE(parse_reduction("mean") == Reduction::mean);
    REQUIRE(parse_reduction("sum") == Reduction::sum);
    require_error([] { parse_reduction("avg"); }, {"reduction", "\"avg\""});
    REQUIRE(std::string(reduction_name(Reduction::sum)) == "sum");
  }
}

TEST_CASE("losses: errors name the loss and the offending shapes, dtypes and indices") {
  Tensor x = test::rand({4, 3}, 71);
  Tensor t = from_vector<int64_t>({0, 1, 2, 1}, {4});
  require_error([&] { cross_entropy(x, from_vector<int64_t>({0, 1, 2}, {3})); },
                {"cross_entropy", "target [3]", "logits [4, 3]", "expected target [4]"});
  require_error([&] { cross_entropy(x, to(t, DType::f32)); }, {"cross_entropy", "target must be int64", "float32"});
  require_error([&] { cross_entropy(x, from_vector<int64_t>({0, 7, 2, 1}, {4})); },
                {"cross_entropy", "target class index 7", "C = 3", "logits [4, 3]"});
  require_error([&] { cross_entropy(x, from_vector<int64_t>({0, -3, 2, 1}, {4})); },
                {"cross_entropy", "target class index -3"});
  {
    CrossEntropyOptions o;
    o.weight = ones({5});
    require_error([&] { cross_entropy(x, t, o); }, {"cross_entropy", "weight [5]", "C = 3", "logits [4, 3]"});
    o.weight = ones({3}, DType::f64);
    require_error([&] { cross_entropy(x, t, o); }, {"cross_entropy", "weight", "same dtype"});
  }
  {
    CrossEntropyOptions o;
    o.label_smoothing = 1.5;
    require_error([&] { cross_entropy(x, t, o); }, {"cross_entropy", "label_smoothing", "1.5"});
    o.label_smoothing = 0.1;
    require_error([&] { nll_loss(log_softmax(x, 1), t, o); }, {"nll_loss", "label_smoothing must be 0"});
  }
  require_error([&] { cross_entropy(test::rand({4}, 72), t); }, {"cross_entropy", "logits [4]", "[N, C]"});
  require_error([&] { cross_entropy(test::rand({2, 3, 4}, 73), from_vector<int64_t>({0, 1}, {2})); },
                {"cross_entropy", "target [2]", "logits [2, 3, 4]", "expected target [2, 4]"});
  require_error([&] { nll_loss(x, from_vector<int64_t>({0, 1, 2, 5}, {4})); }, {"nll_loss", "index 5"});
  require_error([&] { mse_loss(x, test::rand({3, 4}, 74)); }, {"mse_loss", "target [3, 4]", "input [4, 3]"});
  require_error([&] { l1_loss(x, test::rand({4, 3}, 75, -1, 1, DType::f64)); }, {"l1_loss", "same dtype"});
  require_error([&] { smooth_l1_loss(x, x, -1.0); }, {"smooth_l1_loss", "beta", "-1"});
  require_error([&] { bce_with_logits(x, test::rand({4, 1}, 76)); }, {"bce_with_logits", "target [4, 1]", "logits [4, 3]"});
  require_error([&] { bce_with_logits(x, x, Reduction::mean, ones({2})); },
                {"bce_with_logits", "pos_weight [2]", "target [4, 3]"});
}
