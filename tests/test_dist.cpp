// Data-parallel pieces (train/dist/, layers/batch_norm_sync, the autograd hook) in one process:
// the fixed summation order, the loader's shards, the one-process communicator, config differences, the gradient-ready
// hook, the gradient reducer with one process, sync batch norm against the fused kernel.
// Their multi-process side: tests/test_dist_mpi.cpp, run under mpirun by tests/dist_test.sh.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "layers/batch_norm_sync.h"
#include "tests/helpers.h"
#include "train/dist/communicator.h"
#include "train/dist/data_parallel.h"
#include "train/dist/grad_reducer.h"
#include "train/data/loader.h"

using namespace oc;

TEST_CASE("dist: sums go in rank order, so the order is part of the result") {
  // (1e8 + -1e8) + 1 = 1, but (1 + 1e8) + -1e8 = 0 in float32: 1e8 + 1 rounds back to 1e8.
  const float a[] = {1e8f}, b[] = {-1e8f}, c[] = {1.0f};
  float out = -7;
  sum_in_rank_order<float>({a, b, c}, 1, &out);
  REQUIRE(out == 1.0f);
  sum_in_rank_order<float>({c, a, b}, 1, &out);
  REQUIRE(out == 0.0f);
  // Several elements, int64: plain sums.
  const int64_t x[] = {1, -2, 3}, y[] = {10, 20, 30};
  int64_t s[3];
  sum_in_rank_order<int64_t>({x, y}, 3, s);
  REQUIRE((s[0] == 11 && s[1] == 18 && s[2] == 33));
}

TEST_CASE("dist: the one-process communicator leaves data alone and gathers itself") {
  SingleProcessCommunicator c;
  REQUIRE(c.rank() == 0);
  REQUIRE(c.size() == 1);
  Generator gen(11);
  Tensor t = normal({3, 4}, 0, 1, &gen);
  const std::vector<float> before = to_vector<float>(t);
  c.all_reduce_sum(t);
  c.broadcast(t, 0);
  REQUIRE(to_vector<float>(t) == before);
  std::string s = "abc";
  c.broadcast(s, 0);
  REQUIRE(s == "abc");
  REQUIRE(c.all_gather("mine") == std::vector<std::string>{"mine"});
  REQUIRE(c.duplicate()->size() == 1);
}

TEST_CASE("dist: without a launcher's environment a process is a one-process run") {
  if (launcher_world_size() > 1) test::skip_test("started by a launcher (mpirun)");
  std::shared_ptr<Communicator> c = start_communicator();
  REQUIRE(c->size() == 1);
  REQUIRE(std::string(c->backend()) == "one process");
}

TEST_CASE("dist: the first config difference is named as a dotted key with both values") {
  const json a = json::parse(R"({"train": {"optimizer": {"lr": 0.1}}, "model": {"layers": [{"out_channels": 8}]}})");
  json b = a;
  REQUIRE(first_config_difference(a, b).empty());
  b["train"]["optimizer"]["lr"] = 0.05;
  REQUIRE(first_config_difference(a, b) == "train.optimizer.lr (0.1 against 0.05)");
  b = a;
  b["model"]["layers"][0]["out_channels"] = 16;
  REQUIRE(first_config_difference(a, b) == "model.layers[0].out_channels (8 against 16)");
  b = a;
  b["data"] = {{"batch_size", 32}};
  REQUIRE(first_config_difference(a, b) == "data (absent against {\"batch_size\":32})");
  b = a;
  b["train"]["a/b~c"] = 1;  // JSON pointer escapes undone
  REQUIRE(first_config_difference(a, b) == "train.a/b~c (absent against 1)");
}

