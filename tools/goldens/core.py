"""Golden cases for the core ops not yet in a case table (tests/test_golden.cpp reads
tests/data/golden_core.json); the elementwise ops, reductions, softmax and matmul
are in tools/goldens/elementwise.py, reduce.py, softmax.py and matmul.py."""
import torch
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_core.json")
case = g.case


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
