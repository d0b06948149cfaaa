// Composite layers: Sequential, ResNet's basic and bottleneck residual blocks, and ASPP
// (atrous spatial pyramid pooling: parallel dilated convolutions, concatenated, projected).
#pragma once
#include <vector>

#include "layers/basic.h"
#include "layers/conv.h"

namespace oc {

class Sequential : public Module {
 public:
  void append(const std::string& name, ModulePtr m);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "sequential"; }

 private:
  std::vector<ModulePtr> layers_;
};

// relu(bn(conv3x3(relu(bn(conv3x3(x, stride))))) + shortcut(x)); the shortcut is a 1x1 conv + bn
// when the stride or channel count changes, else the identity.
class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "basic_block"; }

 private:
  std::shared_ptr<Sequential> body_, shortcut_;
};

// 1x1 reduce to `width`, 3x3 (stride), 1x1 expand to out_channels, each with bn (relu except the
// last), plus the shortcut as in BasicBlock.
class Bottleneck : public Module {
 public:
  Bottleneck(int64_t in_channels, int64_t width, int64_t out_channels, int64_t stride, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "bottleneck"; }

 private:
  std::shared_ptr<Sequential> body_, shortcut_;
};

// Branches: a 1x1 conv, one 3x3 conv per dilation rate, and image pooling (global average, 1x1
// conv, upsampled back); each conv + bn + relu, concatenated, then a 1x1 projection + bn + relu.
class Aspp : public Module {
 public:
  Aspp(int64_t in_channels, int64_t out_channels, const std::vector<int64_t>& rates, Generator& gen);
  Tensor forward(const Tensor& x) override;
  std::string type() const override { return "aspp"; }

 private:
  std::vector<std::shared_ptr<Sequential>> branches_;
  std::shared_ptr<Sequential> pool_branch_, project_;
};

// conv (no bias) + bn (+ relu): the unit the blocks are made of.
std::shared_ptr<Sequential> conv_bn(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation,
                                    bool relu, Generator& gen);

}  // namespace oc
