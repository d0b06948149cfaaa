// The spatial transformer benchmarks (tools/bench_grid_sample.cpp), called by `ocellus bench`.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "tools/commands.h"

namespace oc::cli {

// op: "affine_grid" or "grid_sample". Prints the table and returns it as JSON.
nlohmann::json bench_spatial(const std::string& op, const ArgParser& p);

}  // namespace oc::cli
