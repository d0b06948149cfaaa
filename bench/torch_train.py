#!/usr/bin/python3
"""PyTorch CPU twin of `ocellus bench train CONFIG`: builds the config's network in torch.nn from its
"model" section (the same layers, shapes, defaults and spatial-transformer head as nets/ and layers/),
the loss of its task (classification, pose heatmap / integral / direct) and its train.optimizer, then
times the bare training step (zero_grad, forward, loss, backward, optimizer.step) on seeded random
images of [data.batch_size] + model.input and random valid targets, prepared once outside the timing.
Median of --steps timed steps after a warm-up; images/s = batch / median. With --ours FILE (the JSON
of `ocellus bench train CONFIG --json FILE`) it prints both side by side.

Run: /usr/bin/python3 bench/torch_train.py CONFIG [--steps N] [--threads 2] [--ours FILE] [--json OUT]
(Debian's python3-torch, CPU, float32.)
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_timing import run_times_ms


class ConfigError(Exception):
    """A config this script cannot build; main() prints it after the config's path."""


def pair(v, where):
    """An integer or [h, w] (docs/config.md: kernel sizes, strides, padding, dilation)."""
    if isinstance(v, int):
        return v, v
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return v[0], v[1]
    raise ConfigError(f"{where}: expected an integer or [h, w], got {json.dumps(v)}")


def image_input(shapes, where):
    if len(shapes) != 1 or len(shapes[0]) != 3:
        raise ConfigError(f"{where}: expects one image input [C, H, W], got {shapes}")
    return shapes[0]


def single_input(shapes, where):
    if len(shapes) != 1:
        raise ConfigError(f"{where}: expects one input, got {len(shapes)}")
    return shapes[0]


def checked(size, where, what):
    if size < 1:
        raise ConfigError(f"{where}: the output {what} would be {size}")
    return size


# ---- the layers: type -> (keys it reads besides name/type/inputs, builder(cfg, input shapes, where) ->
# (module or None, output shape)). A module None is an add or concat, done by the graph. ----

