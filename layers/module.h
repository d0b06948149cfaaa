// Module: named parameters, buffers and children, train/eval mode, and moving to a device.
// Parameter names are module paths ("block1.conv.weight"), as PyTorch's state_dict.
#pragma once
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/ops.h"
#include "kernels/random/random.h"

namespace oc {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
  virtual std::string type() const = 0;

  NamedTensors named_parameters() const;  // recursive, in registration order
  NamedTensors named_buffers() const;     // e.g. batch norm running statistics
  int64_t num_parameters() const;
  void train(bool on = true);             // recursive
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Moves every parameter and buffer (recursively) to `device`; parameters stay leaves that require grad.
  void to(Device device);
  // Converts every floating parameter and buffer (recursively) to `dtype`, e.g. float64 for a
  // finite-difference check of a whole network; parameters stay leaves that require grad.
  void to(DType dtype);
  // Copies values into the parameters and buffers by name. Every name must be present with the same shape
  // and dtype; errors name the entry (`source` names the file in messages).
  void load_values(const NamedTensors& values, const std::string& source);

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }

 private:
  void collect(const std::string& prefix, bool params, NamedTensors& out) const;
  // deque: layers keep references to their entries, which push_back must not move.
  std::deque<std::pair<std::string, Tensor>> params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

using ModulePtr = std::shared_ptr<Module>;

// PyTorch's default initialization of conv and linear layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
Tensor init_uniform_fan_in(const Shape& shape, int64_t fan_in, Generator& gen);

}  // namespace oc
