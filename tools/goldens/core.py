"""Golden cases for the core ops not yet in a case table (tests/test_golden.cpp reads
tests/data/golden_core.json); the elementwise ops, reductions, softmax, matmul and
the index ops are in tools/goldens/elementwise.py, reduce.py, softmax.py, matmul.py and index.py."""
import torch
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_core.json")
case = g.case


# Shape ops.
case("cat_dim1", "cat", lambda p, q: torch.cat([p, q], 1), [rand(2, 3), rand(2, 2)], {"dim": 1})
case("stack_dim0", "stack", lambda p, q: torch.stack([p, q], 0), [rand(2, 3), rand(2, 3)], {"dim": 0})
case("pad", "pad", lambda t: F.pad(t, (1, 2, 0, 1), value=0.5), [rand(2, 3)], {"pads": [1, 2, 0, 1], "value": 0.5})

g.write()
