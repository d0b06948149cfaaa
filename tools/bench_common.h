// Helpers shared by the `ocellus bench` benchmarks.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "core/device.h"
#include "tests/op_cases.h"

namespace oc::cli {

// GB/s of a large contiguous copy on `dev` (256 MB of float32, read + write counted): the ceiling
// the memory-bound passes are held against, measured in the same run.
double copy_bandwidth_gbs(Device dev);

// --json: writes a benchmark's results to `path` (nothing when empty); an unwritable path is an
// error naming the benchmark and the path.
void write_bench_json(const std::string& path, const nlohmann::json& results, const std::string& bench);

// The rows of the op case tables (tests/kernels/<family>/<family>_cases.cpp) marked as benchmark
// shapes of `op`; none is an error naming the op.
std::vector<test::OpCase> bench_cases(const std::string& op);

// `ocellus bench <op> ... --cases`: prints the benchmark cases of each op, one name a line.
void print_bench_cases(const std::vector<std::string>& ops);

}  // namespace oc::cli
