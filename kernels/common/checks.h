// Front-end checks shared by the ops: every message names the op and the offending tensors.
#pragma once
#include <initializer_list>

#include "core/tensor.h"

namespace oc {

void check_defined(const char* op, std::initializer_list<const Tensor*> ts);
void check_same_device(const char* op, std::initializer_list<const Tensor*> ts);
void check_same_dtype(const char* op, std::initializer_list<const Tensor*> ts);
void check_floating(const char* op, const Tensor& t);
void check_dtype(const char* op, const Tensor& t, DType expected, const char* what);

// A view of t broadcast to `shape` (stride 0 in broadcast dims); no autograd record.
Tensor broadcast_view(const Tensor& t, const Shape& shape);

}  // namespace oc
