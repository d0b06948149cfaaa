// The copy bandwidth that memory-bound benchmarks report their fraction of, --json output, and the
// benchmark shapes from the op case tables (see bench_common.h).
#include "tools/bench_common.h"

#include <cstdio>
#include <fstream>

#include "core/timing.h"
#include "kernels/ops.h"

namespace oc::cli {

double copy_bandwidth_gbs(Device dev) {
  const int64_t n = int64_t(64) << 20;  // 256 MB of float32
  Generator g(5);
  Tensor src = uniform({n}, -1, 1, &g, DType::f32, dev), dst = Tensor::empty({n}, DType::f32, dev);
  const double ms = median(time_runs_ms(dev, [&] { copy_(dst, src); }, 2, 10));
  return 2.0 * n * 4 / (ms * 1e6);
}

void write_bench_json(const std::string& path, const nlohmann::json& results, const std::string& bench) {
  if (path.empty()) return;
  std::ofstream f(path);
  OC_CHECK(f.good(), "bench ", bench, ": cannot write ", path);
  f << results.dump(2) << "\n";
  std::printf("wrote %s\n", path.c_str());
}

std::vector<test::OpCase> bench_cases(const std::string& op) {
  std::vector<test::OpCase> v;
  for (const test::OpCase& c : test::op_cases_of(op))
    if (c.bench) v.push_back(c);
  OC_CHECK(!v.empty(), "bench ", op, ": no benchmark cases in the op case tables (tests/kernels/*/*_cases.cpp)");
  return v;
}

void print_bench_cases(const std::vector<std::string>& ops) {
  for (const std::string& op : ops)
    for (const test::OpCase& c : bench_cases(op)) std::printf("%s\n", c.name().c_str());
}

}  // namespace oc::cli
