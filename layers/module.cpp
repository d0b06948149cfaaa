// Module bookkeeping: registration, recursive traversal, device moves, loading values.
#include "layers/module.h"

#include <cmath>
#include <map>

namespace oc {

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  if (!t.requires_grad()) t.set_requires_grad();
  params_.emplace_back(name, t);
  return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  buffers_.emplace_back(name, t);
  return buffers_.back().second;
}

void Module::collect(const std::string& prefix, bool params, NamedTensors& out) const {
  for (const auto& [name, t] : params ? params_ : buffers_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", params, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, out);
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::to(Device device) {
  for (auto& [name, t] : params_) {
    if (t.device() == device) continue;
    Tensor moved = oc::to(t.detach(), device);
    t = moved.set_requires_grad();
  }
  for (auto& [name, t] : buffers_) t = oc::to(t.detach(), device);
  for (auto& [name, child] : children_) child->to(device);
}

void Module::to(DType dtype) {
  for (auto& [name, t] : params_)
    if (is_floating(t.dtype()) && t.dtype() != dtype) t = oc::to(t.detach(), dtype).set_requires_grad();
  for (auto& [name, t] : buffers_)
    if (is_floating(t.dtype())) t = oc::to(t.detach(), dtype);
  for (auto& [name, child] : children_) child->to(dtype);
}

void Module::load_values(const NamedTensors& values, const std::string& source) {
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : values) by_name[name] = &t;
  NamedTensors mine = named_parameters();
  NamedTensors bufs = named_buffers();
  mine.insert(mine.end(), bufs.begin(), bufs.end());
  NoGradGuard no_grad;
  for (auto& [name, t] : mine) {
    auto it = by_name.find(name);
    OC_CHECK(it != by_name.end(), source, ": missing tensor \"", name, "\" (expected ", t.str(), ")");
    const Tensor& v = *it->second;
    OC_CHECK(v.shape() == t.shape(), source, ": tensor \"", name, "\" has shape ", shape_str(v.shape()),
             ", the model expects ", shape_str(t.shape()));
    OC_CHECK(v.dtype() == t.dtype(), source, ": tensor \"", name, "\" has dtype ", dtype_name(v.dtype()),
             ", the model expects ", dtype_name(t.dtype()));
    copy_(t, v);
  }
}

Tensor init_uniform_fan_in(const Shape& shape, int64_t fan_in, Generator& gen) {
  double bound = fan_in > 0 ? 1.0 / std::sqrt(static_cast<double>(fan_in)) : 0.0;
  return uniform(shape, -bound, bound, &gen);
}

}  // namespace oc
