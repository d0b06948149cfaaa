"""Golden cases for batch norm and upsampling (tests/test_golden_pool_norm.cpp reads
tests/data/golden_pool_norm.json; pooling's come from its case table, tools/goldens/pool.py)."""
import torch
import torch.nn.functional as F

from goldens.common import GoldenFile, rand

g = GoldenFile("golden_pool_norm.json")
case = g.case


# batch_norm. Running statistics are parameters (lists), not inputs: PyTorch gives no gradient to them.
C = 3
rm0, rv0 = rand(C, lo=-0.5, hi=0.5), rand(C, lo=0.5, hi=2.0)
w, b = rand(C, lo=0.5, hi=1.5), rand(C)
bn_x = rand(4, C, 3, 2, lo=-2, hi=3)
run = {"running_mean": rm0.tolist(), "running_var": rv0.tolist(), "momentum": 0.1, "eps": 1e-5}


def bn(training, affine=True, running=True, momentum=0.1, eps=1e-5):
    def f(x, *wb):
        rm, rv = (rm0.clone(), rv0.clone()) if running else (None, None)
        return F.batch_norm(x, rm, rv, wb[0] if affine else None, wb[1] if affine else None, training, momentum, eps)
    return f


case("batch_norm_train_affine", "batch_norm", bn(True), [bn_x, w, b], dict(run, training=True, affine=True))
case("batch_norm_train_plain", "batch_norm", bn(True, affine=False), [bn_x],
     dict(run, training=True, affine=False))
case("batch_norm_train_no_running", "batch_norm", bn(True, running=False), [bn_x, w, b],
     {"training": True, "affine": True, "momentum": 0.1, "eps": 1e-5})
case("batch_norm_eval_affine", "batch_norm", bn(False), [bn_x, w, b], dict(run, training=False, affine=True))
bn_x2 = rand(5, C, lo=-1, hi=2)
case("batch_norm_2d_train", "batch_norm", bn(True, eps=1e-3), [bn_x2, w, b],
     dict(run, training=True, affine=True, eps=1e-3))
case("batch_norm_2d_eval", "batch_norm", bn(False), [bn_x2, w, b], dict(run, training=False, affine=True))


# The running statistics after one training step: cat(running_mean, running_var) as the output.
def bn_running(momentum):
    def f(x):
        rm, rv = rm0.clone(), rv0.clone()
        F.batch_norm(x, rm, rv, None, None, True, momentum, 1e-5)
        return torch.cat([rm, rv])
    return f


case("batch_norm_running_update", "batch_norm_running", bn_running(0.1), [bn_x], dict(run), grads=False)
case("batch_norm_running_update_m03_2d", "batch_norm_running", bn_running(0.3), [bn_x2], dict(run, momentum=0.3),
     grads=False)

# Upsampling: nearest (the scale in float: 3 -> 7, 5 -> 3, and the exact 2x path), bilinear both ways.
for name, x, out in [("nearest_3x4_to_7x5", rand(2, 2, 3, 4), (7, 5)),
                     ("nearest_2x3_to_4x6", rand(1, 2, 2, 3), (4, 6)),
                     ("nearest_5x5_to_3x2", rand(1, 2, 5, 5), (3, 2))]:
    case("upsample_" + name, "upsample_nearest2d", lambda t, out=out: F.interpolate(t, size=out, mode="nearest"), [x],
         {"out": list(out)})
for ac in (True, False):
    tag = "ac" if ac else "noac"
    for name, x, out in [("3x4_to_5x7", rand(2, 2, 3, 4), (5, 7)),
                         ("4x4_to_3x2", rand(1, 2, 4, 4), (3, 2)),
                         ("2x2_to_4x4", rand(1, 1, 2, 2), (4, 4)),
                         ("1x3_to_1x5", rand(1, 2, 1, 3), (1, 5))]:
        case(f"upsample_bilinear_{name}_{tag}", "upsample_bilinear2d",
             lambda t, out=out, ac=ac: F.interpolate(t, size=out, mode="bilinear", align_corners=ac), [x],
             {"out": list(out), "align_corners": ac})

g.write()
