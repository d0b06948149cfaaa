// The multi-process side of train/dist/, run by tests/dist_test.sh as
// `mpirun -np 3 ocellus_tests "[.mpi]"`: hidden from ordinary runs, and tagged may_skip, which the
// one-process runs of make test-sanitize / test-emulated leave out (without a launcher they exit
// 77). Three processes, so that sums split into uneven chunks and the rank order has a middle. Every process
// can make every process's inputs (seeded by rank), so each checks its result against the
// one-process computation exactly where the order is fixed, within float tolerance elsewhere.
#include <catch2/catch.hpp>

#include <cstring>
#include <thread>

#include "layers/batch_norm_sync.h"
#include "tests/helpers.h"
#include "train/dist/communicator.h"
#include "train/dist/data_parallel.h"
#include "train/dist/grad_reducer.h"

using namespace oc;

namespace {

Communicator& world() {
  if (launcher_world_size() < 2) test::skip_test("these tests need mpirun with 2 or more processes (tests/dist_test.sh)");
  static const std::shared_ptr<Communicator> c = [] {
    std::shared_ptr<Communicator> w = start_communicator();
    w->set_timeout(60);  // a failed check on one process must not leave the others waiting for long
    return w;
  }();
  return *c;
}

template <class T>
std::vector<T> values_of(int rank, int64_t n, uint64_t seed) {
  Generator gen(seed * 100 + static_cast<uint64_t>(rank));
  // Magnitudes from 1e-3 to 1e3, so that the order of a float sum shows in its last bits.
  Tensor v = mul(normal({n}, 0, 1, &gen, DType::f64), exp(uniform({n}, -7, 7, &gen, DType::f64)));
  if constexpr (std::is_same_v<T, int64_t>) return to_vector<int64_t>(mul(v, 1e6));
  else return to_vector<T>(v);
}

template <class T>
void check_sum(int64_t n) {
  Communicator& c = world();
  std::vector<std::vector<T>> all;
  std::vector<const T*> parts;
  for (int r = 0; r < c.size(); ++r) all.push_back(values_of<T>(r, n, 7));
  for (auto& v : all) parts.push_back(v.data());
  std::vector<T> want(static_cast<size_t>(n)), mine = all[static_cast<size_t>(c.rank())];
  sum_in_rank_order(parts, n, want.data());
  c.all_reduce_sum(mine.data(), n);
  REQUIRE(std::memcmp(mine.data(), want.data(), sizeof(T) * static_cast<size_t>(n)) == 0);
}

}  // namespace

TEST_CASE("dist mpi: sums are the rank-order sums, bit for bit, on every process", "[.mpi][may_skip]") {
  for (int64_t n : {1, 2, 7, 1000, 100003}) {
    INFO("n " << n);
    check_sum<float>(n);
    check_sum<double>(n);
    check_sum<int64_t>(n);
  }
}

TEST_CASE("dist mpi: broadcasts from any root, gathers of uneven strings, a barrier", "[.mpi][may_skip]") {
  Communicator& c = world();
  const int root = 1;
  Generator gen(3 + static_cast<uint64_t>(c.rank()));
  Tensor t = normal({17, 3}, 0, 1, &gen);
  Generator root_gen(3 + root);
  const std::vector<float> roots = to_vector<float>(normal({17, 3}, 0, 1, &root_gen));
  c.broadcast(t, root);
  REQUIRE(to_vector<float>(t) == roots);
  std::string s = c.rank() == c.size() - 1 ? "from the last rank" : "";
  c.broadcast(s, c.size() - 1);
  REQUIRE(s == "from the last rank");
  const std::vector<std::string> got = c.all_gather(std::string(static_cast<size_t>(c.rank()) * 3, 'x') + "|");
  REQUIRE(static_cast<int>(got.size()) == c.size());
  for (int r = 0; r < c.size(); ++r) REQUIRE(got[static_cast<size_t>(r)] == std::string(static_cast<size_t>(r) * 3, 'x') + "|");
  c.barrier();
}

