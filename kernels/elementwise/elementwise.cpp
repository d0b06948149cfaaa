// Front end of the elementwise ops: checks, broadcasting, device dispatch, and each gradient rule.
#include "kernels/elementwise/elementwise.h"

#include "core/autograd.h"
#include "kernels/common/checks.h"
#include "kernels/common/dispatch.h"
#include "kernels/copy/copy.h"
#include "kernels/elementwise/elementwise_kernels.h"
#include "kernels/fill/fill.h"
#include "kernels/reduce/reduce.h"

namespace oc {
namespace {

Tensor unary_raw(UnaryOp op, const char* name, const Tensor& x, EwParams p = {}) {
  check_floating(name, x);
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  ProfileScope profile(name);  // the op's own name in the profile, not "unary"
  OC_ON_DEVICE(x.device(), unary, op, out, x, p);
  return out;
}

Tensor binary_raw(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, EwParams p = {}) {
  check_same_device(name, {&a, &b});
  check_floating(name, a);
  check_same_dtype(name, {&a, &b});
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  ProfileScope profile(name);
  OC_ON_DEVICE(a.device(), binary, op, out, broadcast_view(a, shape), broadcast_view(b, shape), p);
  return out;
}

Tensor ternary_raw(TernaryOp op, const char* name, const Tensor& a, const Tensor& b, const Tensor& c,
                   EwParams p = {}) {
  check_same_device(name, {&a, &b, &c});
  check_floating(name, a);
  check_same_dtype(name, {&a, &b, &c});
  Shape shape = broadcast_shapes(broadcast_shapes(a.shape(), b.shape(), name), c.shape(), name);
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  ProfileScope profile(name);
  OC_ON_DEVICE(a.device(), ternary, op, out, broadcast_view(a, shape), broadcast_view(b, shape),
               broadcast_view(c, shape), p);
  return out;
}

Tensor compare_raw(CompareOp op, const char* name, const Tensor& a, const Tensor& b) {
  check_same_device(name, {&a, &b});
  check_floating(name, a);
  check_same_dtype(name, {&a, &b});
  Shape shape = broadcast_shapes(a.shape(), b.shape(), name);
  Tensor out = Tensor::empty(shape, DType::b8, a.device());
  OC_ON_DEVICE(a.device(), compare, op, out, broadcast_view(a, shape), broadcast_view(b, shape));
  return out;
}

// Unary op whose gradient is rule(g, x, y).
template <class Rule>
Tensor unary_op(UnaryOp op, const char* name, const Tensor& x, EwParams p, Rule rule) {
  Tensor y = unary_raw(op, name, x, p);
  record_op(y, name, {x}, [x = x.detach(), y = y.detach(), rule](const Tensor& g) {
    return std::vector<Tensor>{rule(g, x, y)};
  });
  return y;
}

// Binary op whose gradients are rule(g, a, b, y) -> {ga, gb} before un-broadcasting.
template <class Rule>
Tensor binary_op(BinaryOp op, const char* name, const Tensor& a, const Tensor& b, Rule rule) {
  Tensor y = binary_raw(op, name, a, b);
  record_op(y, name, {a, b},
            [a = a.detach(), b = b.detach(), y = y.detach(), rule,
             na = a.requires_grad(), nb = b.requires_grad()](const Tensor& g) {
              auto [ga, gb] = rule(g, a, b, y, na, nb);
              return std::vector<Tensor>{na ? sum_to_shape(ga, a.shape()) : Tensor(),
                                         nb ? sum_to_shape(gb, b.shape()) : Tensor()};
            });
  return y;
}

using TT = std::pair<Tensor, Tensor>;

}  // namespace

Tensor neg(const Tensor& x) {
  return unary_op(UnaryOp::neg, "neg", x, {}, [](const Tensor& g, auto&, auto&) { return neg(g); });
}
Tensor exp(const Tensor& x) {
  return unary_op(UnaryOp::exp, "exp", x, {}, [](const Tensor& g, auto&, auto& y) { return mul(g, y); });
}
Tensor log(const Tensor& x) {
  return unary_op(UnaryOp::log, "log", x, {}, [](const Tensor& g, auto& x, auto&) { return div(g, x); });
}
Tensor sqrt(const Tensor& x) {
  return unary_op(UnaryOp::sqrt, "sqrt", x, {},
                  [](const Tensor& g, auto&, auto& y) { return div(mul(g, 0.5), y); });
}
Tensor rsqrt(const Tensor& x) {
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 y^3
  return unary_op(UnaryOp::rsqrt, "rsqrt", x, {},
                  [](const Tensor& g, auto&, auto& y) { return mul(g, mul(pow(y, 3.0), -0.5)); });
}
Tensor abs(const Tensor& x) {
  return unary_op(UnaryOp::abs, "abs", x, {}, [](const Tensor& g, auto& x, auto&) { return mul(g, sign(x)); });
}
Tensor sign(const Tensor& x) {
  return unary_op(UnaryOp::sign, "sign", x, {}, [](const Tensor& g, auto&, auto&) { return zeros_like(g); });
}
Tensor relu(const Tensor& x) {
  return unary_op(UnaryOp::relu, "relu", x, {}, [](const Tensor& g, auto& x, auto&) {
    return binary_raw(BinaryOp::relu_backward, "relu_backward", g, x);
  });
}
Tensor leaky_relu(const Tensor& x, double slope) {
  EwParams p{slope, 0};
  return unary_op(UnaryOp::leaky_relu, "leaky_relu", x, p, [p](const Tensor& g, auto& x, auto&) {
    return binary_raw(BinaryOp::leaky_relu_backward, "leaky_relu_backward", g, x, p);
  });
}
Tensor sigmoid(const Tensor& x) {
  return unary_op(UnaryOp::sigmoid, "sigmoid", x, {}, [](const Tensor& g, auto&, auto& y) {
    return binary_raw(BinaryOp::sigmoid_backward, "sigmoid_backward", g, y);
  });
}
Tensor tanh(const Tensor& x) {
  return unary_op(UnaryOp::tanh, "tanh", x, {}, [](const Tensor& g, auto&, auto& y) {
    return binary_raw(BinaryOp::tanh_backward, "tanh_backward", g, y);
  });
}
Tensor clamp(const Tensor& x, double lo, double hi) {
  OC_CHECK(!(lo > hi), "clamp: lo (", lo, ") is greater than hi (", hi, ")");
  EwParams p{lo, hi};
  return unary_op(UnaryOp::clamp, "clamp", x, p, [p](const Tensor& g, auto& x, auto&) {
    return binary_raw(BinaryOp::clamp_backward, "clamp_backward", g, x, p);
  });
}
Tensor pow(const Tensor& x, double e) {
  return unary_op(UnaryOp::pow_scalar, "pow", x, {e, 0}, [e](const Tensor& g, auto& x, auto&) {
    return mul(g, mul(pow(x, e - 1.0), e));
  });
}
Tensor add(const Tensor& a, double s) {
  return unary_op(UnaryOp::add_scalar, "add", a, {s, 0}, [](const Tensor& g, auto&, auto&) { return g; });
}
Tensor sub(const Tensor& a, double s) { return add(a, -s); }
Tensor mul(const Tensor& a, double s) {
  return unary_op(UnaryOp::mul_scalar, "mul", a, {s, 0}, [s](const Tensor& g, auto&, auto&) { return mul(g, s); });
}
Tensor div(const Tensor& a, double s) { return mul(a, 1.0 / s); }
Tensor rsub(double s, const Tensor& a) {
  return unary_op(UnaryOp::rsub_scalar, "rsub", a, {s, 0}, [](const Tensor& g, auto&, auto&) { return neg(g); });
}
Tensor rdiv(double s, const Tensor& a) {
  // d/da s/a = -s/a^2 = -y/a
  return unary_op(UnaryOp::rdiv_scalar, "rdiv", a, {s, 0},
                  [](const Tensor& g, auto& a, auto& y) { return neg(div(mul(g, y), a)); });
}

Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::add, "add", a, b, [](const Tensor& g, auto&, auto&, auto&, bool, bool) {
    return TT{g, g};
  });
}
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::sub, "sub", a, b, [](const Tensor& g, auto&, auto&, auto&, bool, bool nb) {
    return TT{g, nb ? neg(g) : Tensor()};
  });
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::mul, "mul", a, b, [](const Tensor& g, auto& a, auto& b, auto&, bool na, bool nb) {
    return TT{na ? mul(g, b) : Tensor(), nb ? mul(g, a) : Tensor()};
  });
}
Tensor div(const Tensor& a, const Tensor& b) {
  // d/db a/b = -a/b^2 = -y/b
  return binary_op(BinaryOp::div, "div", a, b, [](const Tensor& g, auto&, auto& b, auto& y, bool na, bool nb) {
    return TT{na ? div(g, b) : Tensor(), nb ? neg(div(mul(g, y), b)) : Tensor()};
  });
}
Tensor pow(const Tensor& a, const Tensor& b) {
  // d/da a^b = b a^(b-1); d/db a^b = a^b log a
  return binary_op(BinaryOp::pow, "pow", a, b, [](const Tensor& g, auto& a, auto& b, auto& y, bool na, bool nb) {
    return TT{na ? mul(g, mul(b, pow(a, sub(b, 1.0)))) : Tensor(), nb ? mul(g, mul(y, log(a))) : Tensor()};
  });
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::maximum, "maximum", a, b,
                   [](const Tensor& g, auto& a, auto& b, auto&, bool na, bool nb) {
                     return TT{na ? ternary_raw(TernaryOp::max_grad_share, "maximum_backward", g, a, b) : Tensor(),
                               nb ? ternary_raw(TernaryOp::max_grad_share, "maximum_backward", g, b, a) : Tensor()};
                   });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op(BinaryOp::minimum, "minimum", a, b,
                   [](const Tensor& g, auto& a, auto& b, auto&, bool na, bool nb) {
                     return TT{na ? ternary_raw(TernaryOp::min_grad_share, "minimum_backward", g, a, b) : Tensor(),
                               nb ? ternary_raw(TernaryOp::min_grad_share, "minimum_backward", g, b, a) : Tensor()};
                   });
}

Tensor eq(const Tensor& a, const Tensor& b) { return compare_raw(CompareOp::eq, "eq", a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare_raw(CompareOp::ne, "ne", a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare_raw(CompareOp::lt, "lt", a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare_raw(CompareOp::le, "le", a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare_raw(CompareOp::gt, "gt", a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare_raw(CompareOp::ge, "ge", a, b); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_same_device("where", {&cond, &a, &b});
  Tensor c = to(to(cond.detach(), DType::b8), a.dtype());  // nonzero -> 1, zero -> 0
  Tensor y = ternary_raw(TernaryOp::where, "where", c, a, b);
  record_op(y, "where", {a, b},
            [c, sa = a.shape(), sb = b.shape(), na = a.requires_grad(), nb = b.requires_grad()](const Tensor& g) {
              Tensor zero = zeros({}, g.dtype(), g.device());
              return std::vector<Tensor>{
                  na ? sum_to_shape(ternary_raw(TernaryOp::where, "where_backward", c, g, zero), sa) : Tensor(),
                  nb ? sum_to_shape(ternary_raw(TernaryOp::where, "where_backward", c, zero, g), sb) : Tensor()};
            });
  return y;
}

}  // namespace oc
