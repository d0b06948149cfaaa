// The op -> functor switch of the elementwise kernels, written once for both devices: a kernel file
// defines `run_elementwise<Tout, Tin>(out, ins, fn)` and then expands
// OC_DEFINE_ELEMENTWISE_ENTRY_POINTS(cpu) or (cuda) to get unary_cpu ... compare_cuda.
#pragma once
#include "kernels/elementwise/elementwise_kernels.h"

#define OC_EW_UNARY_CASE(name, expr) \
  case UnaryOp::name: return run_elementwise<scalar_t, scalar_t>(out, ins, UnaryFn<UnaryOp::name>{p});
#define OC_EW_BINARY_CASE(name, expr) \
  case BinaryOp::name: return run_elementwise<scalar_t, scalar_t>(out, ins, BinaryFn<BinaryOp::name>{p});
#define OC_EW_TERNARY_CASE(name, expr) \
  case TernaryOp::name: return run_elementwise<scalar_t, scalar_t>(out, ins, TernaryFn<TernaryOp::name>{p});
#define OC_EW_COMPARE_CASE(name, expr) \
  case CompareOp::name: return run_elementwise<bool, scalar_t>(out, ins, CompareFn<CompareOp::name>{});

#define OC_DEFINE_ELEMENTWISE_ENTRY_POINTS(DEV)                                                          \
  void unary_##DEV(UnaryOp op, const Tensor& out, const Tensor& a, EwParams p) {                         \
    const Tensor* ins[1] = {&a};                                                                         \
    OC_DISPATCH_FLOATING(out.dtype(), "unary", [&] {                                                     \
      switch (op) { OC_UNARY_OPS(OC_EW_UNARY_CASE) }                                                     \
    });                                                                                                  \
  }                                                                                                      \
  void binary_##DEV(BinaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, EwParams p) {      \
    const Tensor* ins[2] = {&a, &b};                                                                     \
    OC_DISPATCH_FLOATING(out.dtype(), "binary", [&] {                                                    \
      switch (op) { OC_BINARY_OPS(OC_EW_BINARY_CASE) }                                                   \
    });                                                                                                  \
  }                                                                                                      \
  void ternary_##DEV(TernaryOp op, const Tensor& out, const Tensor& a, const Tensor& b, const Tensor& c, \
                     EwParams p) {                                                                       \
    const Tensor* ins[3] = {&a, &b, &c};                                                                 \
    OC_DISPATCH_FLOATING(out.dtype(), "ternary", [&] {                                                   \
      switch (op) { OC_TERNARY_OPS(OC_EW_TERNARY_CASE) }                                                 \
    });                                                                                                  \
  }                                                                                                      \
  void compare_##DEV(CompareOp op, const Tensor& out, const Tensor& a, const Tensor& b) {                \
    const Tensor* ins[2] = {&a, &b};                                                                     \
    OC_DISPATCH_FLOATING(a.dtype(), "compare", [&] {                                                     \
      switch (op) { OC_COMPARE_OPS(OC_EW_COMPARE_CASE) }                                                 \
    });                                                                                                  \
  }
