// The tensor core and every op: what layers, nets and tools include.
#pragma once
#include "core/autograd.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/fill/fill.h"
#include "kernels/gemm/matmul.h"
#include "kernels/index/index.h"
#include "kernels/random/random.h"
#include "kernels/reduce/reduce.h"
#include "kernels/shape/copy.h"
#include "kernels/shape/views.h"
#include "kernels/softmax/softmax.h"