TEST_CASE("dist mpi: a duplicate communicator runs collectives beside the original, on another thread", "[.mpi][may_skip]") {
  Communicator& c = world();
  std::unique_ptr<Communicator> dup = c.duplicate();
  const int64_t n = c.size(), rank_sum = n * (n - 1) / 2;
  bool thread_ok = true;
  std::thread other([&] {
    for (int i = 0; i < 50; ++i) {
      int64_t v[2] = {c.rank(), i};
      dup->all_reduce_sum(v, 2);
      thread_ok = thread_ok && v[0] == rank_sum && v[1] == i * n;
    }
  });
  for (int i = 0; i < 50; ++i) {
    double v[1] = {0.5 * c.rank()};
    c.all_reduce_sum(v, 1);
    REQUIRE(v[0] == 0.5 * static_cast<double>(rank_sum));
  }
  other.join();
  REQUIRE(thread_ok);
}

TEST_CASE("dist mpi: the reducer averages every process's gradients in rank order, unused ones stay unset", "[.mpi][may_skip]") {
  Communicator& c = world();
  // Parameters equal everywhere; "only0" gets a gradient on rank 0 alone, "unused" on none.
  auto make_params = [] {
    Generator gen(17);
    std::vector<NamedParam> p;
    p.push_back({"w", normal({5, 4}, 0, 1, &gen).set_requires_grad()});
    p.push_back({"b", normal({5}, 0, 1, &gen).set_requires_grad()});
    p.push_back({"only0", normal({2}, 0, 1, &gen).set_requires_grad()});
    p.push_back({"unused", normal({3}, 0, 1, &gen).set_requires_grad()});
    return p;
  };
  auto loss_of = [](const std::vector<NamedParam>& p, int rank) {
    Generator gen(500 + static_cast<uint64_t>(rank));
    Tensor x = normal({6, 4}, 0, 1, &gen);
    Tensor y = add(matmul(x, transpose(p[0].param, 0, 1)), p[1].param);
    Tensor loss = mul(sum(mul(y, y)), 0.01);
    if (rank == 0) loss = add(loss, sum(mul(p[2].param, 3.0)));
    return loss;
  };
  // Every process's local gradients, made here, then averaged as the reducer must: rank order, then * 1/N.
  std::vector<std::vector<std::vector<float>>> local(3);  // [param][rank] values
  for (int q = 0; q < c.size(); ++q) {
    std::vector<NamedParam> p = make_params();
    loss_of(p, q).backward();
    for (size_t k = 0; k < 3; ++k)
      local[k].push_back(p[k].param.grad().defined() ? to_vector<float>(p[k].param.grad())
                                                     : std::vector<float>(static_cast<size_t>(p[k].param.numel()), 0.f));
  }
  std::vector<NamedParam> p = make_params();
  GradientReducer reducer(c, p, 16);  // 16 bytes: unused + only0 (20 bytes) | b | w
  REQUIRE(reducer.buckets() == std::vector<std::vector<size_t>>{{3, 2}, {1}, {0}});
  for (int step = 0; step < 2; ++step) {  // the second step reuses the buckets
    for (NamedParam& q : p) q.param.zero_grad();
    reducer.backward(loss_of(p, c.rank()));
    for (size_t k = 0; k < 3; ++k) {
      INFO("parameter " << p[k].name << ", step " << step);
      std::vector<const float*> parts;
      for (auto& v : local[k]) parts.push_back(v.data());
      std::vector<float> want(local[k][0].size());
      sum_in_rank_order(parts, static_cast<int64_t>(want.size()), want.data());
      for (float& v : want) v = static_cast<float>(v * (1.0 / c.size()));
      REQUIRE(p[k].param.grad().defined());
      REQUIRE(to_vector<float>(p[k].param.grad()) == want);
    }
    REQUIRE(!p[3].param.grad().defined());
  }
  REQUIRE(reducer.timing().steps == 2);
}

