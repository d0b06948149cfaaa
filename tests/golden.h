// Runs the golden cases of one tests/data/<file> (written by tools/make_goldens.py) through ocellus
// ops looked up by name, comparing outputs and gradients with PyTorch's (float64 on both sides).
#pragma once
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kernels/ops.h"

namespace oc::test {

using GoldenOp = std::function<Tensor(const std::vector<Tensor>&, const nlohmann::json& params)>;

// Decodes {"shape", "dtype", "data"} into a CPU tensor.
Tensor decode_golden(const nlohmann::json& j);
// One golden entry ({"output", "weight", "grads"}) against f(inputs): the output, then the gradients
// of sum(weight * output) for the inputs the entry has gradients of (those are set to require grad).
void check_golden_entry(const nlohmann::json& entry, std::vector<Tensor> inputs,
                        const std::function<Tensor(const std::vector<Tensor>&)>& f, double atol, double rtol);
// Every case in the file must name an op in `ops`; at least `min_cases` cases must be present.
void run_golden_file(const std::string& file, const std::map<std::string, GoldenOp>& ops, size_t min_cases,
                     double atol = 1e-12, double rtol = 1e-10);

}  // namespace oc::test
