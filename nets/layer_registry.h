// The registry of layer types a network config may use: each entry reads its keys from the layer's
// config object, checks its input shapes, and returns the module, the output shape and the FLOPs.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/registry.h"
#include "layers/module.h"
#include "nets/config.h"

namespace oc {

struct BuiltLayer {
  ModulePtr module;  // null for layers done by the graph itself (add, concat)
  Shape out_shape;   // without the batch dim
  int64_t flops = 0;
};

// cfg: the layer's object (its "name", "type", "inputs" are already read); ins: input shapes.
using LayerBuilder = std::function<BuiltLayer(ConfigObject& cfg, const std::vector<Shape>& ins, Generator& gen)>;

// Every layer type, add and concat included; the keys listed are those besides name, type, inputs.
const Registry<LayerBuilder>& layer_registry();

}  // namespace oc