TEST_CASE("dist: the gradient-ready hook sees each leaf once, its gradient complete") {
  Generator gen(5);
  Tensor a = normal({4}, 0, 1, &gen).set_requires_grad(), b = normal({4}, 0, 1, &gen).set_requires_grad(),
         c = normal({4}, 0, 1, &gen);
  // a feeds two products: its gradient is b + c only once both are summed in.
  Tensor loss = sum(add(mul(a, b), mul(a, c)));
  std::map<const void*, int> calls;
  std::map<const void*, std::vector<float>> seen;
  {
    GradReadyHookGuard hook([&](const Tensor& leaf) {
      calls[leaf.impl_ptr().get()]++;
      seen[leaf.impl_ptr().get()] = to_vector<float>(leaf.grad());
    });
    loss.backward();
  }
  REQUIRE(calls.size() == 2);
  REQUIRE(calls[a.impl_ptr().get()] == 1);
  REQUIRE(calls[b.impl_ptr().get()] == 1);
  REQUIRE(seen[a.impl_ptr().get()] == to_vector<float>(a.grad()));
  REQUIRE(to_vector<float>(a.grad()) == to_vector<float>(add(b, c)));
  // The guard's scope ended: a later backward calls no hook.
  Tensor again = sum(mul(a, b));
  a.zero_grad();
  again.backward();
  REQUIRE(calls[a.impl_ptr().get()] == 1);
}

TEST_CASE("dist: the reducer's buckets follow reverse model order and the size limit") {
  Generator gen(9);
  std::vector<NamedParam> params;
  for (int64_t n : {200, 10, 300, 5, 1000})  // float32: 800, 40, 1200, 20, 4000 bytes
    params.push_back({"p" + std::to_string(params.size()), normal({n}, 0, 1, &gen).set_requires_grad()});
  SingleProcessCommunicator c;
  GradientReducer r(c, params, 1000);
  // Reverse order p4 p3 p2 p1 p0; a bucket closes once it holds 1000 bytes or more: 4000 | 20 + 1200 | 40 + 800.
  REQUIRE(r.buckets() == std::vector<std::vector<size_t>>{{4}, {3, 2}, {1, 0}});
  // With one process, backward is the plain one.
  Tensor loss = sum(mul(params[0].param, params[0].param));
  r.backward(loss);
  REQUIRE(to_vector<float>(params[0].param.grad()) == to_vector<float>(mul(params[0].param.detach(), 2.0)));
  REQUIRE(!params[1].param.grad().defined());
}

TEST_CASE("dist: sync batch norm over one process equals the fused batch norm, gradients and running stats too") {
  for (bool relu : {false, true}) {
    INFO("relu " << relu);
    Generator gen(21);
    const Tensor x0 = normal({6, 3, 5, 4}, 0.7, 2.0, &gen), w0 = normal({3}, 1, 0.3, &gen), b0 = normal({3}, 0, 0.5, &gen);
    const Tensor dy = normal({6, 3, 5, 4}, 0, 1, &gen);
    auto run = [&](bool sync, Tensor& rm, Tensor& rv, std::vector<Tensor>& grads) {
      Tensor x = clone(x0).set_requires_grad(), w = clone(w0).set_requires_grad(), b = clone(b0).set_requires_grad();
      rm = full({3}, 0.2), rv = full({3}, 1.5);
      const ProcessSum identity = [](const Tensor& t) { return t; };
      Tensor y = sync ? sync_batch_norm(x, w, b, rm, rv, 0.1, 1e-5, relu, identity)
                      : (relu ? batch_norm_relu(x, w, b, rm, rv, true, 0.1, 1e-5) : batch_norm(x, w, b, rm, rv, true, 0.1, 1e-5));
      sum(mul(y, dy)).backward();
      grads = {y.detach(), x.grad(), w.grad(), b.grad()};
    };
    Tensor rm1, rv1, rm2, rv2;
    std::vector<Tensor> fused, synced;
    run(false, rm1, rv1, fused);
    run(true, rm2, rv2, synced);
    for (size_t i = 0; i < fused.size(); ++i) {
      INFO("output/gradient " << i);
      REQUIRE_CLOSE(synced[i], fused[i], 2e-5, 2e-5);
    }
    REQUIRE_CLOSE(rm2, rm1, 1e-6, 1e-6);
    REQUIRE_CLOSE(rv2, rv1, 1e-6, 1e-6);
  }
}

