// The views case table: permute, transpose, reshape, slice, select, expand, squeeze, unsqueeze and
// flatten, each made contiguous (the strided copy kernel), by float64 finite differences (the
// gradient flows back through the view), against PyTorch (tools/goldens/views.py) and CUDA against
// CPU. Values by index mapping and storage sharing are hand tests (test_views.cpp).
#include "tests/op_cases.h"

namespace oc::test {
namespace {

using json = nlohmann::ordered_json;

Tensor apply_view(const std::string& op, const Tensor& x, const json& p) {
  if (op == "permute") return permute(x, p["dims"].get<Axes>());
  if (op == "transpose") return transpose(x, p["dim0"], p["dim1"]);
  if (op == "reshape") return reshape(x, p["shape"].get<Shape>());
  if (op == "slice") return slice(x, p["dim"], p["start"], p["end"], p["step"]);
  if (op == "select") return select(x, p["dim"], p["index"]);
  if (op == "expand") return expand(x, p["shape"].get<Shape>());
  if (op == "squeeze") return p.contains("dim") ? squeeze(x, p["dim"]) : squeeze(x);
  if (op == "unsqueeze") return unsqueeze(x, p["dim"]);
  return flatten(x, p["start"], p["end"]);
}

// params: the view's arguments; "first": (d0 d1), the input transposed before the view.
OpCase row(const std::string& op, const Shape& shape, json params, bool checked) {
  OpCase c;
  c.op = op;
  c.shapes = {shape};
  c.params = std::move(params);
  c.inputs = uniform_inputs({shape});
  c.run = [op, p = c.params](const std::vector<Tensor>& in) {
    Tensor x = in[0];
    if (p.contains("first")) x = transpose(x, p["first"][0], p["first"][1]);
    return contiguous(apply_view(op, x, p));
  };
  c.gradient = c.golden = checked;
  // Pure data movement: exact; the gradients sum (expand) or copy: nearly exact.
  c.cuda32 = c.cuda64 = kExact;
  c.cuda32_grad = {1e-6, 1e-6}, c.cuda64_grad = {1e-6, 1e-6};
  return c;
}

}  // namespace
}  // namespace oc::test

OC_OP_CASES(views) {
  using namespace oc::test;
  std::vector<OpCase> t;
  t.push_back(row("permute", {2, 3, 4}, {{"dims", {1, 2, 0}}}, true));
  t.push_back(row("reshape", {2, 3, 4}, {{"first", {0, 2}}, {"shape", {4, 6}}}, true));
  t.push_back(row("slice", {2, 3, 4}, {{"dim", 2}, {"start", 1}, {"end", 4}, {"step", 2}}, true));
  t.push_back(row("select", {2, 3, 4}, {{"dim", 1}, {"index", -1}}, true));
  t.push_back(row("expand", {2, 1, 4}, {{"shape", {5, 2, 3, 4}}}, true));
  t.push_back(row("unsqueeze", {2, 3, 4}, {{"dim", 0}}, true));
  t.push_back(row("squeeze", {1, 2, 3, 4}, {{"dim", 0}}, true));
  t.push_back(row("squeeze", {1, 2, 1, 4}, json::object(), true));  // every size-1 axis
  t.push_back(row("flatten", {2, 3, 4}, {{"start", 0}, {"end", -1}}, true));
  t.push_back(row("flatten", {2, 3, 4}, {{"start", 1}, {"end", -1}}, true));
  t.push_back(row("transpose", {2, 3, 4}, {{"dim0", 0}, {"dim1", 2}}, true));
  // CUDA: the strided copy on larger views.
  t.push_back(row("permute", {4, 5, 6}, {{"dims", {2, 0, 1}}}, false));
  t.push_back(row("reshape", {4, 5, 6}, {{"first", {0, 2}}, {"shape", {6, 20}}}, false));
  t.push_back(row("slice", {4, 5, 6}, {{"dim", 2}, {"start", 1}, {"end", 6}, {"step", 2}}, false));
  t.push_back(row("slice", {4, 5, 6}, {{"dim", 1}, {"start", 1}, {"end", 4}, {"step", 2}}, false));
  t.push_back(row("expand", {4, 5, 6}, {{"shape", {3, 4, 5, 6}}}, false));
  return t;
}
