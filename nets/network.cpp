// Building and running JSON-described networks.
#include "nets/network.h"

#include <cstdio>
#include <set>
#include <sstream>

#include "layers/basic.h"
#include "layers/spatial_transformer.h"
#include "nets/layer_registry.h"

namespace oc {

std::vector<std::string> layer_types() { return layer_registry().names(); }

Network::Network(ConfigObject model, uint64_t seed) {
  Generator gen(seed);
  std::vector<int64_t> input = model.get_int_list("input", {});
  OC_CHECK(!input.empty(), model.where("input"), ": missing the input shape, e.g. [1, 28, 28] for [C, H, W]");
  for (int64_t d : input) OC_CHECK(d > 0, model.where("input"), ": sizes must be positive, got ", d);
  build(model, Shape(input.begin(), input.end()), gen);
}

Network::Network(ConfigObject cfg, const Shape& input, Generator& gen) { build(cfg, input, gen); }

void Network::build(ConfigObject& model, const Shape& input, Generator& gen) {
  LayerInfo in;
  in.name = "input";
  in.type = "input";
  in.out_shape = input;
  nodes_.push_back(in);
  std::map<std::string, int> by_name{{"input", 0}};

  std::vector<ConfigObject> layers = model.array("layers");
  OC_CHECK(!layers.empty(), model.where("layers"), ": a network needs at least one layer");
  for (size_t i = 0; i < layers.size(); ++i) {
    ConfigObject& cfg = layers[i];
    LayerInfo node;
    node.type = cfg.require_string("type");
    node.name = cfg.get_string("name", node.type + std::to_string(i));
    OC_CHECK(!by_name.count(node.name), cfg.where("name"), ": the name \"", node.name, "\" is used twice");
    OC_CHECK(node.name.find('.') == std::string::npos, cfg.where("name"), ": names may not contain '.'");
    std::vector<std::string> input_names = cfg.get_string_list("inputs", {});
    if (input_names.empty()) node.inputs.push_back(static_cast<int>(nodes_.size()) - 1);
    for (const auto& n : input_names) {
      auto it = by_name.find(n);
      if (it == by_name.end()) {
        std::vector<std::string> known;
        for (const auto& [k, v] : by_name) known.push_back(k);
        std::string guess = closest_word(n, known);
        OC_FAIL(cfg.where("inputs"), ": no earlier layer is named \"", n, "\"",
                guess.empty() ? "" : " (did you mean \"" + guess + "\"?)");
      }
      node.inputs.push_back(it->second);
    }
    std::vector<Shape> in_shapes;
    for (int k : node.inputs) in_shapes.push_back(nodes_[k].out_shape);

    BuiltLayer b = layer_registry().at(node.type, cfg.where("type")).factory(cfg, in_shapes, gen);
    node.module = b.module;
    node.out_shape = b.out_shape;
    node.flops = b.flops;
    if (node.module) {
      register_module(node.name, node.module);
      node.params = node.module->num_parameters();
    }
    cfg.finish();
    by_name[node.name] = static_cast<int>(nodes_.size());
    nodes_.push_back(std::move(node));
  }

  outputs_ = model.get_string_list("outputs", {nodes_.back().name});
  OC_CHECK(!outputs_.empty(), model.where("outputs"), ": at least one output is needed");
  for (const auto& n : outputs_) {
    auto it = by_name.find(n);
    OC_CHECK(it != by_name.end(), model.where("outputs"), ": no layer is named \"", n, "\"");
    output_nodes_.push_back(it->second);
  }
  model.finish();
}

void Network::attach(const std::string& name, std::shared_ptr<Network> sub) {
  OC_CHECK(sub && !attached(name), "Network::attach: \"", name, "\" is attached twice or null");
  for (const auto& n : nodes_) OC_CHECK(n.name != name, "Network::attach: \"", name, "\" is also a layer's name");
  register_module(name, sub);
  attached_.emplace_back(name, std::move(sub));
}

std::shared_ptr<Network> Network::attached(const std::string& name) const {
  for (const auto& [n, sub] : attached_)
    if (n == name) return sub;
  return nullptr;
}

std::vector<Tensor> Network::run(const Tensor& x) {
  const Shape& want = nodes_[0].out_shape;
  OC_CHECK(x.dim() == static_cast<int64_t>(want.size()) + 1 &&
               Shape(x.shape().begin() + 1, x.shape().end()) == want,
           "network: input ", x.str(), " does not match the configured input [N, ", shape_str(want).substr(1));
  return run_nodes(x);
}

std::vector<Tensor> Network::run_any_size(const Tensor& x) {
  static const std::set<std::string> any_size = {
      "input", "add", "concat", "conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d", "batchnorm2d", "relu",
      "leaky_relu", "sigmoid", "tanh", "dropout", "upsample", "basic_block", "bottleneck"};
  for (const LayerInfo& n : nodes_)
    OC_CHECK(any_size.count(n.type), "network: layer \"", n.name, "\" (", n.type,
             ") needs the configured input size, so the network cannot run on other sizes");
  const Shape& want = nodes_[0].out_shape;
  OC_CHECK(x.dim() == 4 && want.size() == 3 && x.size(1) == want[0], "network: input ", x.str(),
           " does not have the configured ", want.empty() ? 0 : want[0], " channels as [N, C, H, W]");
  return run_nodes(x);
}

bool Network::relu_fuses_into(size_t i, const std::vector<int>& uses) const {
  return i + 1 < nodes_.size() && nodes_[i].type == "batchnorm2d" && nodes_[i + 1].type == "relu" &&
         nodes_[i + 1].inputs == std::vector<int>{static_cast<int>(i)} && uses[i] == 1;
}

std::vector<Tensor> Network::run_nodes(const Tensor& x) {
  std::vector<Tensor> values(nodes_.size());
  values[0] = x;
  // Remaining uses of each value, so intermediate activations are dropped once consumed.
  std::vector<int> uses(nodes_.size(), 0);
  for (const auto& n : nodes_)
    for (int k : n.inputs) uses[k]++;
  for (int k : output_nodes_) uses[k]++;
  for (size_t i = 1; i < nodes_.size(); ++i) {
    const LayerInfo& n = nodes_[i];
    if (relu_fuses_into(i, uses)) {  // batchnorm2d + relu in one pass each way; node i's value is never made
      values[i + 1] = static_cast<BatchNorm2d&>(*n.module).forward_relu(values[n.inputs[0]]);
      if (--uses[n.inputs[0]] == 0) values[n.inputs[0]] = Tensor();
      ++i;
      continue;
    }
    if (n.type == "add") {
      Tensor acc = values[n.inputs[0]];
      for (size_t k = 1; k < n.inputs.size(); ++k) acc = add(acc, values[n.inputs[k]]);
      values[i] = acc;
    } else if (n.type == "concat") {
      std::vector<Tensor> parts;
      for (int k : n.inputs) parts.push_back(values[k]);
      values[i] = cat(parts, 1);
    } else {
      values[i] = n.module->forward(values[n.inputs[0]]);
    }
    for (int k : n.inputs)
      if (--uses[k] == 0) values[k] = Tensor();
  }
  std::vector<Tensor> outs;
  for (int k : output_nodes_) outs.push_back(values[k]);
  return outs;
}

Tensor Network::forward(const Tensor& x) { return run(x)[0]; }

std::map<std::string, Tensor> Network::forward_all(const Tensor& x) {
  std::vector<Tensor> outs = run(x);
  std::map<std::string, Tensor> m;
  for (size_t i = 0; i < outs.size(); ++i) m[outputs_[i]] = outs[i];
  return m;
}

Shape Network::output_shape(const std::string& name) const {
  for (size_t i = 0; i < outputs_.size(); ++i)
    if (outputs_[i] == name) return nodes_[output_nodes_[i]].out_shape;
  OC_FAIL("network: no output named \"", name, "\"");
}

namespace {

// One row per layer; a spatial transformer's localization layers follow it, indented (their
// parameters and FLOPs are already in the transformer's row).
void summary_rows(const std::vector<LayerInfo>& nodes, const std::string& indent, std::ostringstream& os) {
  char line[256];
  for (const auto& n : nodes) {
    if (!indent.empty() && n.type == "input") continue;
    std::snprintf(line, sizeof line, "%-18s %-20s %-18s %12lld %14.2f\n", (indent + n.name).c_str(), n.type.c_str(),
                  shape_str(n.out_shape).c_str(), static_cast<long long>(n.params), n.flops / 1e6);
    os << line;
    if (auto* st = dynamic_cast<SpatialTransformer*>(n.module.get()))
      if (auto* loc = dynamic_cast<const Network*>(&st->localization())) summary_rows(loc->layers(), indent + "  ", os);
  }
}

}  // namespace

std::string Network::summary() const {
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-18s %-20s %-18s %12s %14s\n", "layer", "type", "output", "params", "MFLOPs");
  os << line;
  summary_rows(nodes_, "", os);
  int64_t params = 0, flops = 0;
  for (const auto& n : nodes_) {
    params += n.params;
    flops += n.flops;
  }
  // Attached networks run per region, not per image: their FLOPs are per region and not in the total.
  for (const auto& [name, sub] : attached_) {
    std::snprintf(line, sizeof line, "%s (attached, input %s; MFLOPs per region)\n", name.c_str(),
                  shape_str(sub->input_shape()).c_str());
    os << line;
    summary_rows(sub->layers(), "  ", os);
    params += sub->num_parameters();
  }
  std::snprintf(line, sizeof line, "%-58s %12lld %14.2f  (per sample, forward)\n", "total",
                static_cast<long long>(params), flops / 1e6);
  os << line;
  return os.str();
}

std::vector<Tensor> forward_outputs(Network& model, const Tensor& x) {
  std::map<std::string, Tensor> all = model.forward_all(x);
  std::vector<Tensor> outs;
  for (const std::string& name : model.output_names()) outs.push_back(all.at(name));
  return outs;
}

}  // namespace oc
