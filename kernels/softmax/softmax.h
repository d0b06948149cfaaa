// softmax and log_softmax along one axis, numerically stable (the row maximum is subtracted).
#pragma once
#include "core/tensor.h"

namespace oc {

Tensor softmax(const Tensor& t, int64_t axis);
Tensor log_softmax(const Tensor& t, int64_t axis);

}  // namespace oc
