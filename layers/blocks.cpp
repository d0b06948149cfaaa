// Composite layers.
#include "layers/blocks.h"

namespace oc {

void Sequential::append(const std::string& name, ModulePtr m) {
  layers_.push_back(register_module(name, std::move(m)));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (auto& l : layers_) y = l->forward(y);
  return y;
}

std::shared_ptr<Sequential> conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation,
                                    bool with_relu, Generator& gen) {
  Conv2dOptions o;
  o.in_channels = in;
  o.out_channels = out;
  o.kernel_h = o.kernel_w = kernel;
  o.params.stride_h = o.params.stride_w = stride;
  o.params.pad_h = o.params.pad_w = dilation * (kernel - 1) / 2;  // "same" size at stride 1
  o.params.dilation_h = o.params.dilation_w = dilation;
  o.bias = false;
  auto s = std::make_shared<Sequential>();
  s->append("conv", std::make_shared<Conv2d>(o, gen));
  s->append("bn", std::make_shared<BatchNorm2d>(out));
  if (with_relu) s->append("relu", std::make_shared<Activation>(ActivationKind::relu));
  return s;
}

namespace {
std::shared_ptr<Sequential> shortcut_for(int64_t in, int64_t out, int64_t stride, Generator& gen) {
  if (in == out && stride == 1) return nullptr;
  return conv_bn(in, out, 1, stride, 1, false, gen);
}
}  // namespace

BasicBlock::BasicBlock(int64_t in, int64_t out, int64_t stride, Generator& gen) {
  body_ = register_module("body", std::make_shared<Sequential>());
  body_->append("0", conv_bn(in, out, 3, stride, 1, true, gen));
  body_->append("1", conv_bn(out, out, 3, 1, 1, false, gen));
  if (auto s = shortcut_for(in, out, stride, gen)) shortcut_ = register_module("shortcut", s);
}

Tensor BasicBlock::forward(const Tensor& x) {
  return relu(add(body_->forward(x), shortcut_ ? shortcut_->forward(x) : x));
}

Bottleneck::Bottleneck(int64_t in, int64_t width, int64_t out, int64_t stride, Generator& gen) {
  body_ = register_module("body", std::make_shared<Sequential>());
  body_->append("0", conv_bn(in, width, 1, 1, 1, true, gen));
  body_->append("1", conv_bn(width, width, 3, stride, 1, true, gen));
  body_->append("2", conv_bn(width, out, 1, 1, 1, false, gen));
  if (auto s = shortcut_for(in, out, stride, gen)) shortcut_ = register_module("shortcut", s);
}

Tensor Bottleneck::forward(const Tensor& x) {
  return relu(add(body_->forward(x), shortcut_ ? shortcut_->forward(x) : x));
}

Aspp::Aspp(int64_t in, int64_t out, const std::vector<int64_t>& rates, Generator& gen) {
  branches_.push_back(register_module("branch0", conv_bn(in, out, 1, 1, 1, true, gen)));
  for (size_t i = 0; i < rates.size(); ++i)
    branches_.push_back(register_module("branch" + std::to_string(i + 1), conv_bn(in, out, 3, 1, rates[i], true, gen)));
  pool_branch_ = register_module("pool", conv_bn(in, out, 1, 1, 1, true, gen));
  project_ = register_module("project", conv_bn(out * static_cast<int64_t>(rates.size() + 2), out, 1, 1, 1, true, gen));
}

Tensor Aspp::forward(const Tensor& x) {
  std::vector<Tensor> parts;
  for (auto& b : branches_) parts.push_back(b->forward(x));
  // Image-level features: one value per channel, broadcast back over the map (= nearest upsampling of 1x1).
  Tensor pooled = pool_branch_->forward(adaptive_avg_pool2d(x, 1, 1));
  parts.push_back(contiguous(expand(pooled, {x.size(0), pooled.size(1), x.size(2), x.size(3)})));
  return project_->forward(cat(parts, 1));
}

}  // namespace oc