def build_conv2d(cfg, shapes, where):
    c, h, w = image_input(shapes, where)
    kh, kw = pair(cfg.get("kernel", 3), f"{where}.kernel")
    sh, sw = pair(cfg.get("stride", 1), f"{where}.stride")
    dh, dw = pair(cfg.get("dilation", 1), f"{where}.dilation")
    if cfg.get("padding") == "same":
        ph, pw = dh * (kh - 1) // 2, dw * (kw - 1) // 2
    else:
        ph, pw = pair(cfg.get("padding", 0), f"{where}.padding")
    if "out_channels" not in cfg:
        raise ConfigError(f"{where}.out_channels: required")
    k, groups = cfg["out_channels"], cfg.get("groups", 1)
    m = nn.Conv2d(c, k, (kh, kw), (sh, sw), (ph, pw), (dh, dw), groups, bias=cfg.get("bias", True))
    ho = checked((h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, where, "height")
    wo = checked((w + 2 * pw - dw * (kw - 1) - 1) // sw + 1, where, "width")
    return m, [k, ho, wo]


def build_pool(is_max):
    def build(cfg, shapes, where):
        c, h, w = image_input(shapes, where)
        kh, kw = pair(cfg.get("kernel", 2), f"{where}.kernel")
        sh, sw = pair(cfg.get("stride", [kh, kw]), f"{where}.stride")  # ocellus: stride = kernel
        ph, pw = pair(cfg.get("padding", 0), f"{where}.padding")
        ceil = cfg.get("ceil_mode", False)
        if is_max:
            m = nn.MaxPool2d((kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil)
        else:
            m = nn.AvgPool2d((kh, kw), (sh, sw), (ph, pw), ceil_mode=ceil,
                             count_include_pad=cfg.get("count_include_pad", True))
        # PyTorch's output size (the same formula as pool2d_out_size), from a dummy run on one sample.
        ho, wo = m(torch.zeros(1, 1, h, w)).shape[2:]
        return m, [c, checked(ho, where, "height"), checked(wo, where, "width")]
    return build


def build_batchnorm2d(cfg, shapes, where):
    c = image_input(shapes, where)[0]
    return nn.BatchNorm2d(c, eps=cfg.get("eps", 1e-5), momentum=cfg.get("momentum", 0.1)), shapes[0]


def build_linear(cfg, shapes, where):
    s = single_input(shapes, where)
    if len(s) != 1:
        raise ConfigError(f"{where}: linear expects a flat input [F] (add a \"flatten\" layer), got {s}")
    if "out_features" not in cfg:
        raise ConfigError(f"{where}.out_features: required")
    return nn.Linear(s[0], cfg["out_features"], bias=cfg.get("bias", True)), [cfg["out_features"]]


def build_dropout(cfg, shapes, where):
    return nn.Dropout(cfg.get("p", 0.5)), single_input(shapes, where)


def build_flatten(cfg, shapes, where):
    return nn.Flatten(), [math.prod(single_input(shapes, where))]


def elementwise(make):
    return lambda cfg, shapes, where: (make(cfg), single_input(shapes, where))


def build_adaptive_avgpool(fixed_size):
    def build(cfg, shapes, where):
        c = image_input(shapes, where)[0]
        h, w = fixed_size or pair(cfg.get("size", 1), f"{where}.size")
        return nn.AdaptiveAvgPool2d((h, w)), [c, h, w]
    return build


def build_upsample(cfg, shapes, where):
    c, h, w = image_input(shapes, where)
    s, mode = cfg.get("scale", 2), cfg.get("mode", "nearest")
    if mode not in ("nearest", "bilinear"):
        raise ConfigError(f"{where}.mode: expected \"nearest\" or \"bilinear\", got \"{mode}\"")
    ac = cfg.get("align_corners", False) if mode == "bilinear" else None
    return nn.Upsample(scale_factor=s, mode=mode, align_corners=ac), [c, h * s, w * s]


def build_join(concat):
    def build(cfg, shapes, where):
        if len(shapes) < 2:
            raise ConfigError(f"{where}.inputs: {'concat' if concat else 'add'} needs at least two inputs")
        out = list(shapes[0])
        for s in shapes[1:]:
            if len(s) != len(out) or s[1 if concat else 0:] != out[1 if concat else 0:]:
                raise ConfigError(f"{where}.inputs: cannot {'concat' if concat else 'add'} {shapes[0]} and {s}")
            if concat:
                out[0] += s[0]
        return None, out
    return build


# theta as a function of the head's outputs, row by row (layers/spatial_transformer.cpp): an int k is
# +param k, ("-", k) is -param k, a float is a constant. Every family is linear in its parameters.
THETA_LAYOUTS = {
    (2, "translation"): [1.0, 0.0, 0, 0.0, 1.0, 1],
    (2, "translation_scale"): [0, 0.0, 1, 0.0, 0, 2],
    (2, "similarity"): [0, ("-", 1), 2, 1, 0, 3],  # [[a, -b, tx], [b, a, ty]]
    (2, "affine"): list(range(6)),
    (3, "translation"): [1.0, 0.0, 0.0, 0, 0.0, 1.0, 0.0, 1, 0.0, 0.0, 1.0, 2],
    (3, "translation_scale"): [0, 0.0, 0.0, 1, 0.0, 0, 0.0, 2, 0.0, 0.0, 0, 3],
    (3, "affine"): list(range(12)),
}


def identity_params(layout, dims):
    """A parameter on theta's diagonal is 1 at the identity, the others 0 (what the head's bias starts at)."""
    count = 1 + max(e for e in layout if isinstance(e, int))
    ident = [0.0] * count
    for r in range(dims):
        e = layout[r * (dims + 1) + r]
        if isinstance(e, int):
            ident[e] = 1.0
    return ident


class SpatialTransformer(nn.Module):
    """localization -> flatten -> linear head (zero weights, identity bias) -> theta -> affine_grid ->
    grid_sample, as layers/spatial_transformer.cpp."""

    def __init__(self, localization, features, layout, dims, output_size, mode, padding, align_corners):
        super().__init__()
        self.localization = localization
        ident = identity_params(layout, dims)
        self.head = nn.Linear(features, len(ident))
        with torch.no_grad():
            self.head.weight.zero_()
            self.head.bias.copy_(torch.tensor(ident))
        self.layout, self.dims, self.output_size = layout, dims, output_size
        self.mode, self.padding, self.align_corners = mode, padding, align_corners

    def forward(self, x):
        params = self.head(torch.flatten(self.localization(x), 1))
        n = x.shape[0]
        entries = []
        for e in self.layout:
            if isinstance(e, float):
                entries.append(torch.full((n,), e, dtype=x.dtype))
            elif isinstance(e, tuple):
                entries.append(-params[:, e[1]])
            else:
                entries.append(params[:, e])
        theta = torch.stack(entries, 1).reshape(n, self.dims, self.dims + 1)
        grid = F.affine_grid(theta, [n, x.shape[1]] + self.output_size, align_corners=self.align_corners)
        return F.grid_sample(x, grid, mode=self.mode, padding_mode=self.padding, align_corners=self.align_corners)


def one_of(cfg, key, fallback, names, where):
    v = cfg.get(key, fallback)
    if v not in names:
        raise ConfigError(f"{where}.{key}: unknown value \"{v}\" (expected one of {', '.join(names)})")
    return v


def build_spatial_transformer(cfg, shapes, where):
    s = single_input(shapes, where)
    if len(s) not in (3, 4):
        raise ConfigError(f"{where}: expects an image [C,H,W] or a volume [C,D,H,W], got {s}")
    dims = len(s) - 1
    kind = one_of(cfg, "transform", "affine", ["translation", "translation_scale", "similarity", "affine"], where)
    if (dims, kind) not in THETA_LAYOUTS:
        raise ConfigError(f"{where}.transform: \"{kind}\" is 2-D only")
    output_size = cfg.get("output_size", s[1:])
    if len(output_size) != dims:
        raise ConfigError(f"{where}.output_size: expected {dims} sizes, got {output_size}")
    mode = one_of(cfg, "mode", "bilinear", ["bilinear", "nearest", "bicubic"], where)
    padding = one_of(cfg, "padding", "zeros", ["zeros", "border", "reflection"], where)
    loc_cfg = cfg.get("localization")
    if not isinstance(loc_cfg, dict) or "layers" not in loc_cfg:
        raise ConfigError(f"{where}.localization.layers: the localization network's layers are required")
    loc = Graph(loc_cfg, s, f"{where}.localization")
    features = math.prod(loc.output_shapes[0])
    m = SpatialTransformer(loc, features, THETA_LAYOUTS[(dims, kind)], dims, list(output_size), mode, padding,
                           cfg.get("align_corners", False))
    return m, [s[0]] + list(output_size)


LAYERS = {
    "conv2d": (["out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias"], build_conv2d),
    "maxpool2d": (["kernel", "stride", "padding", "ceil_mode"], build_pool(True)),
    "avgpool2d": (["kernel", "stride", "padding", "ceil_mode", "count_include_pad"], build_pool(False)),
    "global_avgpool2d": ([], build_adaptive_avgpool((1, 1))),
    "adaptive_avgpool2d": (["size"], build_adaptive_avgpool(None)),
    "batchnorm2d": (["momentum", "eps"], build_batchnorm2d),
    "relu": ([], elementwise(lambda c: nn.ReLU())),
    "leaky_relu": (["negative_slope"], elementwise(lambda c: nn.LeakyReLU(c.get("negative_slope", 0.01)))),
    "sigmoid": ([], elementwise(lambda c: nn.Sigmoid())),
    "tanh": ([], elementwise(lambda c: nn.Tanh())),
    "dropout": (["p"], build_dropout),
    "flatten": ([], build_flatten),
    "linear": (["out_features", "bias"], build_linear),
    "upsample": (["scale", "mode", "align_corners"], build_upsample),
    "add": ([], build_join(False)),
    "concat": ([], build_join(True)),
    "spatial_transformer": (["transform", "output_size", "mode", "padding", "align_corners", "deterministic",
                             "localization"], build_spatial_transformer),
}


class Graph(nn.Module):
    """A "model" (or "localization") section: layers in order, each reading the previous layer or its
    named "inputs" ("input" is the image); the outputs are the "outputs" names (default: the last layer)."""

    def __init__(self, section, input_shape, where):
        super().__init__()
        self.layers = nn.ModuleDict()
        self.nodes = []  # (name, type, input names)
        shapes = {"input": list(input_shape)}
        previous = "input"
        for i, cfg in enumerate(section["layers"]):
            lw = f"{where}.layers[{i}]"
            kind = cfg.get("type")
            if kind not in LAYERS:
                raise ConfigError(f"{lw}: layer \"{cfg.get('name', '')}\" has type \"{kind}\", which "
                                  f"torch_train.py does not build (it builds: {', '.join(sorted(LAYERS))})")
            keys, build = LAYERS[kind]
            for key in cfg:
                if key not in keys + ["name", "type", "inputs"]:
                    raise ConfigError(f"{lw}.{key}: unknown key for {kind}")
            name = cfg.get("name", f"{kind}{i}")
            inputs = cfg.get("inputs", [previous])
            for n in inputs:
                if n not in shapes:
                    raise ConfigError(f"{lw}.inputs: no earlier layer is named \"{n}\"")
            module, shapes[name] = build(cfg, [shapes[n] for n in inputs], lw)
            if module is not None:
                self.layers[name] = module
            self.nodes.append((name, kind, inputs))
            previous = name
        self.outputs = section.get("outputs", [previous])
        for n in self.outputs:
            if n not in shapes or n == "input":
                raise ConfigError(f"{where}.outputs: no layer is named \"{n}\"")
        self.output_shapes = [shapes[n] for n in self.outputs]

    def forward(self, x):
        values = {"input": x}
        for name, kind, inputs in self.nodes:
            if kind == "add":
                values[name] = sum(values[n] for n in inputs)
            elif kind == "concat":
                values[name] = torch.cat([values[n] for n in inputs], 1)
            else:
                values[name] = self.layers[name](values[inputs[0]])
        return values[self.outputs[0]]


# ---- the tasks: type (pose: head) -> make(config, model, batch, generator) -> (targets, loss(out, targets)).
# The targets are what nets/pose/*_head.cpp computes from keypoints, made once outside the timed step. ----

def classification(cfg, model, b, g):
    loss_cfg = cfg.get("train", {}).get("loss", {})
    if loss_cfg.get("type", "cross_entropy") != "cross_entropy":
        raise ConfigError(f"train.loss.type: \"{loss_cfg['type']}\" is not cross_entropy")
    out = model.output_shapes[0]
    if len(out) != 1:
        raise ConfigError(f"model.outputs: classification needs [classes] logits, got {out}")
    smoothing = loss_cfg.get("label_smoothing", 0.0)
    labels = torch.randint(0, out[0], (b,), generator=g)
    return labels, lambda y, t: F.cross_entropy(y, t, label_smoothing=smoothing)


def random_keypoints(b, k, h, w, g):
    """Single-person keypoints [B, K, 2] in pixels (centres at integers), all inside and visible."""
    return torch.rand(b, k, 2, generator=g) * torch.tensor([w - 1.0, h - 1.0])


def joint_maps(cfg, model, stride):
    k, hh, wh = model.output_shapes[0] if len(model.output_shapes[0]) == 3 else (0, 0, 0)
    _, h, w = cfg["model"]["input"]
    if k == 0 or (hh, wh) != (round(h / stride), round(w / stride)):
        raise ConfigError(f"model.outputs: a pose head with stride {stride} needs the first output "
                          f"[K, {round(h / stride)}, {round(w / stride)}], got {model.output_shapes[0]}")
    return k, h, w, hh, wh


def pose_heatmap(cfg, model, b, g):
    task = cfg["task"]
    s = task.get("stride", 4)
    k, h, w, hh, wh = joint_maps(cfg, model, s)
    xy = random_keypoints(b, k, h, w, g)
    cell = ((xy - (s - 1) / 2) / s).round().long()
    cx, cy = cell[..., 0].clamp(0, wh - 1), cell[..., 1].clamp(0, hh - 1)
    visible = b * k
    loss_kind = task.get("heatmap_loss", "mse")
    if loss_kind == "cross_entropy":
        # Per joint, cross-entropy over the cells of its map, the target the cell nearest the joint; sum / visible.
        cls = (cy * wh + cx).reshape(b * k)
        return cls, lambda y, t: F.cross_entropy(y.reshape(b * k, hh * wh), t, reduction="sum") / visible
    if loss_kind == "mse":
        # Gaussian maps of width sigma inside the 3-sigma square; squared error, target cells weighted.
        sigma, weight = task.get("sigma", 2), task.get("target_weight", 1)
        centres_x = torch.arange(wh) * s + (s - 1) / 2
        centres_y = torch.arange(hh) * s + (s - 1) / 2
        dx = centres_x.view(1, 1, 1, wh) - xy[..., 0].view(b, k, 1, 1)
        dy = centres_y.view(1, 1, hh, 1) - xy[..., 1].view(b, k, 1, 1)
        inside = (dx.abs() <= 3 * sigma) & (dy.abs() <= 3 * sigma)
        want = torch.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)) * inside
        cell_weight = 1 + (weight - 1) * (want.abs() > 1e-3).float()
        return want, lambda y, t: ((y - t) ** 2 * cell_weight).mean() * k
    raise ConfigError(f"task.heatmap_loss: \"{loss_kind}\" is not built here (mse, cross_entropy)")


def pose_integral(cfg, model, b, g):
    task = cfg["task"]
    s, beta = task.get("stride", 4), task.get("beta", 1)
    k, h, w, hh, wh = joint_maps(cfg, model, s)
    xy = random_keypoints(b, k, h, w, g)
    xs, ys = torch.arange(wh, dtype=torch.float32), torch.arange(hh, dtype=torch.float32)

    def loss(y, t):
        # Soft-argmax in cells, to input pixels; L1 over visible joints in units of the input width.
        p = torch.softmax(beta * y.reshape(b, k, hh * wh), -1).reshape(b, k, hh, wh)
        coords = torch.stack([(p.sum(2) * xs).sum(-1), (p.sum(3) * ys).sum(-1)], -1) * s + (s - 1) / 2
        return (coords - t).abs().sum() / (b * k * w)
    return xy, loss


def pose_direct(cfg, model, b, g):
    out = model.output_shapes[0]
    _, h, w = cfg["model"]["input"]
    if len(out) != 1 or out[0] % 2:
        raise ConfigError(f"model.outputs: head \"direct\" needs the first output [2K], got {out}")
    k = out[0] // 2
    # Normalized coordinates: -1 and 1 are the image's outer edges.
    unit = (random_keypoints(b, k, h, w, g) + 0.5) * torch.tensor([2.0 / w, 2.0 / h]) - 1
    return unit, lambda y, t: ((y.reshape(b, k, 2) - t) ** 2).sum() / (b * k)


POSE_HEADS = {"heatmap": pose_heatmap, "integral": pose_integral, "direct": pose_direct}


def task_loss(cfg, model, b, g):
    task = cfg.get("task", {})
    kind = task.get("type", "classification")
    if kind == "classification":
        return classification(cfg, model, b, g)
    if kind == "pose":
        head = task.get("head", "integral")
        if head not in POSE_HEADS:
            raise ConfigError(f"task.head: pose head \"{head}\" is not built here ({', '.join(POSE_HEADS)})")
        return POSE_HEADS[head](cfg, model, b, g)
    raise ConfigError(f"task.type: \"{kind}\" is not built here (classification, pose)")


def make_optimizer(cfg, params):
    o = cfg.get("train", {}).get("optimizer", {})
    kind = o.get("type", "sgd")
    if kind == "sgd":
        return torch.optim.SGD(params, lr=o.get("lr", 0.01), momentum=o.get("momentum", 0),
                               nesterov=o.get("nesterov", False), weight_decay=o.get("weight_decay", 0))
    if kind in ("adam", "adamw"):
        opt = torch.optim.Adam if kind == "adam" else torch.optim.AdamW
        return opt(params, lr=o.get("lr", 1e-3), betas=(o.get("beta1", 0.9), o.get("beta2", 0.999)),
                   eps=o.get("eps", 1e-8), weight_decay=o.get("weight_decay", 0 if kind == "adam" else 0.01))
    raise ConfigError(f"train.optimizer.type: \"{kind}\" is not built here (sgd, adam, adamw)")


def bench(cfg, steps):
    """The median ms of one training step and the batch size."""
    times, b = bench_times(cfg, steps)
    return times[len(times) // 2], b


def bench_times(cfg, steps):
    """The ms of each timed training step (sorted) and the batch size."""
    seed = cfg.get("train", {}).get("seed", 0)
    torch.manual_seed(seed)  # parameters and dropout
    model_cfg = cfg.get("model")
    if not isinstance(model_cfg, dict) or "input" not in model_cfg or "layers" not in model_cfg:
        raise ConfigError("model: needs \"input\" and \"layers\"")
    model = Graph(model_cfg, model_cfg["input"], "model")
    model.train()
    data = cfg.get("data", {})
    b = data.get("batch_size", 64)
    g = torch.Generator().manual_seed(seed + 1)
    # Pixels uniform in [0, 1], normalized as the loader does.
    x = (torch.rand([b] + list(model_cfg["input"]), generator=g) - data.get("mean", 0)) / data.get("std", 1)
    targets, loss_fn = task_loss(cfg, model, b, g)
    opt = make_optimizer(cfg, model.parameters())

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), targets)
        loss.backward()
        opt.step()

    return run_times_ms(step, "cpu", steps), b


