// The scalar functions behind every elementwise op, written once for the CPU reference and the
// CUDA kernels. a, b, c are the operands; p holds an op's scalar parameters.
#pragma once
#include <cmath>

#include "core/hd.h"
#include "core/hd_math.h"

namespace oc {

struct EwParams {
  double a = 0, b = 0;  // leaky_relu: slope; clamp: lo, hi; pow_scalar: exponent; *_scalar: the scalar
};

// Never overflows: exp of a non-positive number only.
template <class T>
OC_HD T ew_sigmoid(T a) {
  if (a >= T(0)) return T(1) / (T(1) + hd_exp(-a));
  T e = hd_exp(a);
  return e / (T(1) + e);
}

// NaN-propagating max/min, as PyTorch's maximum/minimum.
template <class T>
OC_HD T ew_max(T a, T b) { return (a != a) ? a : ((b != b) ? b : (a > b ? a : b)); }
template <class T>
OC_HD T ew_min(T a, T b) { return (a != a) ? a : ((b != b) ? b : (a < b ? a : b)); }

// X(name, expression in a and p)
#define OC_UNARY_OPS(X)                                                   \
  X(neg, -a)                                                              \
  X(exp, hd_exp(a))                                                       \
  X(log, hd_log(a))                                                       \
  X(sqrt, hd_sqrt(a))                                                     \
  X(rsqrt, T(1) / hd_sqrt(a))                                             \
  X(abs, a < T(0) ? -a : a)                                               \
  X(sign, T((a > T(0)) - (a < T(0))))                                     \
  X(relu, a > T(0) ? a : T(0))                                            \
  X(leaky_relu, a > T(0) ? a : a * T(p.a))                                \
  X(sigmoid, ew_sigmoid(a))                                               \
  X(tanh, hd_tanh(a))                                                     \
  X(clamp, a < T(p.a) ? T(p.a) : (a > T(p.b) ? T(p.b) : a))               \
  X(pow_scalar, hd_pow(a, T(p.a)))                                        \
  X(add_scalar, a + T(p.a))                                               \
  X(mul_scalar, a * T(p.a))                                               \
  X(rsub_scalar, T(p.a) - a)                                              \
  X(rdiv_scalar, T(p.a) / a)

// X(name, expression in a, b and p). The *_backward ops take (grad, saved value).
#define OC_BINARY_OPS(X)                                                  \
  X(add, a + b)                                                           \
  X(sub, a - b)                                                           \
  X(mul, a * b)                                                           \
  X(div, a / b)                                                           \
  X(pow, hd_pow(a, b))                                                    \
  X(maximum, ew_max(a, b))                                                \
  X(minimum, ew_min(a, b))                                                \
  X(relu_backward, b > T(0) ? a : T(0))                                   \
  X(leaky_relu_backward, b > T(0) ? a : a * T(p.a))                       \
  X(sigmoid_backward, a * b * (T(1) - b))                                 \
  X(tanh_backward, a * (T(1) - b * b))                                    \
  X(clamp_backward, (b >= T(p.a) && b <= T(p.b)) ? a : T(0))

// X(name, expression in a, b, c and p).
//   where: a is the condition (as 0/1); select_max_grad(g, x, y): x's share of max(x, y)'s gradient,
//   split evenly on ties as PyTorch does.
#define OC_TERNARY_OPS(X)                                                 \
  X(where, a != T(0) ? b : c)                                             \
  X(max_grad_share, b > c ? a : (b == c ? a / T(2) : T(0)))               \
  X(min_grad_share, b < c ? a : (b == c ? a / T(2) : T(0)))

// X(name, boolean expression in a and b)
#define OC_COMPARE_OPS(X) X(eq, a == b) X(ne, a != b) X(lt, a < b) X(le, a <= b) X(gt, a > b) X(ge, a >= b)

#define OC_ENUM_ENTRY(name, expr) name,
enum class UnaryOp { OC_UNARY_OPS(OC_ENUM_ENTRY) };
enum class BinaryOp { OC_BINARY_OPS(OC_ENUM_ENTRY) };
enum class TernaryOp { OC_TERNARY_OPS(OC_ENUM_ENTRY) };
enum class CompareOp { OC_COMPARE_OPS(OC_ENUM_ENTRY) };
#undef OC_ENUM_ENTRY

// One functor type per op: UnaryFn<UnaryOp::exp>{p}(a) etc.
template <UnaryOp OP> struct UnaryFn;
template <BinaryOp OP> struct BinaryFn;
template <TernaryOp OP> struct TernaryFn;
template <CompareOp OP> struct CompareFn;

#define OC_UNARY_FN(name, expr)                                                      \
  template <> struct UnaryFn<UnaryOp::name> {                                        \
    EwParams p;                                                                      \
    template <class T> OC_HD T operator()(T a) const { return expr; }                \
  };
#define OC_BINARY_FN(name, expr)                                                     \
  template <> struct BinaryFn<BinaryOp::name> {                                      \
    EwParams p;                                                                      \
    template <class T> OC_HD T operator()(T a, T b) const { return expr; }           \
  };
#define OC_TERNARY_FN(name, expr)                                                    \
  template <> struct TernaryFn<TernaryOp::name> {                                    \
    EwParams p;                                                                      \
    template <class T> OC_HD T operator()(T a, T b, T c) const { return expr; }      \
  };
#define OC_COMPARE_FN(name, expr)                                                    \
  template <> struct CompareFn<CompareOp::name> {                                    \
    EwParams p;                                                                      \
    template <class T> OC_HD bool operator()(T a, T b) const { return expr; }        \
  };
OC_UNARY_OPS(OC_UNARY_FN)
OC_BINARY_OPS(OC_BINARY_FN)
OC_TERNARY_OPS(OC_TERNARY_FN)
OC_COMPARE_OPS(OC_COMPARE_FN)
#undef OC_UNARY_FN
#undef OC_BINARY_FN
#undef OC_TERNARY_FN
#undef OC_COMPARE_FN

}  // namespace oc
