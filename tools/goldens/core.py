"""Golden cases for the core ops (tests/test_golden.cpp reads tests/data/golden_core.json)."""
import torch
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_core.json")
case = g.case


# Unary ops (inputs kept away from kinks so gradients are unambiguous).
def away(t):
    return torch.where((t.abs() < 0.05) | ((t + 0.5).abs() < 0.05) | ((t - 0.7).abs() < 0.05), t + 0.1, t)


x = away(rand(3, 4, lo=-2, hi=2))
pos = rand(3, 4, lo=0.2, hi=3)
for name, fn, inp in [("neg", torch.neg, x), ("exp", torch.exp, x), ("log", torch.log, pos),
                      ("sqrt", torch.sqrt, pos), ("rsqrt", torch.rsqrt, pos), ("abs", torch.abs, x),
                      ("relu", torch.relu, x), ("sigmoid", torch.sigmoid, x), ("tanh", torch.tanh, x)]:
    case(name, name, fn, [inp])
case("leaky_relu", "leaky_relu", lambda t: F.leaky_relu(t, 0.1), [x], {"slope": 0.1})
case("clamp", "clamp", lambda t: torch.clamp(t, -0.5, 0.7), [x], {"lo": -0.5, "hi": 0.7})
case("pow_scalar", "pow_scalar", lambda t: torch.pow(t, 2.5), [pos], {"exponent": 2.5})

# Binary ops with broadcasting [3,1,4] x [2,4].
a, b = rand(3, 1, 4, lo=0.5, hi=2), rand(2, 4, lo=0.5, hi=2)
for name, fn in [("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div),
                 ("pow", torch.pow), ("maximum", torch.maximum), ("minimum", torch.minimum)]:
    case(name, name, fn, [a, b])
cond = rand(3, 1, 4) > 0
case("where", "where", lambda c, p, q: torch.where(c, p, q), [cond, a, b])
for name, fn in [("eq", torch.eq), ("lt", torch.lt), ("ge", torch.ge)]:
    case(name, name, fn, [torch.round(a * 2), torch.round(b * 2)], grads=False)

# Reductions.
r = rand(3, 4, 5)
case("sum_axes02", "sum", lambda t: t.sum(dim=(0, 2)), [r], {"axes": [0, 2], "keepdim": False})
case("sum_all", "sum", lambda t: t.sum(), [r], {"axes": [], "keepdim": False})
case("mean_axis1_keep", "mean", lambda t: t.mean(dim=1, keepdim=True), [r], {"axes": [1], "keepdim": True})
case("var_axis2", "var", lambda t: t.var(dim=2), [r], {"axes": [2], "keepdim": False, "correction": 1})
case("var_all_biased", "var", lambda t: t.var(unbiased=False), [r], {"axes": [], "keepdim": False, "correction": 0})
case("amax_axis1", "max", lambda t: t.amax(dim=1), [r], {"axes": [1], "keepdim": False})
case("amin_axes01_keep", "min", lambda t: t.amin(dim=(0, 1), keepdim=True), [r], {"axes": [0, 1], "keepdim": True})
case("argmax_axis2", "argmax", lambda t: t.argmax(dim=2), [r], {"axis": 2, "keepdim": False}, grads=False)
case("argmin_axis0_keep", "argmin", lambda t: t.argmin(dim=0, keepdim=True), [r], {"axis": 0, "keepdim": True},
     grads=False)

# Softmax.
s = rand(3, 4, 5, lo=-3, hi=3)
case("softmax_axis1", "softmax", lambda t: torch.softmax(t, 1), [s], {"axis": 1})
case("log_softmax_axis2", "log_softmax", lambda t: torch.log_softmax(t, 2), [s], {"axis": 2})

# matmul.
case("matmul_batched_broadcast", "matmul", torch.matmul, [rand(2, 1, 3, 4), rand(5, 4, 2)])
case("matmul_vec_mat", "matmul", torch.matmul, [rand(4), rand(3, 4, 2)])
case("matmul_mat_vec", "matmul", torch.matmul, [rand(3, 4), rand(4)])

# Shape and index ops.
case("cat_dim1", "cat", lambda p, q: torch.cat([p, q], 1), [rand(2, 3), rand(2, 2)], {"dim": 1})
case("stack_dim0", "stack", lambda p, q: torch.stack([p, q], 0), [rand(2, 3), rand(2, 3)], {"dim": 0})
case("pad", "pad", lambda t: F.pad(t, (1, 2, 0, 1), value=0.5), [rand(2, 3)], {"pads": [1, 2, 0, 1], "value": 0.5})
g_idx = torch.randint(0, 3, (2, 4))
case("gather_dim0", "gather", lambda t, i: torch.gather(t, 0, i), [rand(3, 4), g_idx], {"dim": 0})
case("scatter_add_dim0", "scatter_add", lambda t, i, u: torch.scatter_add(t, 0, i, u), [rand(3, 4), g_idx, rand(2, 4)],
     {"dim": 0})
case("index_select_dim1", "index_select", lambda t, i: torch.index_select(t, 1, i), [rand(3, 4), torch.tensor([3, 0, 3])],
     {"dim": 1})

g.write()
