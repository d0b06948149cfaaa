// A network described in JSON: a list of named layers, each reading the previous layer's output or
// the layers named in its "inputs" (skip connections: "add", "concat"), with named outputs. Output
// shapes are inferred when the network is built; the user never computes channel counts.
//
//   "model": {"input": [1, 28, 28],
//             "layers": [{"name": "c1", "type": "conv2d", "out_channels": 32, "kernel": 3, "padding": 1},
//                        {"type": "relu"}, ...,
//                        {"name": "sum", "type": "add", "inputs": ["c1", "c3"]}, ...],
//             "outputs": ["logits"]}
#pragma once
#include <map>
#include <string>
#include <vector>

#include "layers/module.h"
#include "nets/config.h"

namespace oc {

struct LayerInfo {
  std::string name, type;
  std::vector<int> inputs;  // node indices; node 0 is the network input
  ModulePtr module;         // null for "input", "add", "concat"
  Shape out_shape;          // without the batch dim
  int64_t params = 0;
  int64_t flops = 0;        // per sample, multiply-add = 2
};

class Network : public Module {
 public:
  // Builds from the "model" object of a config; `seed` initializes the parameters.
  Network(ConfigObject model, uint64_t seed);
  // A sub-network (e.g. a spatial transformer's localization net): "layers" (and "outputs") from
  // `cfg`, the input shape given, parameters drawn from the parent's generator.
  Network(ConfigObject cfg, const Shape& input, Generator& gen);
  // The first output.
  Tensor forward(const Tensor& x) override;
  // Every named output.
  std::map<std::string, Tensor> forward_all(const Tensor& x);
  // The named outputs for an input [N, C, H', W'] of any spatial size (C as configured), e.g. a
  // keypoint detector trained on patches and run on whole images. Only for networks whose layers
  // all work at any size (convolutions, pooling, normalization, activations, add, concat, upsample,
  // residual blocks); others are an error naming the first layer that does not.
  std::vector<Tensor> run_any_size(const Tensor& x);
  std::string type() const override { return "network"; }

  const Shape& input_shape() const { return nodes_[0].out_shape; }
  const std::vector<std::string>& output_names() const { return outputs_; }
  Shape output_shape(const std::string& name) const;
  // One row per layer: name, type, output shape, parameters, FLOPs; totals at the end.
  std::string summary() const;
  const std::vector<LayerInfo>& layers() const { return nodes_; }

  // A network outside the layer graph that the model owns (a detector's RoI box head, which reads
  // pooled regions, not a layer's output): its parameters join the model's (named "NAME.layer...")
  // and so the optimizer, checkpoints, to() and train()/eval() cover it. Attached once, at load.
  void attach(const std::string& name, std::shared_ptr<Network> sub);
  // The network attached under `name`, or null.
  std::shared_ptr<Network> attached(const std::string& name) const;

 private:
  void build(ConfigObject& cfg, const Shape& input, Generator& gen);
  std::vector<Tensor> run(const Tensor& x);
  std::vector<Tensor> run_nodes(const Tensor& x);
  // Whether node i is a batchnorm2d whose only reader (not an output) is the relu at node i + 1:
  // run_nodes then runs both as one fused op (BatchNorm2d::forward_relu).
  bool relu_fuses_into(size_t i, const std::vector<int>& uses) const;
  std::vector<LayerInfo> nodes_;
  std::vector<std::string> outputs_;
  std::vector<int> output_nodes_;
  std::vector<std::pair<std::string, std::shared_ptr<Network>>> attached_;
};

// The layer types a config may use, for documentation and error messages.
std::vector<std::string> layer_types();

// The model's named outputs in the config's order.
std::vector<Tensor> forward_outputs(Network& model, const Tensor& x);

}  // namespace oc
