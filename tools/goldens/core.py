"""Golden cases for the core ops not yet in a case table (tests/test_golden.cpp reads
tests/data/golden_core.json); the elementwise ops are in tools/goldens/elementwise.py."""
import torch
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_core.json")
case = g.case


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