def read_ours(path):
    if not os.path.isfile(path):
        sys.exit(f"--ours {path}: no such file (write it with `ocellus bench train CONFIG --json {path}`)")
    try:
        with open(path) as f:
            ours = json.load(f)
    except ValueError as e:
        sys.exit(f"--ours {path}: not JSON ({e})")
    missing = [k for k in ("batch_size", "threads", "step_ms", "step_images_per_s") if k not in ours]
    if missing:
        sys.exit(f"--ours {path}: not the JSON of `ocellus bench train` (no {', '.join(missing)})")
    return ours


def print_side_by_side(ours, b, threads, ms, ips):
    """ours (from --ours) above torch, and their ratio in images/s (the loop's too when ours has it)."""
    loop = ours.get("loop_images_per_s")
    dash = f"{'-':>11}"
    print(f"{'':>10} {'batch':>6} {'threads':>7} {'step ms':>9} {'step img/s':>11} {'loop img/s':>11}")
    print(f"{'ours':>10} {ours['batch_size']:6d} {ours['threads']:7d} {ours['step_ms']:9.2f} "
          f"{ours['step_images_per_s']:11.1f} {dash if loop is None else f'{loop:11.1f}'}")
    print(f"{'torch':>10} {b:6d} {threads:7d} {ms:9.2f} {ips:11.1f} {dash}")
    print(f"{'ours/torch':>10} {'':>6} {'':>7} {'':>9} {ours['step_images_per_s'] / ips:11.2f} "
          f"{dash if loop is None else f'{loop / ips:11.2f}'}   (images/s; > 1: ours is faster)")
    if ours["batch_size"] != b or ours["threads"] != threads:
        print(f"note: ours ran batch {ours['batch_size']} on {ours['threads']} threads, torch batch {b} on "
              f"{threads}: the ratio compares unlike runs")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config", help="an ocellus training config (configs/*.json)")
    ap.add_argument("--steps", type=int, default=30, help="timed steps (after 2 warm-up steps)")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (ours: OCELLUS_NUM_THREADS)")
    ap.add_argument("--ours", help="JSON written by `ocellus bench train CONFIG --json FILE`")
    ap.add_argument("--json", help="write PyTorch's figures here")
    a = ap.parse_args()
    if a.steps < 1 or a.threads < 1:
        sys.exit("--steps and --threads must be at least 1")
    ours = read_ours(a.ours) if a.ours else None
    try:
        with open(a.config) as f:
            cfg = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"{a.config}: cannot read the config ({e})")
    torch.set_num_threads(a.threads)
    try:
        ms, b = bench(cfg, a.steps)
    except ConfigError as e:
        sys.exit(f"{a.config}: {e}")
    ips = b * 1e3 / ms
    print(f"{a.config}: batch {b}, {a.threads} threads, torch {torch.__version__}: "
          f"{ms:.2f} ms/step, {ips:.1f} images/s (median of {a.steps} steps)")
    if ours:
        print_side_by_side(ours, b, a.threads, ms, ips)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"torch": torch.__version__, "config": a.config, "batch_size": b, "threads": a.threads,
                       "step_ms": ms, "images_per_s": ips}, f, indent=2)


if __name__ == "__main__":
    main()
