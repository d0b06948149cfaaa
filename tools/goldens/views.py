"""Golden numbers for the views case table (tests/kernels/views/views_cases.cpp): the view, made
contiguous, on the table's inputs (make goldens)."""


def compute(op, p, inputs):
    x = inputs[0]
    if "first" in p:
        x = x.transpose(*p["first"])
    if op == "permute":
        return x.permute(*p["dims"]).contiguous()
    if op == "transpose":
        return x.transpose(p["dim0"], p["dim1"]).contiguous()
    if op == "reshape":
        return x.reshape(p["shape"])
    if op == "slice":
        return x[(slice(None),) * p["dim"] + (slice(p["start"], p["end"], p["step"]),)].contiguous()
    if op == "select":
        return x.select(p["dim"], p["index"]).contiguous()
    if op == "expand":
        return x.expand(*p["shape"]).contiguous()
    if op == "squeeze":
        return x.squeeze(p["dim"]) if "dim" in p else x.squeeze()
    if op == "unsqueeze":
        return x.unsqueeze(p["dim"])
    if op == "flatten":
        return x.flatten(p["start"], p["end"])
    raise ValueError(op)
