"""Golden numbers for the optim case table (tests/kernels/optim/optim_cases.cpp): a few steps of
torch.optim.SGD / Adam / AdamW on one parameter, the parameter and its state after the last step,
cat'ed (sgd_update: p[, momentum_buffer]; adam_update: p, exp_avg, exp_avg_sq). The initial
parameter and the gradients of every step come from the table (make goldens)."""
import torch


def compute(op, params, inputs):
    p = inputs[0].detach().clone().requires_grad_(True)
    if op == "sgd_update":
        opt = torch.optim.SGD([p], lr=params["lr"], momentum=params["momentum"],
                              weight_decay=params["weight_decay"], nesterov=params["nesterov"])
    else:
        assert op == "adam_update", op
        kind = torch.optim.AdamW if params["decoupled"] else torch.optim.Adam
        opt = kind([p], lr=params["lr"], betas=(params["beta1"], params["beta2"]), eps=params["eps"],
                   weight_decay=params["weight_decay"])
    for g in inputs[1:]:
        p.grad = g.detach().clone()
        opt.step()
    state = opt.state[p]
    if op == "sgd_update":
        parts = [p] + ([state["momentum_buffer"]] if params["momentum"] != 0 else [])
    else:
        parts = [p, state["exp_avg"], state["exp_avg_sq"]]
    return torch.cat([t.detach() for t in parts])  # no gradient: the updates are not recorded