TEST_CASE("dist mpi: sync batch norm over the processes equals batch norm over the whole batch", "[.mpi][may_skip]") {
  Communicator& c = world();
  const int64_t per = 4, N = per * c.size(), r = c.rank();
  Generator gen(41);  // the same whole batch on every process
  const Tensor x_all = normal({N, 3, 5, 5}, 1.5, 2.0, &gen), dy_all = normal({N, 3, 5, 5}, 0, 1, &gen);
  const Tensor w0 = normal({3}, 1, 0.2, &gen), b0 = normal({3}, 0, 0.5, &gen);
  for (bool relu : {false, true}) {
    INFO("relu " << relu);
    // The whole batch in one process.
    Tensor x = clone(x_all).set_requires_grad(), w = clone(w0).set_requires_grad(), b = clone(b0).set_requires_grad();
    Tensor rm = zeros({3}), rv = ones({3});
    Tensor y = relu ? batch_norm_relu(x, w, b, rm, rv, true, 0.1, 1e-5) : batch_norm(x, w, b, rm, rv, true, 0.1, 1e-5);
    sum(mul(y, dy_all)).backward();
    // This process's part, statistics over all.
    Tensor xp = contiguous(slice(x_all, 0, r * per, (r + 1) * per)).set_requires_grad();
    Tensor wp = clone(w0).set_requires_grad(), bp = clone(b0).set_requires_grad();
    Tensor rmp = zeros({3}), rvp = ones({3});
    const ProcessSum over_all = [&c](const Tensor& t) { return process_sum(c, t); };
    Tensor yp = sync_batch_norm(xp, wp, bp, rmp, rvp, 0.1, 1e-5, relu, over_all);
    sum(mul(yp, slice(dy_all, 0, r * per, (r + 1) * per))).backward();
    REQUIRE_CLOSE(yp, slice(y, 0, r * per, (r + 1) * per), 2e-5, 2e-5);
    REQUIRE_CLOSE(xp.grad(), slice(x.grad(), 0, r * per, (r + 1) * per), 2e-5, 2e-5);
    // The parameter gradients are split over the processes; their sum is the whole batch's.
    Tensor gw = contiguous(wp.grad()), gb = contiguous(bp.grad());
    c.all_reduce_sum(gw);
    c.all_reduce_sum(gb);
    REQUIRE_CLOSE(gw, w.grad(), 1e-4, 1e-5);
    REQUIRE_CLOSE(gb, b.grad(), 1e-4, 1e-5);
    REQUIRE_CLOSE(rmp, rm, 1e-6, 1e-6);
    REQUIRE_CLOSE(rvp, rv, 1e-6, 1e-6);
  }
}

TEST_CASE("dist mpi: processes with another config or other parameters are refused, naming the difference", "[.mpi][may_skip]") {
  Communicator& c = world();
  DistributedSettings settings;
  settings.timeout_s = 60;
  DataParallel dp(std::shared_ptr<Communicator>(&c, [](Communicator*) {}), settings);
  Generator gen(2);
  std::vector<NamedParam> params{{"fc.weight", normal({10, 4}, 0, 1, &gen)}};
  json setup = {{"config", {{"train", {{"optimizer", {{"lr", 0.1}}}}}}}, {"resume", false}, {"device", "cpu"}};
  dp.check_same_setup(setup, params);  // all equal: no error
  json other = setup;
  if (c.rank() == 1) other["config"]["train"]["optimizer"]["lr"] = 0.05;
  test::require_error([&] { dp.check_same_setup(other, params); },
                      {"rank 1's setup differs from rank 0's at train.optimizer.lr (0.1 against 0.05)"});
  std::vector<NamedParam> mine = params;
  if (c.rank() == c.size() - 1) mine[0].param = normal({10, 3}, 0, 1, &gen);
  test::require_error([&] { dp.check_same_setup(setup, mine); },
                      {"rank 0 trains parameter \"fc.weight [10, 4] float32\"", "fc.weight [10, 3] float32"});
}