TEST_CASE("dist: sync batch norm refuses a single value per channel") {
  const ProcessSum identity = [](const Tensor& t) { return t; };
  Tensor x = full({1, 2, 1, 1}, 3.0);
  test::require_error([&] { sync_batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), 0.1, 1e-5, false, identity); },
                      {"more than one value per channel", "got 1"});
}

TEST_CASE("dist: shards take every shard_count-th position, padded by wrapping for training") {
  const std::vector<int64_t> order{5, 3, 9, 1, 7};
  using V = std::vector<int64_t>;
  // Two shards, padded to 6 positions: the sixth wraps to the first sample.
  REQUIRE(DataLoader::shard_order(order, 0, 2, true) == V{5, 9, 7});
  REQUIRE(DataLoader::shard_order(order, 1, 2, true) == V{3, 1, 5});
  // Unpadded (evaluation): every sample once.
  REQUIRE(DataLoader::shard_order(order, 0, 2, false) == V{5, 9, 7});
  REQUIRE(DataLoader::shard_order(order, 1, 2, false) == V{3, 1});
  REQUIRE(DataLoader::shard_order(order, 2, 3, true) == V{9, 5});
  // Fewer samples than shards: padding wraps as often as needed.
  REQUIRE(DataLoader::shard_order({4, 2}, 2, 3, true) == V{4});
  REQUIRE(DataLoader::shard_order({4, 2}, 2, 3, false).empty());
  REQUIRE(DataLoader::shard_order(order, 0, 1, true) == order);
}

TEST_CASE("dist: two shards' batches together are the one-process batch of twice the size") {
  // 24 images whose labels are their indices; batch 3 per shard against 6 unsharded.
  const int64_t n = 24;
  std::vector<int64_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = i;
  ImageDataset ds;
  ds.images = zeros({n, 1, 2, 2}, DType::u8);
  ds.labels = from_vector(ids, {n});
  ds.num_classes = n;
  LoaderOptions one;
  one.batch_size = 6, one.seed = 13, one.workers = 1;
  LoaderOptions shard = one;
  shard.batch_size = 3, shard.shard_count = 2;
  DataLoader whole(ds, one);
  shard.shard_index = 0;
  DataLoader s0(ds, shard);
  shard.shard_index = 1;
  DataLoader s1(ds, shard);
  REQUIRE(s0.batches_per_epoch() == whole.batches_per_epoch());
  REQUIRE(s0.shard_samples() == 12);
  for (int64_t epoch : {0, 3}) {
    whole.start_epoch(epoch), s0.start_epoch(epoch), s1.start_epoch(epoch);
    Batch a, b, c;
    int64_t batches = 0;
    while (whole.next(a)) {
      REQUIRE(s0.next(b));
      REQUIRE(s1.next(c));
      std::vector<int64_t> ab = to_vector<int64_t>(a.labels), bb = to_vector<int64_t>(b.labels),
                           cb = to_vector<int64_t>(c.labels);
      std::set<int64_t> want(ab.begin(), ab.end()), got(bb.begin(), bb.end());
      got.insert(cb.begin(), cb.end());
      REQUIRE(got == want);
      REQUIRE(got.size() == 6);
      ++batches;
    }
    REQUIRE(!s0.next(b));
    REQUIRE(batches == 4);
  }
  // An odd count: both shards still have the same number of batches (one sample repeated).
  ds.images = zeros({n - 1, 1, 2, 2}, DType::u8);
  ds.labels = slice(ds.labels, 0, 0, n - 1);
  shard.shard_index = 1;
  DataLoader odd(ds, shard);
  REQUIRE(odd.shard_samples() == 12);
  REQUIRE(odd.batches_per_epoch() == 4);
  LoaderOptions bad = shard;
  bad.shard_index = 2;
  test::require_error([&] { DataLoader x(ds, bad); }, {"shard 2 of 2 does not exist"});
}
